#!/usr/bin/env bash
# tests/tour/test-tour.sh — the README's tour, run as a new user would: in a fresh clone.
#
# Clones this repository (its working tree as a commit would record it: edits and new files
# that git does not ignore; ignored ones, such as build/, are not there) into a temporary
# folder, builds it with `make -j2`, then reads the ```sh block under "## A tour" in the
# clone's README.md and runs every command in it, in order, with the sizes made small
# (shrink() below: bert-tiny instead of bert-base, 64 tokens, 2 repetitions, 1 epoch for the
# experiment and 3 for the demo, a quick calibration ...) and the
# placeholders filled in (<cpu> = the folder the tour's own sweep wrote, RUN_A RUN_B = that run
# twice, model.safetensors = the repository's tiny checkpoint). The dataset download runs
# against the local fixture server of tests/fetch/serve.sh (127.0.0.1 only; nothing is fetched
# from anywhere else). Each command must exit 0 and print what CHECKS expects of it; a tour
# command that no CHECKS entry covers fails the test, so the README and this test move together.
# SKIP names the commands not run, and why.
# Prints "ok - ..." / "FAIL - ..." lines and ends with "N passed, N failed"; ~1-2 minutes
# (the build is most of it).
set -uo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
. tests/fetch/serve.sh
work=$(mktemp -d)
trap 'fixture_server_stop; rm -rf "$work"' EXIT
. tests/testlib.sh

# ---- a fresh clone of the working tree -------------------------------------------------------
# the working tree as `git add -A && git commit` would record it, through a private index
# (the repository's index, branch and working tree are left as they are)
cp "$(git rev-parse --git-path index)" "$work/index"
rev=$(export GIT_INDEX_FILE=$work/index GIT_AUTHOR_NAME=tour GIT_AUTHOR_EMAIL=tour@localhost \
          GIT_COMMITTER_NAME=tour GIT_COMMITTER_EMAIL=tour@localhost &&
      git add -A && tree=$(git write-tree) && git commit-tree "$tree" -p HEAD -m "tour test: working tree")
clone=$work/ptc
if [ -n "$rev" ] && git clone -q --shared --no-checkout "$REPO" "$clone" &&
    git -C "$clone" checkout -q --detach "$rev"; then
    ok "fresh clone of $(git rev-parse --short HEAD) + the working tree's edits"
else
    fail "git clone"; finish
fi
cd "$clone"
start=$SECONDS
if make -j2 >"$work/build.log" 2>&1; then
    ok "make -j2 in the clone ($((SECONDS - start)) s)"
else
    fail "make -j2 in the clone: $(tail -3 "$work/build.log" | tr '\n' ' ')"; finish
fi

