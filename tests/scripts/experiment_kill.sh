#!/usr/bin/env bash
# tests/scripts/experiment_kill.sh PTC — `ptc experiment` loses nothing (issue 12 item 2):
# a small synthetic experiment (2 datasets' worth of runs: 3 variants x 3 seeds, 2 epochs) is
# killed (SIGKILL, at random times) KILLS times, each followed by `--resume` in the background,
# once stopped by SIGTERM (exit 143), then resumed to the end. Checked: every planned run has
# exactly its two rows (none lost, none duplicated), every line parses, and each run's test
# accuracy and predictions equal those of an uninterrupted experiment (training is
# deterministic and resumes from its last state); --checkpoints remove leaves no checkpoint; a
# sweep value the model cannot take is refused before anything is created. Exit 0 when all hold.
set -u
PTC=${1:-build/ptc}
KILLS=${KILLS:-4}
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT; [ -n "${KEEP:-}" ] && echo "$T"
ARGS=(experiment --data synthetic --synthetic-train 192 --synthetic-dev 32 --synthetic-test 64
      --max-len 64 --model bert-tiny --hidden 32 --heads 2 --ffn 64 --layers 3 --epochs 2
      --threads 1 --seeds 1,2,3 --variants baseline,PF,PFC --lc 2 --save-every 3 --checkpoints remove)
fail() { echo "experiment_kill: $*"; exit 1; }

# a sweep value the model cannot take is refused before anything trains or is created
"$PTC" "${ARGS[@]}" --lc-sweep 2,9 --out "$T/bad" --work "$T/wbad" >"$T/bad.log" 2>&1
rc=$?
[ "$rc" -eq 2 ] && [ ! -e "$T/bad" ] && [ ! -e "$T/wbad" ] && grep -q "lc-sweep 9" "$T/bad.log" ||
    fail "--lc-sweep 9 on 3 layers: exit $rc, $(cat "$T/bad.log")"

"$PTC" "${ARGS[@]}" --out "$T/ref" --work "$T/wref" >"$T/ref.log" 2>&1 || fail "reference run failed: $(tail -2 "$T/ref.log")"
want=$(wc -l <"$T/ref/rows.jsonl")
[ "$want" -eq 18 ] || fail "reference: $want rows, wanted 18"

"$PTC" "${ARGS[@]}" --out "$T/k" --work "$T/wk" >"$T/k.log" 2>&1 &
pid=$!
for i in $(seq 1 "$KILLS"); do
    sleep "0.$(( (RANDOM % 9) + 1 ))$(( RANDOM % 10 ))"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    "$PTC" "${ARGS[@]}" --out "$T/k" --work "$T/wk" --resume >>"$T/k.log" 2>&1 &
    pid=$!
done
sleep 0.3
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
# the run may have finished before the signal (0); otherwise a clean stop is 143
[ "$rc" -eq 143 ] || [ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc, wanted 143 (log: $(tail -2 "$T/k.log"))"
if [ "$rc" -eq 143 ]; then
    grep -q "stopped by signal 15" "$T/k.log" || fail "SIGTERM: no stop message"
fi
"$PTC" "${ARGS[@]}" --out "$T/k" --work "$T/wk" --resume >>"$T/k.log" 2>&1 || fail "final resume failed: $(tail -3 "$T/k.log")"
"$PTC" "${ARGS[@]}" --out "$T/k" --work "$T/wk" >/dev/null 2>&1 && fail "a second experiment into the same --out was not refused"
left=$(find "$T/wk" "$T/wref" -name '*.safetensors' -o -name 'state' | wc -l)
[ "$left" -eq 0 ] || fail "--checkpoints remove: $left checkpoint files left"

python3 - "$T/ref" "$T/k" <<'PY' || exit 1
import json, sys
def load(d):
    rows = {}
    for line in open(d + "/rows.jsonl"):
        r = json.loads(line)
        cid = r["config_id"]
        if cid in rows:
            sys.exit("experiment_kill: duplicated row " + cid)
        rows[cid] = r
    return rows
ref, got = load(sys.argv[1]), load(sys.argv[2])
if set(ref) != set(got):
    sys.exit("experiment_kill: rows differ: missing %s, extra %s" % (sorted(set(ref) - set(got)), sorted(set(got) - set(ref))))
for cid, r in ref.items():
    if r["accuracy"] != got[cid]["accuracy"]:
        sys.exit("experiment_kill: %s: accuracy %r after kills, %r straight" % (cid, got[cid]["accuracy"], r["accuracy"]))
    a = open(sys.argv[1] + "/" + r["predictions"]).read()
    b = open(sys.argv[2] + "/" + got[cid]["predictions"]).read()
    if a != b:
        sys.exit("experiment_kill: %s: predictions differ" % cid)
print("experiment_kill: %d rows, none lost or duplicated, identical to the straight run" % len(ref))
PY
