#!/usr/bin/env bash
# fuzz/run.sh BUILD SECONDS TARGET... — runs each libFuzzer target for SECONDS on
# its committed seeds (fuzz/corpus/<target>/) plus what earlier runs found
# (BUILD/corpus/<target>/, where new inputs go). Stops at the first target that
# crashes, hangs (10 s per input), leaks or exceeds 2 GiB; the input that did it
# is left as BUILD/crash-* (reproduce: BUILD/fuzz/<target> FILE).
set -uo pipefail
cd "$(dirname "$0")/.."
build=$1 seconds=$2
shift 2
export OMP_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
failed=0
for t in "$@"; do
    mkdir -p "$build/corpus/$t" "fuzz/corpus/$t"
    log="$build/$t.log"
    "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 \
        -print_final_stats=1 -artifact_prefix="$build/crash-$t-" \
        "$build/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    if [ "$rc" -eq 0 ]; then
        echo "fuzz $t: ${runs:-?} inputs in ${seconds} s, no crash ($(grep -c . <(ls "$build/corpus/$t")) in its corpus)"
    else
        failed=1
        echo "fuzz $t: FAILED (exit $rc); $log:"
        grep -E 'ERROR|SUMMARY|#[0-9]+ 0x|Test unit written' "$log" | head -20 | sed 's/^/  /'
    fi
done
exit $failed
