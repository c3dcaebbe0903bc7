# scripts/test-robustness.sh — hostile-input and kill checks of the ptc program
# (issue 15). Sourced by scripts/run-tests.sh (uses its check / check_output and
# adds to its totals), or run alone from the repository root:
#   PTC_KILLS=20 bash scripts/test-robustness.sh      # the 20-kill versions
# Needs $NATIVE/ptc (build/ptc).
#   sizes   dimensions that overflow size_t, in options and in a config.json
#   kills   train and bench killed (SIGKILL) at random points, PTC_KILLS times
#           each (3 in `make test`), then resumed: train ends bit-identical to an
#           uninterrupted run, with every step logged once; bench loses and
#           duplicates no row. PTC_KILL_SEED fixes the kill times.

# robust_pass LABEL / robust_fail LABEL WHY: count one check
robust_pass() { total_passed=$((total_passed + 1)); echo "ok - $1"; }
robust_fail() { total_failed=$((total_failed + 1)); echo "FAIL - $1: $2"; }

if ! declare -F check_output >/dev/null; then # run alone
    cd "$(dirname "$0")/.." || exit 1
    NATIVE=${NATIVE:-build}
    total_passed=0
    total_failed=0
    robust_alone=1
    check() { # LABEL WANT_RC COMMAND...
        local label=$1 want=$2
        shift 2
        "$@" >/dev/null 2>&1
        local rc=$?
        if [ "$rc" -eq "$want" ]; then robust_pass "$label"; else robust_fail "$label" "exit $rc"; fi
    }
    check_output() { # LABEL PATTERN COMMAND...
        local label=$1 pattern=$2
        shift 2
        if "$@" 2>&1 | grep -qE "$pattern"; then robust_pass "$label"; else robust_fail "$label" "no /$pattern/"; fi
    }
fi
robust_tmp=$(mktemp -d)

# check_one_line LABEL WANT_RC COMMAND...: exit WANT_RC and exactly one line on stderr
check_one_line() {
    local label=$1 want=$2
    shift 2
    local err rc
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -eq "$want" ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [ -n "$err" ]; then
        total_passed=$((total_passed + 1))
        echo "ok - $label"
    else
        total_failed=$((total_failed + 1))
        echo "FAIL - $label: exit $rc (wanted $want), stderr: $(printf '%s' "$err" | head -3 | tr '\n' '|')"
    fi
}

echo "== robustness: sizes from input"
check_one_line "train --hidden 2^62: one-line error" 2 "$NATIVE/ptc" train --data synthetic \
    --hidden 4611686018427387904 --heads 2 --layers 1 --ffn 16 --out "$robust_tmp/h62" --quiet
check_output "train --hidden 10^12: the value as given, no wrapped count" \
    'hidden = 1000000000000 must lie' "$NATIVE/ptc" train --data synthetic \
    --hidden 1000000000000 --heads 2 --layers 1 --ffn 16 --out "$robust_tmp/h12" --quiet
check_one_line "train --synthetic-train 2^62: one-line error" 1 "$NATIVE/ptc" train --data synthetic \
    --synthetic-train 4611686018427387904 --model bert-tiny --out "$robust_tmp/s62" --quiet
check_one_line "train --synthetic-classes 2^62: one-line error" 1 "$NATIVE/ptc" train --data synthetic \
    --synthetic-classes 4611686018427387904 --model bert-tiny --out "$robust_tmp/c62" --quiet
mkdir -p "$robust_tmp/ckpt"
printf '\002\000\000\000\000\000\000\000{}' >"$robust_tmp/ckpt/model.safetensors"
printf '{"hidden_size": 4611686018427387904, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16, "vocab_size": 30522}' \
    >"$robust_tmp/ckpt/config.json"
check_one_line "inspect, config.json hidden_size 2^62: one-line error" 1 \
    "$NATIVE/ptc" inspect "$robust_tmp/ckpt/model.safetensors"
check_one_line "inspect of a directory: one-line error" 1 "$NATIVE/ptc" inspect "$robust_tmp/ckpt"
check_output "inspect of a directory says so" 'not a regular file' "$NATIVE/ptc" inspect "$robust_tmp/ckpt"

