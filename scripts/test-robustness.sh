# scripts/test-robustness.sh — hostile-input and kill checks of the ptc program
# (issue 15), sourced by scripts/run-tests.sh: uses its check / check_output and
# adds to its totals. Needs $NATIVE/ptc.
#   sizes        dimensions that overflow size_t, in options and in a config.json
#   (more sections below)

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

rm -rf "$robust_tmp"
