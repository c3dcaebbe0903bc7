#!/usr/bin/env bash
# tests/report/test-interop.sh PTC — a `ptc bench` run's outputs in the tools researchers
# use: Google Benchmark's compare.py (Debian libbenchmark-tools) on two different sweeps
# matches exactly the configurations they share, and its U test's p-values are the ones
# `ptc compare` prints; `ptc table --format sql` loads into sqlite3 and queries back the
# rows' medians; `--tidy` CSV has one measurement per row.
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
        --p "$3" --reps 3 --min-time 0.002 --no-calibrate --out "$1" >"$1.log" 2>&1
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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
