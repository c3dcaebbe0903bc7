#!/usr/bin/env bash
# tests/scripts/experiment_shards.sh PTC — one writer per training folder, and shards of one
# experiment started together on one machine:
#   - `ptc train --out DIR` holds DIR's lock for its whole life: a second trainer into a live
#     folder is refused at once with one line naming the holder (exit 1); options refused
#     before anything is written (exit 2) leave no folder;
#   - `--shard 1/2` and `--shard 2/2` started at the same time with the same --work train
#     each training exactly once (no shard trains another's BERT), each in a work folder of
#     its own;
#   - `ptc merge` of the shards gives the tables of the same experiment run unsharded
#     (--kind accuracy, table2, tests, as shown), but for the speedups, which are timings of other
#     processes: those are present for every configuration.
# Exit 0 when all hold.
set -u
PTC=${1:-build/ptc}
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT; [ -n "${KEEP:-}" ] && echo "$T"
fail() { echo "experiment_shards: $*"; exit 1; }

# ---- one trainer per run folder ----
TRAIN=(train --data synthetic --model bert-tiny --hidden 32 --heads 2 --ffn 64 --layers 2 --max-len 32
       --epochs 50 --threads 1 --no-progress --out "$T/run")
"$PTC" "${TRAIN[@]}" >"$T/first.log" 2>&1 &
first=$!
held() { [ -e "$T/run/.lock" ] && ! flock -n "$T/run/.lock" true 2>/dev/null; }
for _ in $(seq 200); do held && break; sleep 0.05; done
held || fail "the first trainer never held $T/run/.lock: $(tail -2 "$T/first.log")"
"$PTC" "${TRAIN[@]}" >"$T/second.log" 2>&1
rc=$?
kill "$first" 2>/dev/null
wait "$first" 2>/dev/null
[ "$rc" -eq 1 ] && [ "$(wc -l <"$T/second.log")" -eq 1 ] && grep -q "in use by pid $first " "$T/second.log" ||
    fail "a second trainer into a live folder: exit $rc, $(head -3 "$T/second.log")"

# options refused before anything is written leave no folder behind (the lock's included)
"$PTC" train --data synthetic --model bert-tiny --heads 3 --epochs 1 --threads 1 --out "$T/bad" >"$T/bad.log" 2>&1
rc=$?
[ "$rc" -eq 2 ] && [ ! -e "$T/bad" ] || fail "train with 3 heads of 128: exit $rc, folder $(ls -a "$T/bad" 2>&1 | tr '\n' ' ')"

# ---- shards started together ----
EXP=(experiment --data synthetic --synthetic-train 96 --synthetic-dev 16 --synthetic-test 48 --max-len 32
     --model bert-tiny --hidden 32 --heads 2 --ffn 64 --layers 3 --epochs 1 --threads 1 --seeds 1,2,3
     --variants baseline,PF,C --lc 2)
# the case of the bug: a seed whose trainings are in both shards (its BERT in one of them)
for i in 1 2; do "$PTC" "${EXP[@]}" --out "$T/dry" --dry-run --shard "$i/2" | sed -n "s/^id .*;seed=/$i /p"; done |
    sort -u | awk '{ n[$2]++ } END { for (s in n) if (n[s] == 2) found = 1; exit !found }' ||
    fail "no seed has trainings in both shards: the test does not test what it should"
"$PTC" "${EXP[@]}" --out "$T/one" --work "$T/w1" >"$T/one.log" 2>&1 || fail "unsharded: $(tail -2 "$T/one.log")"
"$PTC" "${EXP[@]}" --out "$T/sh" --work "$T/w" --shard 1/2 >"$T/s1.log" 2>&1 &
s1=$!
"$PTC" "${EXP[@]}" --out "$T/sh" --work "$T/w" --shard 2/2 >"$T/s2.log" 2>&1 || fail "shard 2/2: $(tail -2 "$T/s2.log")"
wait "$s1" || fail "shard 1/2: $(tail -2 "$T/s1.log")"
trained=$(cat "$T/s1.log" "$T/s2.log" | grep -E '^== .*: train$' | sort)
[ "$(echo "$trained" | wc -l)" -eq 9 ] && [ -z "$(echo "$trained" | uniq -d)" ] ||
    fail "9 trainings, each by one shard, wanted; trained: $(echo "$trained" | tr '\n' ';')"
[ "$(ls "$T/w" | wc -l)" -eq 2 ] || fail "each shard a work folder of its own, got: $(ls "$T/w" | tr '\n' ' ')"
"$PTC" merge "$T/sh" --out "$T/m" >"$T/merge.log" 2>&1 || fail "merge: $(cat "$T/merge.log")"

# a Markdown table without its speedup columns (what it shows; a ratio computed from the rows'
# 10 significant digits may differ from one computed in memory in the last of 17)
no_speedup() {
    awk -F'|' '/^\|/ && !header { header = 1; for (i = 1; i <= NF; i++) drop[i] = $i ~ /speedup/ }
               /^\|/ { out = ""; for (i = 1; i <= NF; i++) if (!drop[i]) out = out $i "|"; print out; next }
               { print }' "$1"
}
for kind in accuracy table2 tests; do
    "$PTC" table --kind "$kind" "$T/one" >"$T/one-$kind.md" 2>/dev/null &&
        "$PTC" table --kind "$kind" "$T/m" >"$T/m-$kind.md" 2>/dev/null ||
        fail "ptc table --kind $kind"
    diff <(no_speedup "$T/one-$kind.md") <(no_speedup "$T/m-$kind.md") >"$T/diff-$kind" ||
        fail "--kind $kind: the merged shards' table differs from the unsharded one: $(head -4 "$T/diff-$kind")"
done
"$PTC" table --kind accuracy --format csv "$T/m" >"$T/m-accuracy.csv" 2>/dev/null || fail "ptc table --format csv"
# every configuration has its speedups (inference, train step) in the merged table
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^speedup_(infer|train)$/) col[i] = 1; next }
         { for (i in col) if ($i == "") bad = 1 } END { exit bad }' "$T/m-accuracy.csv" ||
    fail "a configuration without its speedup after the merge: $(cat "$T/m-accuracy.csv")"
exit 0
