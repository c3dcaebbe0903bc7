#!/usr/bin/env bash
# scripts/run-tests.sh — run every ISA's tests the way this machine can, and say how.
#
# Called by `make test` after the native (build/) and aarch64 (build/aarch64/)
# builds exist. For each ops table:
#   ref, avx2        natively (the CPU must have AVX2 for avx2, else it is reported not run)
#   avx512           natively when the CPU has AVX-512, else under Bochs
#                    (scripts/bochs/run-avx512.sh); PTC_TEST_AVX512=emulated forces Bochs
#   neon             the aarch64 build under qemu-aarch64-static
# plus checks of the `ptc` program (dispatch, forced ISA, fallback without AVX2), the dataset
# download against local fixtures (tests/fetch/), the README tour in a fresh clone (tests/tour/)
# and make install + pkg-config.
# An ISA that should run and did not is a failure. The last line is the total:
# "N passed, N failed".
set -uo pipefail

cd "$(dirname "$0")/.."
NATIVE=build
CROSS=build/aarch64
LOG_DIR=build/test-logs
mkdir -p "$LOG_DIR"

total_passed=0
total_failed=0
declare -A how   # ISA -> how it ran (or why it did not)

# Runs one test binary invocation; adds its "N passed, N failed" to the totals.
#   run_suite LABEL LOGFILE COMMAND...
run_suite() {
    local label=$1 log=$2
    shift 2
    echo "== $label: $*"
    "$@" >"$log" 2>&1
    local rc=$?
    grep -E '^(FAIL|# )' "$log" | head -40
    local summary
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
    if [ -z "$summary" ]; then
        echo "   $label: no result line (exit $rc); last lines of $log:"
        tail -5 "$log" | sed 's/^/   | /'
        total_failed=$((total_failed + 1))
        return 1
    fi
    local p f
    p=${summary%% passed*}
    f=${summary#*, }
    f=${f%% failed}
    echo "   $label: $summary (exit $rc)"
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        total_failed=$((total_failed + 1))
        return 1
    fi
    [ "$rc" -eq 0 ]
}

# A single program check: check LABEL EXPECTED_RC COMMAND... (stdout+stderr kept in the log)
check() {
    local label=$1 want=$2
    shift 2
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$want" ]; then
        total_passed=$((total_passed + 1))
        echo "ok - $label"
    else
        total_failed=$((total_failed + 1))
        echo "FAIL - $label: exit $rc, wanted $want; output: $(echo "$out" | tail -2 | tr '\n' ' ')"
    fi
}
check_output() { # check_output LABEL PATTERN COMMAND...
    local label=$1 pattern=$2
    shift 2
    local out
    out=$("$@" 2>&1)
    if echo "$out" | grep -qE "$pattern"; then
        total_passed=$((total_passed + 1))
        echo "ok - $label"
    else
        total_failed=$((total_failed + 1))
        echo "FAIL - $label: output lacks /$pattern/: $(echo "$out" | tail -3 | tr '\n' ' ')"
    fi
}

# ---- native tables --------------------------------------------------------------
tables_native=$("$NATIVE/ptc_tests" --list >/dev/null 2>&1 && "$NATIVE/ptc" info 2>/dev/null |
    awk '/^  [a-z0-9]+ +runs/ {print $1}')
force_emulated=${PTC_TEST_AVX512:-}
for isa in $tables_native; do
    if [ "$isa" = avx512 ] && [ "$force_emulated" = emulated ]; then
        continue
    fi
    if run_suite "$isa (native)" "$LOG_DIR/$isa-native.log" env PTC_ISA="$isa" "$NATIVE/ptc_tests" --isa "$isa"; then
        how[$isa]="native"
    else
        how[$isa]="native, FAILED"
    fi
done
for isa in ref avx2; do
    [ -n "${how[$isa]:-}" ] || how[$isa]="NOT RUN (CPU cannot run it natively)"
done

# ---- avx512: natively above, else under Bochs -----------------------------------------
if [ -z "${how[avx512]:-}" ]; then
    if [ -x scripts/bochs/run-avx512.sh ]; then
        if run_suite "avx512 (Bochs)" "$LOG_DIR/avx512-bochs.log" \
            scripts/bochs/run-avx512.sh --timeout 1500 --file tests/data \
            "$NATIVE/ptc_tests" --isa avx512 --quick; then
            how[avx512]="emulated (Bochs, quick shapes)"
        else
            how[avx512]="emulated (Bochs), FAILED"
        fi
    else
        how[avx512]="NOT RUN (no Bochs runner)"
        total_failed=$((total_failed + 1))
    fi
fi

# ---- neon: the aarch64 build under qemu ------------------------------------------------
QEMU_ARM="qemu-aarch64-static -L /"
if [ -x "$CROSS/ptc_tests" ] && command -v qemu-aarch64-static >/dev/null; then
    if run_suite "neon (qemu-aarch64)" "$LOG_DIR/neon-qemu.log" \
        $QEMU_ARM "$CROSS/ptc_tests" --isa neon --quick; then
        how[neon]="qemu-aarch64 (quick shapes)"
    else
        how[neon]="qemu-aarch64, FAILED"
    fi
    check_output "aarch64 ptc info chooses neon" '^chosen: +neon' $QEMU_ARM "$CROSS/ptc" info
    arm_out=$(mktemp -d)
    check_output "aarch64 ptc bench times without Google Benchmark (fallback timer)" \
        '^2 rows written \(2 ok, 0 error\)' $QEMU_ARM "$CROSS/ptc" bench --level kernel \
        --model bert-tiny --seq 32 --variant baseline,prune --reps 2 --min-time 0.005 \
        --no-calibrate --out "$arm_out"
    rm -rf "$arm_out"
else
    how[neon]="NOT RUN (no aarch64 build or no qemu-aarch64-static)"
    total_failed=$((total_failed + 1))
fi

# ---- the harness (sweeps, rows, tables, plots): ptc_harness_tests ----
if [ -x "$NATIVE/ptc_harness_tests" ]; then
    run_suite "harness" "$LOG_DIR/harness.log" "$NATIVE/ptc_harness_tests"
fi

# ---- a pruning variant whose plan prunes no layer is warned about (PFC at L_c 3 of 4 is C) ----
warn_tmp=$(mktemp -d)
warn_train() { "$NATIVE/ptc" train --data synthetic --model bert-tiny --layers 4 --max-steps 1 \
    --epochs 1 --threads 1 --no-progress --out "$warn_tmp/$1" "${@:2}" 2>&1; }
check_output "train warns: PFC at L_c 3 of 4 layers prunes nothing" 'prunes no layer.*what C computes' \
    warn_train a --variant PFC --lc 3
warn_train b --variant PFC --lc 4 >"$warn_tmp/b.log"
check "train: PFC at L_c 4 of 4 layers prunes layer 3 (no warning)" 1 \
    grep -q "prunes no layer" "$warn_tmp/b.log"
rm -rf "$warn_tmp"

# ---- shards of a sweep, and ptc on a real single-node Slurm (tests/slurm/test_slurm.sh) ----
echo "== shards and Slurm"
shard_tmp=$(mktemp -d)
shard_ids() { "$NATIVE/ptc" bench "$@" --dry-run --out "$shard_tmp" | sed -n 's/^id //p' | sort; }
sweep_ids=$(shard_ids --level kernel,encoder --model bert-tiny --seq 32,64 --p 0.9,0.7 --lc 1,2 \
    --variant baseline,prune,combine,combined --shard 1/1)
shard_union=$(for i in 1 2 3; do
    shard_ids --level encoder,kernel --model bert-tiny --seq 64,32 --p 0.7,0.9 --lc 2,1 \
        --variant combined,combine,prune,baseline --shard "$i/3"
done | sort)
check "--shard 1/3, 2/3, 3/3 of a sweep with permuted values: disjoint, together the sweep" 0 \
    test -n "$sweep_ids" -a "$sweep_ids" = "$shard_union"
rm -rf "$shard_tmp"
# exit 77 (Slurm cannot start here) is a skip: it adds nothing to the passed count
if run_suite "slurm (single-node, real daemons)" "$LOG_DIR/slurm.log" bash -c \
    'timeout 300 bash tests/slurm/test_slurm.sh "$0"; rc=$?; [ "$rc" -eq 77 ] && exit 0; exit "$rc"' \
    "$NATIVE/ptc"; then
    how[slurm]="real single-node Slurm (tests/slurm/test_slurm.sh)"
else
    how[slurm]="real single-node Slurm, FAILED"
fi
if grep -q '^SKIPPED: ' "$LOG_DIR/slurm.log"; then
    how[slurm]="SKIPPED: $(sed -n 's/^SKIPPED: slurm test: //p' "$LOG_DIR/slurm.log" | head -1)"
    echo "   ${how[slurm]}"
fi

# (the Google Benchmark shim and the peak measurement: gbench_shim_and_peak in ptc_harness_tests)

# ---- scripts/download-datasets.sh against local fixture archives (127.0.0.1 only), and the
#      README's tour run in a fresh clone at small sizes (tests/fetch/, tests/tour/) ----
run_suite "dataset download (local fixture server)" "$LOG_DIR/download.log" bash tests/fetch/test-download.sh
run_suite "README tour (fresh clone, small sizes)" "$LOG_DIR/tour.log" bash tests/tour/test-tour.sh

# ---- the ptc program: dispatch as a user sees it --------------------------------------
echo "== ptc program checks"
check "ptc info runs" 0 "$NATIVE/ptc" info
check "PTC_ISA=ref ptc info" 0 env PTC_ISA=ref "$NATIVE/ptc" info
check_output "PTC_ISA=ref is chosen" '^chosen: +ref \(forced' env PTC_ISA=ref "$NATIVE/ptc" info
check "PTC_ISA=nosuch is refused" 1 env PTC_ISA=nosuch "$NATIVE/ptc" info
check "unknown command is refused" 2 "$NATIVE/ptc" frobnicate
check "ptc inspect reads a transformers-style checkpoint" 0 "$NATIVE/ptc" inspect tests/data/tiny_bert/model.safetensors
check "ptc inspect refuses a missing file" 1 "$NATIVE/ptc" inspect /nonexistent/model.safetensors
check "ptc experiment: kills + --resume lose and duplicate no run (tests/scripts/experiment_kill.sh)" 0 \
    bash tests/scripts/experiment_kill.sh "$NATIVE/ptc"
check "ptc experiment: 2 shards started together train each run once; merged tables = unsharded; a live train folder is refused (tests/scripts/experiment_shards.sh)" 0 \
    bash tests/scripts/experiment_shards.sh "$NATIVE/ptc"
check "ptc experiment with TopK, LTP, ToMe: rows, table2, tests and plot name them with their keep ratio / r (tests/scripts/token_tables.sh)" 0 \
    bash tests/scripts/token_tables.sh "$NATIVE/ptc"
if command -v qemu-x86_64-static >/dev/null; then
    check_output "no AVX2 (qemu -cpu Nehalem): ref chosen" '^chosen: +ref$' \
        qemu-x86_64-static -cpu Nehalem "$NATIVE/ptc" info
    check "no AVX2 (qemu -cpu Nehalem): PTC_ISA=avx2 refused" 1 \
        env PTC_ISA=avx2 qemu-x86_64-static -cpu Nehalem "$NATIVE/ptc" info
    check "no AVX-512 (qemu -cpu Nehalem): PTC_ISA=avx512 refused" 1 \
        env PTC_ISA=avx512 qemu-x86_64-static -cpu Nehalem "$NATIVE/ptc" info
    check_output "no AVX2 (qemu -cpu Nehalem): ref kernels pass" '^[0-9]+ passed, 0 failed$' \
        qemu-x86_64-static -cpu Nehalem "$NATIVE/ptc_tests" --quick
fi

# ---- make bench-peers: PyTorch rows that ptc table and ptc compare read ----
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    peers_dir=$(mktemp -d)
    check "bench_peers.py writes PyTorch rows (seq 8, 1 rep)" 0 \
        /usr/bin/python3 scripts/bench_peers.py --out "$peers_dir" --seqs 8 --threads 1 --reps 1 --ptc "$NATIVE/ptc"
    peers_slug=$("$NATIVE/ptc" info | awk '/^slug:/ {print $2}')
    check "bench_peers.py writes under ptc info's slug ($peers_slug)" 0 \
        test -s "$(ls -d "$peers_dir/$peers_slug"/*-peers-torch 2>/dev/null | head -1)/rows.jsonl"
    check "bench_peers.py without a ptc program: a one-line error, exit 1" 1 \
        /usr/bin/python3 scripts/bench_peers.py --out "$peers_dir" --seqs 8 --threads 1 --reps 1 --ptc /nonexistent/ptc
    check_output "ptc table shows the PyTorch rows" '\| PyTorch \|' \
        "$NATIVE/ptc" table "$peers_dir/$peers_slug"/*/rows.jsonl
    check_output "bench_peers.py rows record the CPU seconds per wall second of a 1-thread child" \
        '"status":"ok".*"cpu_per_wall":(0\.[0-9]+|1\.0[0-9]*)[,}]' cat "$peers_dir"/*/*/rows.jsonl
    check "bench_peers.py refuses bad --seqs" 2 \
        /usr/bin/python3 scripts/bench_peers.py --out "$peers_dir" --seqs x
    rm -rf "$peers_dir"
fi

# ---- a run's outputs in researchers' tools (compare.py on gbench.json, sqlite3, tidy CSV),
#      and the progress lines ----
run_suite "interop (compare.py, ptc compare U test, sqlite3, tidy CSV, latest finished run)" \
    "$LOG_DIR/interop.log" bash tests/report/test-interop.sh "$NATIVE/ptc"
run_suite "progress lines (ptc bench, ptc experiment)" "$LOG_DIR/progress.log" \
    bash tests/report/test-progress.sh "$NATIVE/ptc"
# ---- sweep plots of experiment rows: the ratio axis ranges on the points, not on the intervals
#      (two seeds of timings under load give t-intervals to ~1800x; the committed BBC rows have them) ----
plot_dir=$(mktemp -d)
"$NATIVE/ptc" plot --no-render --out "$plot_dir" results/accuracy/2026-12-bbc6 >"$LOG_DIR/plot-sweeps.log" 2>&1
check "table5_lc: the ratio axis is capped at 1.5x its largest point (intervals clipped)" 0 \
    grep -Eq '^set y2range \[\*<0\.9:1\.1<\*<1[0-9](\.[0-9]+)?\]$' "$plot_dir/table5_lc.gp"
check "accuracy_vs_speedup-bbc: the speedup axis spans the points (and 1) with a 1.5x margin, not the intervals" 0 \
    python3 - "$plot_dir/accuracy_vs_speedup-bbc.gp" "$plot_dir/accuracy_vs_speedup-bbc.dat" <<'PY'
import re, sys
lo, hi = map(float, re.search(r"^set xrange \[([0-9.e+-]+):([0-9.e+-]+)\]$", open(sys.argv[1]).read(), re.M).groups())
points, interval_ends = [1.0], []
for line in open(sys.argv[2]):
    f = line.split()
    if f and not line.startswith("#"):
        points.append(float(f[0]))
        interval_ends.append(float(f[2]))
want_lo, want_hi = min(points) / 1.5, max(points) * 1.5
assert abs(lo - want_lo) <= 1e-3 * want_lo and abs(hi - want_hi) <= 1e-3 * want_hi, (lo, hi, want_lo, want_hi)
assert max(interval_ends) > hi, "no interval reaches past the axis: the check would not tell points from intervals"
PY
rm -rf "$plot_dir"

# ---- per-op time in bench rows (op_time_s) and ptc table --kind ops ----
ops_dir=$(mktemp -d)
"$NATIVE/ptc" bench --level layer,encoder --model 64,4,2,128 --seq 48 --variant BERT,PF,PFC --lc 4 \
    --reps 3 --min-time 0.002 --no-calibrate --out "$ops_dir/separate" >"$LOG_DIR/bench-ops.log" 2>&1
check "bench rows carry op_time_s: categories >= 0, their sum <= total, pruning layers score and select" 0 \
    python3 - "$ops_dir"/separate/*/*/rows.jsonl <<'PY'
import json, sys
cats = ["linear", "attention", "scoring", "selection", "combining", "norm", "activation", "other"]
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 5 and all(r["status"] == "ok" for r in rows), [r.get("error") for r in rows]
for r in rows:
    o = r["op_time_s"]
    assert all(o[c] >= 0 for c in cats), o
    total = sum(o[c] for c in cats)
    assert total <= o["total"] * (1 + 1e-9) + 1e-6, (r["label"], o)  # no lower bound: load
    prunes = r["variant"] in ("prune", "combined")
    assert (o["scoring"] > 0 and o["selection"] > 0) == prunes, (r["level"], r["label"], o)
    assert (o["combining"] > 0) == (r["variant"] in ("combine", "combined")), (r["label"], o)
PY
check_output "ptc table --kind ops shows the pruned layer's scoring + selection" \
    '^\| layer \| PF \| [0-9.]+ \| [0-9.]+ \| 0.0 \| [0-9.]+ \|' \
    "$NATIVE/ptc" table --kind ops "$ops_dir"/separate/*/*/rows.jsonl
PTC_QKV=fused "$NATIVE/ptc" bench --level layer,encoder --model 64,4,2,128 --seq 48 --variant BERT,PF \
    --reps 2 --min-time 0.002 --no-calibrate --out "$ops_dir/fused" >>"$LOG_DIR/bench-ops.log" 2>&1
check "PTC_QKV=fused: rows ok and say qkv fused (the default says separate)" 0 \
    python3 - "$ops_dir"/fused/*/*/rows.jsonl "$ops_dir"/separate/*/*/rows.jsonl <<'PY'
import json, sys
fused = [json.loads(l) for l in open(sys.argv[1])]
assert len(fused) == 4 and all(r["status"] == "ok" and r["qkv"] == "fused" for r in fused), fused
separate = [json.loads(l) for l in open(sys.argv[2])]
assert all(r["qkv"] == "separate" for r in separate), [r["qkv"] for r in separate]
PY
check_output "PTC_QKV=bogus: error rows, not a crash" '0 ok, 2 error' env PTC_QKV=bogus \
    "$NATIVE/ptc" bench --level layer --model 64,4,2,128 --seq 48 --variant BERT,PF --reps 2 \
    --min-time 0.002 --no-calibrate --out "$ops_dir/bogus"
rm -rf "$ops_dir"

# ---- hostile input and kills (issue 15) ----
source scripts/test-robustness.sh

# ---- make install: shared and static library through pkg-config, every program, --version,
#      the man page and bash completion (tests/install/test-install.sh) ----
run_suite "make install (pkg-config consumer, programs, man page, completion)" "$LOG_DIR/install.log" \
    bash tests/install/test-install.sh

# ---- summary ---------------------------------------------------------------------------
echo
echo "ISA tables and how they were tested:"
for isa in ref avx2 avx512 neon; do
    printf '  %-7s %s\n' "$isa" "${how[$isa]}"
done
printf '  %-7s %s\n' "slurm" "${how[slurm]:-not run}"
echo "logs: $LOG_DIR/"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