echo "== robustness: bad files and outputs"
mkdir -p "$robust_tmp/spec"
: >"$robust_tmp/empty.sweep"
check_one_line "bench --spec DIR: one-line error" 2 "$NATIVE/ptc" bench --spec "$robust_tmp/spec" --dry-run
check_one_line "bench --spec of an empty file: one-line error" 2 "$NATIVE/ptc" bench \
    --spec "$robust_tmp/empty.sweep" --dry-run
rows_file=$(ls results/*/*/rows.jsonl 2>/dev/null | head -1)
if [ -n "$rows_file" ] && [ -w /dev/full ]; then
    check "table ROWS > /dev/full fails" 1 sh -c "'$NATIVE/ptc' table '$rows_file' > /dev/full"
    { printf '\000{"schema":"ptc.row/1"}\n'; head -2 "$rows_file"; } >"$robust_tmp/nul.jsonl"
    check_output "a rows line starting with NUL is reported" 'nul.jsonl:1: malformed' \
        "$NATIVE/ptc" table "$robust_tmp/nul.jsonl"
    check "a rows line starting with NUL fails --strict" 1 "$NATIVE/ptc" table --strict "$robust_tmp/nul.jsonl"
fi
# a group whose configurations together need more memory than is available (they are
# timed interleaved) is refused with its reason in every row, before it allocates
PTC_BENCH_MEM_AVAILABLE_MB=1 "$NATIVE/ptc" bench --level kernel --model bert-tiny --seq 32 \
    --variant baseline,prune --reps 2 --min-time 0.01 --no-calibrate --out "$robust_tmp/mem" \
    >/dev/null 2>&1
mem_rows=$(cat "$robust_tmp"/mem/*/*/rows.jsonl 2>/dev/null)
if [ "$(printf '%s\n' "$mem_rows" | grep '"status":"error"' | grep -c 'MB together.*MB is available')" -eq 2 ]; then
    robust_pass "bench: a group that does not fit in available memory is refused in each row"
else
    robust_fail "bench: a group that does not fit in available memory is refused in each row" \
        "$(printf '%s' "$mem_rows" | head -c 300)"
fi
calibrate_out=$("$NATIVE/ptc" calibrate --quick --out /proc/self/ptc-results 2>&1)
if [ $? -ne 0 ] && ! printf '%s' "$calibrate_out" | grep -q 'peak FMA'; then
    robust_pass "calibrate --out <unwritable folder> fails before measuring"
else
    robust_fail "calibrate --out <unwritable folder> fails before measuring" "$(printf '%s' "$calibrate_out" | head -2 | tr '\n' ' ')"
fi
if command -v valgrind >/dev/null; then
    check "table --kind raw --columns reads no uninitialised memory (valgrind)" 0 valgrind -q \
        --error-exitcode=9 "$NATIVE/ptc" table --kind raw --columns config_id,time_s.median \
        tests/harness/data/rows_main.jsonl
    # each process (the forked group workers too) logs to its own file
    for out in /proc/self/ptc-results "$robust_tmp/vg"; do
        rm -f "$robust_tmp"/vg-*.log
        valgrind -q --leak-check=full --log-file="$robust_tmp/vg-%p.log" "$NATIVE/ptc" bench \
            --level kernel --model bert-tiny --seq 32 --variant baseline,prune --reps 2 \
            --min-time 0.002 --no-calibrate --out "$out" >/dev/null 2>&1
        if grep -qE 'definitely lost|indirectly lost|Invalid' "$robust_tmp"/vg-*.log; then
            robust_fail "bench (out $out) frees what it allocates (valgrind)" \
                "$(grep -hE -A2 'definitely lost|indirectly lost|Invalid' "$robust_tmp"/vg-*.log | head -3 | tr '\n' ' ')"
        else
            robust_pass "bench (out $out) frees what it allocates (valgrind, forked workers too)"
        fi
    done
fi