# ---- the tour, from the clone's README ----------------------------------------------------------
# the ```sh block under "## A tour", continuation lines joined, comments and blank lines dropped
tour=$(awk '/^## A tour/ {in_sec = 1; next} /^## / {in_sec = 0}
            in_sec && /^```sh/ {in_block = 1; next} in_block && /^```/ {exit}
            in_block' README.md |
       sed -e ':a' -e '/\\$/N; s/[[:space:]]*\\\n[[:space:]]*/ /; ta' | sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d')
[ -n "$tour" ] || { fail "README.md has no \`\`\`sh block under '## A tour'"; finish; }

isa=avx2
build/ptc info | grep -qE '^  avx2 +runs' || isa=ref
cpu_dir="" run_dir=""
# small sizes and filled-in placeholders, applied to each command just before it runs
shrink() {
    sed -E -e 's/--model bert-(base|mini)/--model bert-tiny/' -e 's/--seq 512/--seq 64/' \
        -e 's/--phase train,infer$/--phase train,infer --reps 2 --min-time 0.005 --no-calibrate/' \
        -e "s/--isa avx2/--isa $isa/" -e 's/--lc 7/--lc 1/' \
        -e 's/--reps 9/--reps 2 --min-time 0.005 --no-calibrate/' \
        -e 's/--max-len 256/--max-len 32/' -e 's/--batch 16/--batch 4/' -e 's/--epochs 4 /--epochs 1 /' \
        -e "s#results/<cpu>/#$cpu_dir/#g" -e "s#RUN_A RUN_B#$run_dir $run_dir#" \
        -e "s#RUN_A/#$run_dir/#" -e "s#RUN_B/#$run_dir/#" -e "s#table RUN #table $run_dir #" \
        -e 's#inspect model\.safetensors#inspect tests/data/tiny_bert/model.safetensors#' \
        -e 's#^build/ptc calibrate$#build/ptc calibrate --quick#' \
        -e 's#^(build/ptc train --data synthetic .*)--epochs 5 #\1--epochs 3 #'
}
# what each command must print (extended regex), by the command's start
CHECKS=(
    "build/ptc info|^chosen: +[a-z0-9]+"
    "build/ptc bench --dry-run|configurations in [0-9]+ groups"
    "build/ptc bench --level|rows written \\([0-9]+ ok, 0 error\\)"
    "build/ptc table results/<cpu>/ --kind seq|Speedup against BERT by sequence length"
    "build/ptc table results/<cpu>/ --kind ops|Time per op: share"
    "build/ptc table results/<cpu>/|Variants against BERT"
    "build/ptc table RUN --format sql|^[1-9][0-9]*$"
    "/usr/bin/python3 /usr/share/benchmark/compare.py|Comparing"
    "build/ptc plot|wrote|written"
    "build/ptc compare|0 violations in [1-9][0-9]* matched pairs"
    "build/ptc calibrate|calibration.json"
    "build/ptc inspect|^config"
    "build/ptc train|best epoch"
    "build/ptc eval|^accuracy"
    "sh scripts/download-datasets.sh|^done"
    "build/ptc experiment|rows"
    "build/ptc table --kind accuracy|PFC"
)
SKIP=("make bench-kernels|minutes of kernel benchmarking; its program is built, installed and run by the packaging test"
      "make bench-layouts|minutes of sgemm/attention benchmarking beside OpenBLAS and oneDNN"
      "make bench-peers|PyTorch's encoder as a peer: minutes, and python3-torch")

while IFS= read -r cmd; do
    cmd=${cmd#"${cmd%%[![:space:]]*}"}
    reason=""
    for s in "${SKIP[@]}"; do [[ $cmd == "${s%%|*}"* ]] && reason=${s#*|}; done
    if [ -n "$reason" ]; then
        echo "# skipped: $cmd ($reason)"
        continue
    fi
    want=""
    for c in "${CHECKS[@]}"; do
        if [[ $cmd == "${c%%|*}"* ]]; then want=${c#*|}; break; fi
    done
    if [ -z "$want" ]; then
        fail "tour command not covered by tests/tour/test-tour.sh CHECKS: $cmd"
        continue
    fi
    small=$(printf '%s\n' "$cmd" | shrink)
    case "$small" in
        sh\ scripts/download-datasets.sh*)
            if [ -z "${FIXTURE_URL:-}" ] && ! fixture_server_start "$work"; then
                fail "fixture server for: $cmd"; continue
            fi
            small="PTC_DOWNLOAD_MIRROR=$FIXTURE_URL $small" ;;
    esac
    start=$SECONDS
    out=$(timeout 300 bash -c "$small" </dev/null 2>&1)
    rc=$?
    took="($((SECONDS - start)) s)"
    if [ "$rc" -ne 0 ]; then
        fail "$small: exit $rc: $(printf '%s\n' "$out" | tail -2 | tr '\n' ' ')"
    elif ! printf '%s\n' "$out" | grep -qE "$want"; then
        fail "$small: output lacks /$want/: $(printf '%s\n' "$out" | tail -3 | tr '\n' ' ')"
    else
        ok "$small $took"
    fi
    # what later commands refer to, and what the README promises of these outputs
    case "$small" in
        "build/ptc bench --level"*)
            run_dir=$(printf '%s\n' "$out" | sed -n 's#.* to \(results/[^ ]*\)/rows\.jsonl.*#\1#p' | tail -1)
            cpu_dir=${run_dir%/*}
            [ -n "$run_dir" ] && [ -d "$run_dir" ] && ok "the sweep wrote its run folder $run_dir" ||
                fail "no run folder in the sweep's output" ;;
        "build/ptc plot"*)
            n=$(find plots -name '*.png' -newer "$work/build.log" 2>/dev/null | wc -l)
            [ "$n" -gt 0 ] && ok "ptc plot rendered $n PNG(s) under plots/" || fail "ptc plot rendered no PNG under plots/" ;;
        "build/ptc train"*)
            acc=$(printf '%s\n' "$out" | sed -n 's/^epoch .* dev loss [0-9.]* acc \([0-9.]*\).*/\1/p' | tail -1)
            awk -v a="${acc:-0}" 'BEGIN {exit !(a >= 0.85)}' &&
                ok "demo: last dev accuracy $acc >= 0.85 after 3 epochs (README: ~0.99 after 5)" ||
                fail "demo: last dev accuracy ${acc:-none} < 0.85 after 3 epochs" ;;
        "build/ptc eval"*)
            acc=$(printf '%s\n' "$out" | sed -n 's/^accuracy \([0-9.]*\).*/\1/p')
            awk -v a="${acc:-0}" 'BEGIN {exit !(a >= 0.85)}' && ok "demo: test accuracy $acc >= 0.85" ||
                fail "demo: test accuracy ${acc:-none} < 0.85"
            # "L1 75.6 | L2 75.6 | L3 71.2 (pruned) | C": a pruned layer keeps fewer keys than L1
            line=$(printf '%s\n' "$out" | grep -A1 '^keys attended' | tail -1)
            if printf '%s\n' "$line" | awk -F' [|] ' '{split($1, a, " "); for (i = 2; i <= NF; i++)
                    if ($i ~ /pruned/) {split($i, b, " "); if (b[2] + 0 < a[2] + 0) found = 1}} END {exit !found}'; then
                ok "demo prunes: $line"
            else
                fail "demo: no pruned layer with fewer keys than layer 1: $line"
            fi ;;
    esac
done <<<"$tour"
finish
