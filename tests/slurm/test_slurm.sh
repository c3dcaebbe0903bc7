#!/usr/bin/env bash
# tests/slurm/test_slurm.sh — ptc on a real Slurm: a single-node cluster started here from
# Debian's packages (munge, slurmctld, slurmd; scripts/install-deps.sh installs them).
#
#   tests/slurm/test_slurm.sh [PTC]        (PTC: the program, build/ptc by default)
#
# What it checks, with `ptc slurm ... --submit` (4-task job arrays):
#   - a small timing sweep (ptc bench) and a small experiment (synthetic data, bert-tiny)
#     each run as 4 shards; one task of each is requeued (`scontrol requeue JOB_TASK`)
#     while it runs (the bench task after its first rows), and its shard resumes;
#   - no shard folder holds a config_id twice (nothing duplicated by the requeue);
#   - `ptc status` says every shard is done; `ptc merge` of the shards holds every
#     configuration of a one-machine run (`--dry-run` of the unsharded command) exactly
#     once; `ptc table` reads the merged runs.
# It stops the daemons it started (by the pids in their pid files) and removes its
# folder (PTC_SLURM_KEEP=1 keeps it). Where Slurm cannot start here (not root, packages
# missing, a daemon that does not come up) it prints one "SKIPPED: ..." line (then the
# counts so far) and exits 77: skipped, not passed. Otherwise the last line is "N passed, N failed". Runs take
# about a minute and a half on 2 cores; one Slurm test at a time on a machine
# (/tmp/ptc-slurm-test.lock).
set -uo pipefail
cd "$(dirname "$0")/../.."
PTC=$(realpath "${1:-build/ptc}")
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - slurm: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - slurm: $*"; }
check() { # check LABEL CONDITION-COMMAND...
    local label=$1
    shift
    if "$@"; then ok "$label"; else bad "$label"; fi
}
skip() {
    echo "SKIPPED: slurm test: $*"
    echo "$passed passed, $failed failed"
    exit 77
}

[ -x "$PTC" ] || skip "no program $PTC (build it first)"
[ "$(id -u)" -eq 0 ] || skip "needs root to start munged, slurmctld and slurmd"
for b in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd munge unmunge sbatch scontrol squeue sinfo; do
    command -v "$b" >/dev/null 2>&1 ||
        skip "$b is missing (scripts/install-deps.sh installs munge slurmctld slurmd slurm-client)"
done
exec 9>/tmp/ptc-slurm-test.lock
flock -w 240 9 || skip "another Slurm test has held /tmp/ptc-slurm-test.lock for 4 minutes"