cpus=$(taskset -pc $$ 2>/dev/null | sed 's/.*: //')
last_cpu=$(nproc --all 2>/dev/null)
last_cpu=$(( ${last_cpu:-1} - 1 ))
if command -v taskset >/dev/null && [ "$last_cpu" -ge 1 ] && taskset -c "$last_cpu" true 2>/dev/null; then
    echo "== robustness: CPUs allowed (taskset -c $last_cpu; the shell may use $cpus)"
    taskset -c "$last_cpu" "$NATIVE/ptc" bench --level kernel --model bert-tiny --seq 32 --variant baseline \
        --reps 2 --min-time 0.002 --no-calibrate --out "$robust_tmp/cpus" >/dev/null 2>&1
    want="\"binding\":\"pu:$last_cpu\",\"cpus_allowed\":\"$last_cpu\",\"binding_verified\":true"
    if grep -qF "$want" "$robust_tmp"/cpus/*/*/rows.jsonl 2>/dev/null; then
        robust_pass "taskset -c $last_cpu ptc bench: bound to and verified on CPU $last_cpu, recorded in the row"
    else
        robust_fail "taskset -c $last_cpu ptc bench binds there" "$(grep -ohE '"binding":"[^"]*"[^}]{0,60}' "$robust_tmp"/cpus/*/*/rows.jsonl 2>/dev/null | head -1)"
    fi
    check_one_line "taskset -c $last_cpu ptc bench --threads 2: refused" 2 taskset -c "$last_cpu" \
        "$NATIVE/ptc" bench --level kernel --model bert-tiny --seq 32 --threads 2 --dry-run
    cal=$(taskset -c "$last_cpu" "$NATIVE/ptc" calibrate --quick --out "$robust_tmp/cal" 2>&1)
    if [ $? -eq 0 ] && printf '%s' "$cal" | grep -q '1 thread' && ! printf '%s' "$cal" | grep -q '2 thread'; then
        robust_pass "taskset -c $last_cpu ptc calibrate measures 1 thread only"
    else
        robust_fail "taskset -c $last_cpu ptc calibrate measures 1 thread only" "$(printf '%s' "$cal" | grep thread | tr '\n' ' ')"
    fi
fi

# run_and_kill MS COMMAND...: runs COMMAND in its own process group and SIGKILLs it
# (the group too, as a job scheduler would) after MS ms unless it finished first;
# prints "killed" or "finished RC"
run_and_kill() {
    local ms=$1
    shift
    setsid "$@" >/dev/null 2>>"$robust_tmp/kill-stderr.log" &
    local pid=$!
    local end=$(($(date +%s%N) / 1000000 + ms))
    while kill -0 "$pid" 2>/dev/null && [ $(($(date +%s%N) / 1000000)) -lt "$end" ]; do
        sleep 0.01
    done
    if kill -KILL -- "-$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null
        echo killed
    else
        wait "$pid"
        echo "finished $?"
    fi
}

# the training log without what a resume may change (time, throughput, memory,
# the epoch's mean train loss over the steps since the resume)
log_key() {
    sed -E -e 's/"time_s":[^,]*,//' -e 's/,"train_loss".*//' "$1"
}

kills=${PTC_KILLS:-3}
kill_seed=${PTC_KILL_SEED:-$$}
RANDOM=$kill_seed
echo "== robustness: kills ($kills each, seed $kill_seed)"
train_args=(train --data synthetic --synthetic-train 96 --synthetic-dev 16 --synthetic-test 16
    --max-len 32 --model bert-tiny --hidden 32 --heads 2 --ffn 64 --layers 2 --variant PFC --lc 2
    --epochs 3 --batch 8 --save-every 1 --threads 1 --seed 7 --quiet)
ref=$robust_tmp/train-ref run=$robust_tmp/train-killed
t0=$(date +%s%N)
"$NATIVE/ptc" "${train_args[@]}" --out "$ref"
run_ms=$((($(date +%s%N) - t0) / 1000000 + 1))
n_killed=0 n_resumed=0 n_done=0 bad=""
train_has_ckpt() { [ -d "$run/last" ] || [ -d "$run/last.prev" ]; }
train_compare() { # the finished run in $run against the uninterrupted one
    local f
    for f in last/model.safetensors last/state best.safetensors; do
        cmp -s "$ref/$f" "$run/$f" || bad="$bad; run $n_done: $f differs"
    done
    cmp -s <(log_key "$ref/train_log.jsonl") <(log_key "$run/train_log.jsonl") ||
        bad="$bad; run $n_done: train_log.jsonl differs (lost or duplicated lines)"
    n_done=$((n_done + 1))
}
# kills until KILLS landed (at most 6 x KILLS starts); a run that finishes between
# kills is compared and started afresh, so every kill lands inside a run
for ((k = 0; k < 6 * kills && n_killed < kills; k++)); do
    delay=$((RANDOM % run_ms)) # drawn here: $RANDOM does not advance in a $(...)
    resume=()
    if train_has_ckpt; then
        resume=(--resume)
        n_resumed=$((n_resumed + 1))
    fi
    got=$(run_and_kill "$delay" "$NATIVE/ptc" "${train_args[@]}" --out "$run" "${resume[@]}")
    case "$got" in
        killed) n_killed=$((n_killed + 1)) ;;
        "finished 0") train_compare; rm -rf "$run" ;;
        *) bad="$bad; try $k: $got" ;;
    esac
