#!/usr/bin/env bash
# tests/report/test-progress.sh PTC — progress lines of `ptc bench` and `ptc experiment`:
# on stderr only, never in rows or on stdout; inside a group, per stage (memory probes,
# then repetitions timed, as configurations done of the group's total) with an ETA; with
# stderr a log only when --progress asks (PTC_PROGRESS_EVERY=0: a line at every change);
# on a terminal (script(1) gives one) redrawn in place; `ptc experiment` a line as each run
# starts with the experiment's ETA, and on a terminal the training's own epoch line.
# Prints "ok - ..." / "FAIL - ..." per check and "N passed, N failed" last.
set -uo pipefail
PTC=${1:-build/ptc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
has() { if grep -qE -- "$3" "$2"; then ok "$1"; else fail "$1: no /$3/ in $2: $(tail -3 "$2" | tr '\n' ' ')"; fi; }
hasnt() { if grep -qE -- "$3" "$2"; then fail "$1: /$3/ in $2"; else ok "$1"; fi; }

BENCH=(bench --level kernel --model bert-tiny --seq 32,64 --variant baseline,prune --p 0.9,0.7
       --reps 3 --min-time 0.002 --no-calibrate)
# stderr a file, --progress: a line at every change
PTC_PROGRESS_EVERY=0 nice -n 10 "$PTC" "${BENCH[@]}" --progress --out "$tmp/b1" >"$tmp/b1.out" 2>"$tmp/b1.err"
has "bench --progress: memory probes, configuration by configuration" "$tmp/b1.err" \
    'group 1/2: kernel bert-tiny n=32 .*: memory of configuration 3/3'
has "bench --progress: repetitions timed as configurations of the group, with an ETA" "$tmp/b1.err" \
    '^\[0/6\] +[0-9]+% .* elapsed, ETA .*timing, [1-8]/9 repetitions \(~[0-2] of 3 configurations\)'
has "bench --progress: the sweep's configurations done of total" "$tmp/b1.err" '^\[6/6\] 100% '
hasnt "bench --progress: nothing on stdout" "$tmp/b1.out" 'ETA|timing, '
hasnt "bench --progress: nothing in the rows" "$(ls "$tmp"/b1/*/*/rows.jsonl)" 'progress'
# stderr a file, no --progress: the log lines only
nice -n 10 "$PTC" "${BENCH[@]}" --out "$tmp/b2" >/dev/null 2>"$tmp/b2.err"
hasnt "bench: no progress line when stderr is no terminal" "$tmp/b2.err" 'ETA'
has "bench: still one log line per group" "$tmp/b2.err" 'group 2/2 done \(3 ok, 0 error rows\)'
# a terminal: the line redrawn in place
if script -qec true /dev/null >/dev/null 2>&1; then
    script -qec "nice -n 10 $PTC ${BENCH[*]} --out $tmp/b3" /dev/null >"$tmp/b3.tty" 2>&1
    has "bench on a terminal: the progress line redrawn in place" "$tmp/b3.tty" \
        $'\r\033\\[K\\[[0-9]/6\\] .*ETA'
fi

EXP=(experiment --data synthetic --synthetic-train 96 --synthetic-dev 32 --synthetic-test 32
     --max-len 32 --model bert-tiny --hidden 32 --heads 2 --ffn 64 --layers 2 --epochs 1
     --threads 1 --seeds 1 --variants baseline,PF)
nice -n 10 "$PTC" "${EXP[@]}" --out "$tmp/e1" --work "$tmp/w1" >"$tmp/e1.out" 2>"$tmp/e1.err"
has "experiment: a line as the first run starts" "$tmp/e1.err" \
    '^\[1/2\] synthetic BERT seed 1: starting; experiment ETA after the first run'
has "experiment: the next run's line has the experiment's ETA" "$tmp/e1.err" \
    '^\[2/2\] synthetic PF seed 1: starting; experiment ETA [0-9]+:[0-9]{2}:[0-9]{2}'
has "experiment: runs done of total as each ends" "$tmp/e1.err" '^\[2/2\] synthetic PF seed 1: accuracy'
hasnt "experiment: no training progress line when stderr is no terminal" "$tmp/e1.err" $'\r'
hasnt "experiment: nothing in the rows" "$tmp/e1/rows.jsonl" 'ETA|progress'
if [ ! -e "$tmp/e1/unfinished" ]; then ok "experiment: finished, no unfinished marker"; else fail "experiment: unfinished marker left"; fi
if script -qec true /dev/null >/dev/null 2>&1; then
    script -qec "nice -n 10 $PTC ${EXP[*]} --out $tmp/e2 --work $tmp/w2" /dev/null >"$tmp/e2.tty" 2>&1
    has "experiment on a terminal: the training's epoch line" "$tmp/e2.tty" $'\repoch 1/1 \\['
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