S=$(mktemp -d /tmp/ptc-slurm-XXXXXX)
chmod 755 "$S"
started_munged=""
cleanup() {
    if [ -n "${SLURM_CONF:-}" ] && [ -f "$S/slurmctld.pid" ]; then
        scancel --quiet "${bench_job:-0}" "${exp_job:-0}" 2>/dev/null
        for _ in $(seq 50); do
            [ -z "$(squeue -h 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
    local f pid
    for f in "$S/slurmd.pid" "$S/slurmctld.pid" $started_munged; do
        pid=$(cat "$f" 2>/dev/null) || continue
        kill "$pid" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    done
    if [ -n "${PTC_SLURM_KEEP:-}" ]; then echo "# kept $S"; else rm -rf "$S"; fi
}
trap cleanup EXIT

# ---- munge: reuse a working daemon, else start one -------------------------------------
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    if [ ! -s /etc/munge/munge.key ]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
        chown munge:munge /etc/munge/munge.key
        chmod 0400 /etc/munge/munge.key
    fi
    mkdir -p /run/munge && chown munge:munge /run/munge
    su -s /bin/sh munge -c /usr/sbin/munged || skip "munged does not start"
    started_munged=/run/munge/munged.pid
    for _ in $(seq 30); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.1
    done
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 || skip "munge does not work (munge -n | unmunge)"
fi

# ---- slurmctld and slurmd with a configuration of our own ---------------------------------
host=$(hostname)
cpus=$(nproc)
mem_mb=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
port=$((30000 + RANDOM % 20000))
mkdir -p "$S/state" "$S/spool"
cat >"$S/slurm.conf" <<CONF
ClusterName=ptctest
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmUser=root
SlurmdUser=root
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
KillWait=2
MinJobAge=300
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=ptctest Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$S/slurm.conf
/usr/sbin/slurmctld -f "$SLURM_CONF" || skip "slurmctld does not start: $(tail -1 "$S/slurmctld.log" 2>/dev/null)"
/usr/sbin/slurmd -f "$SLURM_CONF" || skip "slurmd does not start: $(tail -1 "$S/slurmd.log" 2>/dev/null)"
for _ in $(seq 100); do
    [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && break
    sleep 0.2
done
[ "$(sinfo -h -o %T 2>/dev/null)" = idle ] ||
    skip "the node is not idle after 20 s ($(sinfo -h -o %T 2>&1 | head -1)); see $S/slurmd.log"
echo "# slurm: $(sinfo -V) on $host, $cpus CPUs, in $S"

# ---- the sweep and the experiment ----------------------------------------------------------
# bench: 8 configurations in 2 groups; each shard has one configuration of each group, so
# a shard writes rows twice (a requeue after its first rows is mid-run).
BENCH=(--level kernel --model bert-tiny --seq 32,64 --variant baseline,prune --p 0.9,0.7,0.5
    --reps 4 --min-time 0.25 --no-calibrate --out "$S/results")
EXP=(--data synthetic --synthetic-train 128 --synthetic-dev 32 --synthetic-test 32 --max-len 32
    --model bert-tiny --epochs 1 --threads 1 --variants baseline,PF,C --seeds 1,2
    --work "$S/work" --out "$S/accuracy/tinyexp")
"$PTC" bench "${BENCH[@]}" --dry-run --shard 1/1 | sed -n 's/^id //p' | sort >"$S/want-bench"
"$PTC" experiment "${EXP[@]}" --dry-run | sed -n 's/^id //p' | sort >"$S/want-exp"
check "one-machine sweep has 8 configurations, experiment 6 trainings" \
    test "$(wc -l <"$S/want-bench")" -eq 8 -a "$(wc -l <"$S/want-exp")" -eq 6

submit() { # submit NAME OUTFILE ptc-slurm-args...
    local name=$1
    shift
    "$PTC" slurm "$@" --shards 4 --name "$name" --dir "$S/slurm" --submit >"$S/submit-$name.txt" 2>&1
    sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$S/submit-$name.txt"
}
bench_job=$(submit tiny bench "${BENCH[@]}")
exp_job=$(submit tinyexp experiment "${EXP[@]}")
if [ -z "$bench_job" ] || [ -z "$exp_job" ]; then
    bad "ptc slurm --submit: $(cat "$S"/submit-*.txt | tr '\n' ' ')"
    echo "$passed passed, $failed failed"
    exit 1
fi
ok "ptc slurm --submit: bench job $bench_job, experiment job $exp_job (4 tasks each)"
grep -q -- '--cpus-per-task=1' "$S/slurm/tiny.sbatch" && grep -q -- '--exclusive' "$S/slurm/tiny.sbatch" &&
    ! grep -q -- '--exclusive' "$S/slurm/tinyexp.sbatch" && ok "scripts: cpus-per-task, exclusive for timing only" ||
    bad "scripts: cpus-per-task / exclusive lines"

# Waits (up to $2 s) until the command $3... succeeds; 0 when it did.
wait_for() {
    local label=$1 limit=$2
    shift 2
    local t0=$SECONDS
    until "$@"; do
        if [ $((SECONDS - t0)) -ge "$limit" ]; then
            echo "# timed out after ${limit}s waiting for: $label"
            return 1
        fi
        sleep 0.1
    done
}
rows_of() { cat "$1"/rows.jsonl 2>/dev/null | wc -l; }
shard_running() { # shard_running DIR I/N: ptc status says that shard's lock is held
    local out
    out=$("$PTC" status "$1" 2>/dev/null)
    case "$out" in *"shard $2  running"*) return 0 ;; *) return 1 ;; esac
}
requeue() { # requeue JOB_TASK: back to pending, then eligible now (a requeued job waits otherwise)
    scontrol requeue "$1" || return 1
    pending() { [ "$(squeue -h -j "$1" -o %T 2>/dev/null)" = PENDING ]; }
    wait_for "$1 pending" 30 pending "$1" && scontrol update JobId="$1" StartTime=now
}
bench_mid_run() { # shard 2 of the bench: first rows written, still running (its lock held)
    local d
    d=$(ls -d "$S"/results/*/tiny-shard-2-of-4 2>/dev/null | head -1)
    [ -n "$d" ] && [ "$(rows_of "$d")" -ge 1 ] && shard_running "$d" 2/4
}
if wait_for "bench shard 2/4 mid-run" 90 bench_mid_run; then
    d=$(ls -d "$S"/results/*/tiny-shard-2-of-4)
    before=$(rows_of "$d")
    if requeue "${bench_job}_1"; then
        check "bench task 1 requeued mid-run (after $before of its 2 rows)" test "$before" -lt 2
    else
        bad "scontrol requeue ${bench_job}_1"
    fi
else
    bad "bench shard 2/4 never seen mid-run"
fi
exp_running() { shard_running "$S/accuracy/tinyexp/shard-3-of-4" 3/4; }
if wait_for "experiment shard 3/4 running" 120 exp_running; then
    if requeue "${exp_job}_2"; then ok "experiment task 2 requeued while it trained"; else bad "scontrol requeue ${exp_job}_2"; fi
else
    bad "experiment shard 3/4 never seen running"
fi
# Slurm may set a requeued task's begin time again when its old step has finished
# (now + a delay), after requeue()'s update: a pending task waiting for its begin
# time is made eligible again on every poll, so the wait below is for work, not a timer.
# squeue that fails (slurmctld slow to answer on a loaded machine) prints nothing: its
# exit status, not an empty listing, says whether the queue was read.
jobs_done() {
    local id reason queue
    squeue -h -t PD -j "$bench_job,$exp_job" -o '%i %r' 2>/dev/null | while read -r id reason; do
        [ "$reason" = BeginTime ] && scontrol update JobId="$id" StartTime=now 2>/dev/null
    done
    queue=$(squeue -h -j "$bench_job,$exp_job" 2>/dev/null) || return 1
    [ -z "$queue" ]
}
wait_for "both arrays to finish" 150 jobs_done || bad "the arrays did not finish: $(squeue -h | head -3 | tr '\n' ';')"

# ---- the outcome ---------------------------------------------------------------------------
check "the requeued bench task ran again (its log shows restart 1)" \
    grep -q 'restart 1' "$S/slurm/logs/tiny-${bench_job}_1.out"
check "the requeued experiment task ran again (its log shows restart 1)" \
    grep -q 'restart 1' "$S/slurm/logs/tinyexp-${exp_job}_2.out"
no_duplicates() {
    local f
    for f in "$S"/results/*/tiny-shard-*/rows.jsonl "$S"/accuracy/tinyexp/shard-*/rows.jsonl; do
        [ -z "$(grep -o '"config_id":"[^"]*"' "$f" | sort | uniq -d)" ] || return 1
    done
}
check "no shard folder holds a config_id twice" no_duplicates
quiet() { "$@" >/dev/null 2>&1; }
check "ptc status: every bench shard done" quiet "$PTC" status "$S/results"
check "ptc status: every experiment shard done" quiet "$PTC" status "$S/accuracy/tinyexp"
"$PTC" merge "$S/results" --out "$S/merged-bench" >/dev/null
"$PTC" merge "$S/accuracy/tinyexp" --out "$S/merged-exp" >/dev/null
grep -o '"config_id":"[^"]*"' "$S/merged-bench/rows.jsonl" | sed 's/"config_id":"//; s/"$//' | sort >"$S/got-bench"
check "merged bench rows: every configuration of the one-machine sweep exactly once" \
    cmp -s "$S/want-bench" "$S/got-bench"
exp_once() { # every training's train and infer rows exactly once, nothing else
    local key phase n
    [ "$(wc -l <"$S/merged-exp/rows.jsonl")" -eq $((2 * $(wc -l <"$S/want-exp"))) ] || return 1
    while read -r key; do
        for phase in train infer; do
            n=$(grep -cF ";$key;phase=$phase\"" "$S/merged-exp/rows.jsonl")
            [ "$n" -eq 1 ] || return 1
        done
    done <"$S/want-exp"
}
check "merged experiment rows: every training of the one-machine run exactly once (train, infer)" exp_once
check "ptc table reads the merged sweep" quiet "$PTC" table "$S/merged-bench"
check "ptc table --kind accuracy reads the merged experiment" \
    quiet "$PTC" table --kind accuracy "$S/merged-exp"
if [ "$failed" -ne 0 ]; then
    echo "# logs: $S/slurm/logs/, $S/slurmctld.log, $S/slurmd.log (PTC_SLURM_KEEP=1 keeps them)"
    scontrol -o show job "$bench_job" 2>&1 | grep -o 'JobId=[^ ]*\|ArrayTaskId=[^ ]*\|JobState=[^ ]*\|Reason=[^ ]*\|Restarts=[^ ]*\|ExitCode=[^ ]*' |
        paste -sd' ' | sed 's/^/# bench job: /'
    grep -i 'requeue\|_1(' "$S/slurmctld.log" 2>/dev/null | tail -8 | sed 's/^/# slurmctld: /'
    "$PTC" status "$S/results" 2>&1 | sed 's/^/# status: /' | head -8
    tail -3 "$S"/slurm/logs/*.out 2>/dev/null | tail -30
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