done
resume=()
train_has_ckpt && resume=(--resume)
"$NATIVE/ptc" "${train_args[@]}" --out "$run" "${resume[@]}" 2>>"$robust_tmp/kill-stderr.log" ||
    bad="$bad; the final run failed"
train_compare
if [ -z "$bad" ]; then
    robust_pass "train: $n_killed kills ($n_resumed resumed starts, $n_done runs): each ends bit-identical to an uninterrupted run, every step logged once"
else
    robust_fail "train killed $n_killed times" "${bad#; } (seed $kill_seed; stderr: $(tail -2 "$robust_tmp/kill-stderr.log" | tr '\n' ' '))"
fi

bench_args=(bench --level kernel --model bert-tiny --seq 32-256*2 --variant baseline,prune
    --rule clamp,topk --p 0.9,0.8,0.7 --reps 3 --min-time 0.01 --no-calibrate --threads 1)
t0=$(date +%s%N)
"$NATIVE/ptc" "${bench_args[@]}" --out "$robust_tmp/bench-ref" --name kt >/dev/null 2>&1
run_ms=$((($(date +%s%N) - t0) / 1000000 + 1))
ids() { # the sorted config ids of the rows files under $1 (one run folder)
    cat "$1"/*/*/rows.jsonl | sed -E 's/^.*"config_id":"([^"]*)".*$/\1/' | sort
}
out=$robust_tmp/bench-killed
n_killed=0 n_done=0 bad=""
bench_step() { # one start or resume of the killed bench (killed within $1 ms; 0: never)
    local runs
    runs=$(ls -d "$out"/*/*-kt 2>/dev/null)
    for r in $runs; do # a kill before sweep.txt: not a run folder yet
        [ -f "$r/sweep.txt" ] || rm -rf "$r"
    done
    local cmd=("$NATIVE/ptc" "${bench_args[@]}" --out "$out" --name kt)
    if ls "$out"/*/*-kt/sweep.txt >/dev/null 2>&1; then
        cmd=("$NATIVE/ptc" bench --out "$out" --resume --name kt)
    fi
    if [ "$1" -eq 0 ]; then
        "${cmd[@]}" >/dev/null 2>>"$robust_tmp/kill-stderr.log"
        echo "finished $?"
    else
        run_and_kill "$1" "${cmd[@]}"
    fi
}
bench_compare() { # the finished run under $out against the uninterrupted one
    local n_runs
    n_runs=$(ls -d "$out"/*/*-kt 2>/dev/null | wc -l)
    [ "$n_runs" -eq 1 ] || bad="$bad; run $n_done: $n_runs run folders"
    cmp -s <(ids "$robust_tmp/bench-ref") <(ids "$out") ||
        bad="$bad; run $n_done: $(diff <(ids "$robust_tmp/bench-ref") <(ids "$out") | grep -c '^[<>]') ids lost or twice"
    if grep -qv '}$' "$out"/*/*-kt/rows.jsonl; then
        bad="$bad; run $n_done: a row line cut short"
    fi
    n_done=$((n_done + 1))
}
for ((k = 0; k < 6 * kills && n_killed < kills; k++)); do
    got=$(bench_step $((RANDOM % run_ms + 1)))
    case "$got" in
        killed) n_killed=$((n_killed + 1)) ;;
        "finished 0") bench_compare; rm -rf "$out" ;;
        *) bad="$bad; try $k: $got" ;;
    esac
done
got=$(bench_step 0)
[ "$got" = "finished 0" ] || bad="$bad; final run: $got"
bench_compare
if [ -z "$bad" ]; then
    robust_pass "bench: $n_killed kills, $n_done runs resumed to the end: each has the $(ids "$robust_tmp/bench-ref" | wc -l) rows of an uninterrupted run, none twice"
else
    robust_fail "bench killed $n_killed times" "${bad#; } (seed $kill_seed)"
fi

rm -rf "$robust_tmp"
if [ -n "${robust_alone:-}" ]; then
    echo "$total_passed passed, $total_failed failed"
    [ "$total_failed" -eq 0 ]
fi
