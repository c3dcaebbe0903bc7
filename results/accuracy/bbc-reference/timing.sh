#!/bin/sh
# Interleaved re-timing of the reference experiment's five models (results/README.md): the
# experiment runs the variants one after another, so machine load that changes over its ~25
# minutes biases its speedups. Here every variant is timed in turn, REPS rounds:
#   inference: `ptc eval` of the trained checkpoint on the BBC test split (median s per batch of 16)
#   training:  `ptc train --max-steps 30` from scratch (median s per step, batch 16, 256 tokens)
# Usage: sh timing.sh WORKDIR (the experiment's --work run folder) > timing.md
set -eu
W=${1:?usage: timing.sh EXPERIMENT_WORK_DIR}
REPS=${REPS:-3}
T=$(mktemp -d)
for r in $(seq 1 "$REPS"); do
    for run in "$W"/*-s1; do
        v=$(basename "$run")
        build/ptc eval --run "$run" --threads 1 --json "$T/$v.eval.$r.json" > /dev/null
        rm -rf "$T/train"
        args=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["argv"]; i=a.index("--out"); print(" ".join(a[1:i] + a[i+2:]))' "$run/run.json")
        # shellcheck disable=SC2086
        build/ptc train $args --out "$T/train" --max-steps 30 --quiet --no-progress
        python3 -c 'import json,sys,os; s=json.load(open(os.path.join(sys.argv[1],"summary.json"))); print(s["step_time_s"]["median"])' "$T/train" > "$T/$v.train.$r"
    done
done
python3 - "$T" "$REPS" <<'PY'
import json, os, statistics, sys
t, reps = sys.argv[1], int(sys.argv[2])
names = sorted({f[: -len(".eval.1.json")] for f in os.listdir(t) if f.endswith(".eval.1.json")})
inf = {n: statistics.median(json.load(open(f"{t}/{n}.eval.{r}.json"))["batch_time_median_s"] for r in range(1, reps + 1)) for n in names}
trn = {n: statistics.median(float(open(f"{t}/{n}.train.{r}").read()) for r in range(1, reps + 1)) for n in names}
base = [n for n in names if n.startswith("baseline")][0]
order = ["baseline", "P-", "PF-", "C-", "PFC-"]
names.sort(key=lambda n: [i for i, o in enumerate(order) if n.startswith(o)][-1])
print(f"| run | inference ms/batch | inference speedup | train s/step | train speedup |")
print(f"|:---|---:|---:|---:|---:|")
for n in names:
    print(f"| {n} | {1e3*inf[n]:.1f} | {inf[base]/inf[n]:.2f} | {trn[n]:.3f} | {trn[base]/trn[n]:.2f} |")
print(f"\nmedians over {reps} interleaved rounds; load average at the end: {open('/proc/loadavg').read().split()[0]}")
PY
rm -rf "$T"
