#!/usr/bin/env bash
# tests/report/test-interop.sh PTC — a `ptc bench` run's outputs in the tools researchers
# use: Google Benchmark's compare.py (Debian libbenchmark-tools) on two different sweeps
# matches exactly the configurations they share, and its U test's p-values are the ones
# `ptc compare` prints; `ptc table --format sql` loads into sqlite3 and queries back the
# rows' medians; `--format tidy` CSV has one measurement per line; a CPU folder's latest
# run is its latest finished one.
# Prints "ok - ..." / "FAIL - ..." per check and "N passed, N failed" last.
set -uo pipefail
PTC=${1:-build/ptc}
PY=/usr/bin/python3
COMPARE_PY=/usr/share/benchmark/compare.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
expect() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got [$2], wanted [$3]"; fi; }

sweep() { # sweep OUT SEQS P-LIST: a small kernel-level sweep, 3 repetitions
    nice -n 10 "$PTC" bench --level kernel --model bert-tiny --seq "$2" --variant baseline,prune \
        --p "$3" --reps 3 --min-time 0.002 --no-calibrate --name "$(basename "$1")" --out "$1" \
        >"$1.log" 2>&1
}
# A: seq 32, 64 at p 0.9; B: seq 64, 96 at p 0.9 and 0.7: they share seq 64's BERT and PF p=0.9
sweep "$tmp/a" 32,64 0.9 && sweep "$tmp/b" 64,96 0.9,0.7 || fail "two sweeps run"
A=$(ls -d "$tmp"/a/*/*/ | head -1)
B=$(ls -d "$tmp"/b/*/*/ | head -1)
expect "one gbench.json per run (no gbench-N.json)" \
    "$(ls "$A" | grep -c '^gbench') $(ls "$B" | grep -c '^gbench')" "1 1"

# the configurations both runs have rows for, by config_id, named as gbench.json names them
shared=$($PY - "$A/rows.jsonl" "$B/rows.jsonl" <<'PY'
import json, sys
ids = [{json.loads(l)["config_id"]: json.loads(l) for l in open(p)} for p in sys.argv[1:]]
for i in sorted(set(ids[0]) & set(ids[1])):
    r = ids[0][i]
    variant = r["label"].split(" L")[0]
    p = "/p:%g" % r["p"] if r["p"] is not None else ""
    print("%s/%s%s/%s/seq:%d/batch:%d/%s/threads:%d" % (r["level"], variant, p, r["model"],
          r["seq"], r["batch"], r["isa"], r["threads"]))
PY
)
expect "the two sweeps share 2 configurations" "$(echo "$shared" | grep -c .)" 2

