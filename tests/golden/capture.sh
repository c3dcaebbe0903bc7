#!/usr/bin/env bash
# tests/golden/capture.sh PTC OUTDIR — deterministic outputs of the ptc program (dry-run sweeps,
# tables, compare, plot scripts, a small seeded training run and its eval) for comparing a refactor
# before and after: run it with the old and the new build, then `diff -r OLD NEW`. Run from the
# repository root. Temporary paths and timing figures are masked.
set -u
T=$(mktemp -d)
P=$1; O=$2; mkdir -p "$O"; D=tests/harness/data
run() { local name=$1; shift; "$@" >"$O/$name.out" 2>&1; echo "rc=$?" >>"$O/$name.out"; sed -i -e "s#${T:-@@}#<T>#g" -e "s#$O#<O>#g" "$O/$name.out"; }
run dry_default $P bench --dry-run
run dry_enc $P bench --dry-run --level encoder --model bert-base --seq 128,512 --variant baseline,prune,combine,combined --rule topk,clamp --p 0.9,0.7 --lc 7
run dry_layer $P bench --dry-run --level layer --seq 256 --variant prune --p 0.8
for k in table3 seq p lc isa raw; do for f in md csv latex; do
  run table_${k}_$f $P table --kind $k --format $f $D/rows_main.jsonl; done; done
run table_acc $P table --kind accuracy $D/rows_main.jsonl
run table_where $P table --where variant=prune $D/rows_main.jsonl
run table_sweep $P table $D/rows_sweep.jsonl
run table_bad $P table --strict $D/rows_malformed.jsonl
run compare_ab $P compare $D/rows_main.jsonl $D/rows_b.jsonl
run compare_csv $P compare --format csv $D/rows_main.jsonl $D/rows_b.jsonl
run compare_fail $P compare --fail-if 'time_ratio>1.01' $D/rows_main.jsonl $D/rows_b.jsonl
rm -rf "$O/plot"; run plot $P plot --no-render --out "$O/plot" $D/rows_main.jsonl
run train $P train --data synthetic --model bert-tiny --variant PFC --lc 2 --epochs 2 --lr 1e-3 --threads 1 --seed 3 --out $T/run
sed -i -E 's/[0-9.]+ ?(ms|s|tok\/s|tokens\/s|docs\/s)\b/<t>/g' "$O/train.out"
# the checkpoint folder last/ (since issue 15) keeps the name of the older last.safetensors here
sha256sum $T/run/*.safetensors $T/run/last/model.safetensors 2>/dev/null |
    sed -e "s#$T##" -e "s#/run/last/model.safetensors#/run/last.safetensors#" > "$O/train_ckpt.sha"
printf 'label\ttext\n' > /dev/null
run eval $P eval --run $T/run --threads 1
sed -i -E 's/[0-9.]+ ?(ms|s|tok\/s|tokens\/s|docs\/s|MB|MiB)\b/<t>/g' "$O/eval.out"
rm -rf $T
