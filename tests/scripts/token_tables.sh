#!/usr/bin/env bash
# tests/scripts/token_tables.sh PTC — the token-reduction methods of issue 17 (TopK, LTP, ToMe)
# in the accuracy rows, tables and plots, on a tiny synthetic experiment run here
# (`ptc experiment --variants BERT,PFC,TopK,LTP,ToMe --keep-ratios 0.7 --tome-r 4`, one seed, a
# 4-layer model of hidden 32: seconds). Checked: the rows' variant is TopK/LTP/ToMe (not
# "prune"), their labels "TopK k0.7" and "ToMe r4", TopK's p its keep ratio 0.7; `ptc table
# --kind table2` has a row for each of the five, in the order BERT, PFC, TopK, LTP, ToMe (TopK
# at keep 0.7 was dropped as "not p 0.9"); `--kind tests` shows TopK's keep ratio in its p
# column; `ptc plot` names the accuracy_vs_speedup series "TopK k0.7", "LTP", "ToMe r4" (TopK
# without a second "p 0.7"); variants/token_prune.c and token_merge.c cite the three papers
# and name every TopK/LTP/ToMe option of `ptc train --help` and `ptc bench --help`. Run from
# the repository root. Exit 0 when all hold.
set -u
PTC=${1:-build/ptc}
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT; [ -n "${KEEP:-}" ] && echo "$T"
fail() { echo "token_tables: $*"; exit 1; }

"$PTC" experiment --data synthetic --synthetic-train 32 --synthetic-dev 8 --synthetic-test 16 \
    --model bert-tiny --hidden 32 --heads 2 --ffn 64 --layers 4 --max-len 32 --batch 8 --epochs 1 \
    --lr 1e-3 --threads 1 --seeds 1 --variants BERT,PFC,TopK,LTP,ToMe --lc 3 --keep-ratios 0.7 \
    --tome-r 4 --checkpoints remove --work "$T/work" --out "$T/exp" >"$T/exp.log" 2>&1 ||
    fail "experiment: $(tail -3 "$T/exp.log")"
rows="$T/exp/rows.jsonl"
for want in '"variant":"TopK","label":"TopK k0.7"' '"variant":"ToMe","label":"ToMe r4"' \
    '"variant":"LTP","label":"LTP"' '"label":"TopK k0.7","rule":null,"p":0.7'; do
    grep -qF "$want" "$rows" || fail "rows lack $want"
done

"$PTC" table --kind table2 "$T/exp" >"$T/table2.md" 2>&1 || fail "table2: $(cat "$T/table2.md")"
order=$(grep -oE '^\| (BERT|PFC L3|TopK k0\.7|LTP|ToMe r4) \|' "$T/table2.md" | tr -d '|' | xargs)
[ "$order" = "BERT PFC L3 TopK k0.7 LTP ToMe r4" ] || fail "table2 rows: '$order'"

"$PTC" table --kind tests "$T/exp" >"$T/tests.md" 2>&1 || fail "tests: $(cat "$T/tests.md")"
for want in '| synthetic | TopK k0.7 | 0.70 |' '| synthetic | ToMe r4 | n/a |' '| synthetic | LTP | n/a |'; do
    grep -qF "$want" "$T/tests.md" || fail "--kind tests lacks '$want'"
done

"$PTC" plot --no-render --out "$T/plots" "$T/exp" >"$T/plot.log" 2>&1 || fail "plot: $(cat "$T/plot.log")"
grep -qxF 'series: 4: PFC L3; TopK k0.7; LTP; ToMe r4' "$T/plots/accuracy_vs_speedup-synthetic.caption.txt" ||
    fail "plot series: $(grep series "$T/plots/accuracy_vs_speedup-synthetic.caption.txt")"
# each method's source file cites its paper and names every option ptc exposes for it
for opt in $("$PTC" train --help 2>&1 | grep -oE -- '--(keep-ratios|ltp-[a-z-]+|tome-r)' | sort -u) \
    $("$PTC" bench --help 2>&1 | grep -oE -- '--(keep-ratios|ltp-[a-z-]+|tome-r)' | sort -u); do
    grep -qF -- "$opt" variants/token_prune.c variants/token_merge.c || fail "no method header names $opt"
done
for cite in 'SpAtten: Efficient Sparse Attention' 'Learned Token Pruning for Transformers' \
    'Token Merging: Your ViT But Faster'; do
    grep -qF "$cite" variants/token_prune.c variants/token_merge.c || fail "no header cites '$cite'"
done
exit 0