if [ -f "$COMPARE_PY" ] && $PY -c 'import scipy' 2>/dev/null; then
    $PY "$COMPARE_PY" -d "$tmp/cmp.json" benchmarks "$A/gbench.json" "$B/gbench.json" \
        >"$tmp/cmp.txt" 2>&1 || fail "compare.py runs: $(tail -2 "$tmp/cmp.txt")"
    matched=$($PY -c '
import json, sys
print("\n".join(sorted({b["name"] for b in json.load(open(sys.argv[1]))
      if b["run_type"] != "aggregate"})))' "$tmp/cmp.json")
    expect "compare.py matches exactly the shared configurations" "$matched" "$shared"
    expect "compare.py: each matched configuration's aggregates (median, mean, ...) too" \
        "$($PY -c '
import json, sys
print(sum(1 for b in json.load(open(sys.argv[1])) if b["name"].endswith("_median")))' "$tmp/cmp.json")" 2
    # ptc compare's U test against compare.py's, configuration by configuration
    "$PTC" compare "$A" "$B" --format csv --out "$tmp/ptc-cmp.csv" 2>"$tmp/ptc-cmp.err"
    diffs=$($PY - "$tmp/cmp.json" "$tmp/ptc-cmp.csv" "$A/rows.jsonl" <<'PY'
import csv, json, sys
gb = {b["name"]: b["utest"]["time_pvalue"] for b in json.load(open(sys.argv[1])) if b.get("utest")}
rows = list(csv.DictReader(open(sys.argv[2])))
label_p = {}
for b, p in gb.items():
    label_p["BERT" if "/BERT/" in b else "PF"] = p
bad = [r["label"] for r in rows if abs(float(r["utest_p"]) - label_p[r["label"]]) > 1e-9]
print(len(rows), len(gb), " ".join(bad) or "none")
PY
)
    expect "ptc compare's U test p-values are compare.py's (2 pairs)" "$diffs" "2 2 none"
    if grep -q 'fewer than 9 repetitions' "$tmp/ptc-cmp.err"; then
        ok "ptc compare warns below 9 repetitions"
    else
        fail "ptc compare warns below 9 repetitions: $(cat "$tmp/ptc-cmp.err")"
    fi
else
    fail "compare.py ($COMPARE_PY) with scipy is missing: scripts/install-deps.sh installs libbenchmark-tools and python3-scipy"
fi

# ---- ptc table --format sql: both runs into one SQLite database, queried back ----
if command -v sqlite3 >/dev/null; then
    db="$tmp/results.db"
    { "$PTC" table "$A" --format sql | sqlite3 "$db"; } 2>"$tmp/sql.err" &&
        { "$PTC" table "$B" --format sql | sqlite3 "$db"; } 2>>"$tmp/sql.err" ||
        fail "ptc table --format sql | sqlite3 loads: $(head -3 "$tmp/sql.err")"
    got=$(sqlite3 -separator ' ' "$db" \
        "SELECT run, config_id, time_s_median, seq FROM ptc_rows ORDER BY run, config_id")
    want=$($PY - "$A/rows.jsonl" "$B/rows.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for p in sys.argv[1:] for l in open(p)]
for r in sorted(rows, key=lambda r: (r["run"], r["config_id"])):
    print(r["run"], r["config_id"], repr(r["time_s"]["median"]), r["seq"])
PY
)
    # sqlite prints REALs with 15 significant digits: compare as numbers
    same=$($PY -c '
import sys
g = [l.split() for l in sys.argv[1].splitlines()]
w = [l.split() for l in sys.argv[2].splitlines()]
ok = len(g) == len(w) and all(a[:2] == b[:2] and a[3] == b[3] and
     abs(float(a[2]) - float(b[2])) <= 1e-12 * abs(float(b[2])) for a, b in zip(g, w))
print("same" if ok else "differ: %d vs %d lines" % (len(g), len(w)))' "$got" "$want")
    expect "sqlite3: every row of both runs, medians as in rows.jsonl" "$same" same
    expect "sqlite3: raw repetitions joined to their rows (10 rows x 3 reps)" \
        "$(sqlite3 "$db" "SELECT COUNT(*) FROM ptc_rows r JOIN ptc_reps p USING (run, config_id)")" 30
    expect "sqlite3: a query across the runs (seq 64 BERT in both)" \
        "$(sqlite3 "$db" "SELECT COUNT(DISTINCT run) FROM ptc_rows WHERE seq = 64 AND label = 'BERT'")" 2
else
    fail "sqlite3 is missing: scripts/install-deps.sh installs it"
fi

# ---- ptc table --format tidy: one measurement per line, no composite header ----
"$PTC" table "$A" --format tidy --out "$tmp/tidy.csv" 2>/dev/null
tidy=$($PY - "$tmp/tidy.csv" "$A/rows.jsonl" <<'PY'
import csv, json, sys
lines = list(csv.DictReader(open(sys.argv[1])))
rows = {json.loads(l)["config_id"]: json.loads(l) for l in open(sys.argv[2])}
header = list(lines[0].keys())
problems = [h for h in header if ":" in h or " " in h]
want = 0
for r in rows.values():
    want += len(r["time_s"]["reps"])
    for path in ("time_s.median", "speedup.median", "flops_ratio", "memory.activations"):
        v = r
        for k in path.split("."):
            v = v.get(k) if isinstance(v, dict) else None
        if v is None:
            continue
        got = [l for l in lines if l["config_id"] == r["config_id"] and l["metric"] == path]
        if len(got) != 1 or float(got[0]["value"]) != float(v):
            problems.append("%s %s" % (r["label"], path))
    reps = sorted((int(l["rep"]), float(l["value"])) for l in lines
                  if l["config_id"] == r["config_id"] and l["metric"] == "time_s.rep")
    if [v for _, v in reps] != [float(x) for x in r["time_s"]["reps"]]:
        problems.append("%s reps" % r["label"])
print(header[-3:], "problems:", problems or "none",
      "reps lines ok" if sum(1 for l in lines if l["metric"] == "time_s.rep") == want else "reps count")
PY
)
expect "tidy CSV: metric, rep, value columns; each value the row's, each repetition a line" \
    "$tidy" "['metric', 'rep', 'value'] problems: none reps lines ok"

# ---- the latest run of a CPU folder is the latest finished one ----
cpu="$tmp/cpu"
mkdir -p "$cpu"
cp -r "$A" "$cpu/20260101-000000-old"
cp -r "$B" "$cpu/20260102-000000-new"
expect "a finished bench run leaves no unfinished marker" "$(ls "$A" "$B" | grep -c '^unfinished$')" 0
# the run a CPU folder means, by its rows' run id (A's ends in -a, B's in -b)
latest_run() { "$PTC" table "$cpu" --format tidy 2>"$tmp/latest.err" | awk -F, 'NR == 2 { print $1 }'; }
expect "latest run: the newest when it finished" "$(latest_run)" "$(basename "$B")"
touch "$cpu/20260102-000000-new/unfinished"
expect "latest run: one with an unfinished marker is skipped" "$(latest_run)" "$(basename "$A")"
grep -q 'skipping run 20260102-000000-new (unfinished' "$tmp/latest.err" &&
    ok "latest run: says which run it skipped and why" ||
    fail "latest run: says which run it skipped: $(cat "$tmp/latest.err")"
rm "$cpu/20260102-000000-new/unfinished"
if command -v flock >/dev/null; then
    touch "$cpu/20260102-000000-new/.lock"
    flock "$cpu/20260102-000000-new/.lock" sleep 5 &
    holder=$!
    sleep 0.5
    expect "latest run: one whose lock a writer holds is skipped" "$(latest_run)" "$(basename "$A")"
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
