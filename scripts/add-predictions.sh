#!/usr/bin/env bash
# scripts/add-predictions.sh PTC WORK ROWS.jsonl... — per-document test predictions for rows of
# `ptc experiment` written before rows recorded them (ptc table --kind tests needs them for
# McNemar and the paired bootstrap). For every inference row without "predictions" it evaluates
# the run's checkpoint WORK/ptc-experiment-<run>/<config>-s<seed> (still there unless the
# experiment removed it) into predictions/<config>-s<seed>.tsv beside the rows file, the path
# `ptc table` looks up for such rows. Existing files are kept. Prints what it did; exit 1 when a
# checkpoint is missing or an evaluation fails.
set -u
[ $# -ge 3 ] || { echo "usage: $0 PTC WORK ROWS.jsonl..." >&2; exit 2; }
PTC=$1 WORK=$2
shift 2
rc=0
for rows in "$@"; do
    dir=$(dirname "$rows")
    python3 - "$rows" <<'PY' |
import json, sys
seen = set()
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("phase") != "infer" or r.get("predictions") or "config_id" not in r:
        continue
    cfg = r["config_id"].split(";")[3]
    key = (r["run"], cfg, r["seed"])
    if key not in seen:
        seen.add(key)
        print("%s %s-s%d" % (r["run"], cfg, r["seed"]))
PY
    while read -r run name; do
        out="$dir/predictions/$name.tsv"
        [ -f "$out" ] && continue
        ck="$WORK/ptc-experiment-$run/$name"
        if [ ! -f "$ck/best.safetensors" ]; then
            echo "add-predictions: $ck: no checkpoint" >&2
            rc=1
            continue
        fi
        mkdir -p "$dir/predictions"
        if "$PTC" eval --run "$ck" --threads 1 --predictions "$out" >/dev/null; then
            echo "add-predictions: $out"
        else
            rc=1
        fi
    done
done
exit $rc
