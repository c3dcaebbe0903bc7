#!/usr/bin/env bash
# scripts/bench.sh — the main job (`make bench`): a sweep (the default one unless
# sweep options are given), then its tables and plots.
#
#   scripts/bench.sh [ptc bench options...]
#
# Rows, context and Google Benchmark JSON go to results/<cpu>/<run>/ (PTC_RESULTS
# overrides results/); tables (Markdown, CSV, LaTeX) beside the rows; gnuplot
# scripts, data and PNGs to plots/<run>/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${PTC_RESULTS:-results}
PTC=build/ptc
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT

"$PTC" bench --out "$out" "$@"

run=$(find "$out" -mindepth 3 -maxdepth 3 -name rows.jsonl -newer "$marker" -printf '%h\n' | head -1)
if [ -z "$run" ]; then
    echo "bench: no new run under $out/" >&2
    exit 1
fi

# Tables: a kind whose rows are absent from this sweep is skipped with its note.
table() { # table NAME ptc-table-options...
    local name=$1
    shift
    for fmt in md csv latex; do
        local ext=$fmt
        [ "$fmt" = latex ] && ext=tex
        "$PTC" table "$run" --format "$fmt" --out "$run/$name.$ext" "$@" 2>/dev/null || return 0
    done
    echo
    echo "## $name ($run/$name.md)"
    cat "$run/$name.md"
}
table table3-encoder-seq512 --kind table3 --where level=encoder,seq=512
table speedup-by-seq-encoder --kind seq --where level=encoder
table speedup-by-seq-kernel --kind seq --where level=kernel
table layer --kind table3 --where level=layer

echo
"$PTC" plot "$run"
