#!/usr/bin/env bash
# scripts/gen-docs.sh BUILD — the man page BUILD/ptc.1 and the bash completion
# BUILD/ptc.bash-completion, generated from the programs themselves:
#   the command list     from `BUILD/ptc --help` (its "commands:" lines)
#   each command's page  from `BUILD/ptc COMMAND --help` (printed from the command's options
#                        table, harness/common/options.h, or its usage text), verbatim
#   completion           each command's options table (harness/common/options.h): with
#                        PTC_OPTIONS_TSV=1 its --help prints the rows, with the values of
#                        variant, rule, pad, model and ISA options; for a command without a
#                        table (info), the --options its --help names; "kernels" after
#                        bench; anything else completes file names
#   ptc-bench-kernels    from `BUILD/ptc-bench-kernels --help` when it was built
# So neither can drift from the program: `make install` regenerates both (the Makefile rule
# depends on the programs). Fixed text here: the description, environment, exit status, files.
set -euo pipefail
B=${1:?usage: gen-docs.sh BUILD}
PTC=$B/ptc
BK=$B/ptc-bench-kernels
[ -x "$PTC" ] || { echo "gen-docs.sh: $PTC not built" >&2; exit 1; }
version=$("$PTC" --version | awk '{print $2}')

# commands: "  name   description" lines between "commands:" and the next heading
commands=$("$PTC" --help | awk '/^commands:/ {on = 1; next} /^[a-z]/ {on = 0}
                                on && /^  [a-z]/ {print}')
names=$(printf '%s\n' "$commands" | awk '{print $1}' | sort -u)

help_of() { # help_of COMMAND: its --help (ptc-bench-kernels for "bench-kernels")
    if [ "$1" = bench-kernels ]; then "$BK" --help; else "$PTC" "$1" --help; fi
}
have_bk=0
[ -x "$BK" ] && have_bk=1

# ---- man page ---------------------------------------------------------------------------------
roff_escape() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
{
    echo ".TH PTC 1 \"\" \"ptc $version\" \"User Commands\""
    echo ".SH NAME"
    echo "ptc \\- pruned token compression (fuzzy key pruning, token combining) measured on a CPU"
    echo ".SH SYNOPSIS"
    echo ".B ptc"
    echo ".I command"
    echo "[\\fIoptions\\fR]"
    echo ".br"
    echo ".B ptc"
    echo "\\-\\-help | \\-\\-version"
    echo ".br"
    echo ".B ptc-bench-kernels"
    echo "[\\fIoptions\\fR]"
    echo ".SH DESCRIPTION"
    echo "Hand-written SIMD attention kernels (plain C, AVX2+FMA, AVX-512, NEON) and a research"
    echo "harness for the pruned token compression of Yun, Kim and Kim, \"Focus on the Core\""
    echo "(Findings of EMNLP 2023): benchmark sweeps of the variants (BERT, P, PF, C, PFC) with"
    echo "result rows, tables, plots and comparisons, and training and evaluation of"
    echo "document classifiers."
    echo "Every command prints its options with \\fB\\-\\-help\\fR; the sections below are that output."
    echo ".SH COMMANDS"
    # "  NAME ARGS   DESCRIPTION": the description follows the first run of 2+ spaces
    printf '%s\n' "$commands" | roff_escape | awk '{
        line = substr($0, 3); i = index(line, "  ")
        syn = substr(line, 1, i - 1); desc = substr(line, i); sub(/^ +/, "", desc)
        n = split(syn, w, " "); head = "\\fBptc " w[1]; i = 2
        if (w[2] == "kernels") { head = head " kernels"; i = 3 }
        head = head "\\fR"
        for (; i <= n; i++) head = head " \\fI" w[i] "\\fR"
        print ".TP"; print head; print desc }'
    for name in $names; do
        echo ".SH \"PTC $(echo "$name" | tr a-z A-Z)\""
        echo ".nf"
        help_of "$name" | roff_escape
        echo ".fi"
    done
    if [ "$have_bk" = 1 ]; then
        echo ".SH \"PTC-BENCH-KERNELS\" (also: ptc bench kernels)"
        echo ".nf"
        help_of bench-kernels | roff_escape
        echo ".fi"
    fi
    cat <<'EOF'
.SH ENVIRONMENT
.TP
.B PTC_ISA
ref, avx2, avx512 or neon: force an ops table; a table the CPU cannot run is an error, never
a fallback.
.TP
.B PTC_DATA
the folder of the named datasets (\-\-data\-dir), as scripts/download\-datasets.sh writes it.
.TP
.B PTC_VOCAB
a BERT vocab.txt (\-\-vocab).
.TP
.B OMP_NUM_THREADS
threads where \-\-threads is not given.
.SH EXIT STATUS
0 on success, 1 for a failed run (an unreadable file, a table the CPU lacks, a failed gate of
.BR "ptc compare" ),
2 for bad usage. Errors are one line on standard error.
.SH FILES
.TP
.I results/<cpu>/<run>/
rows.jsonl and context.json of a benchmark run (harness/SCHEMA.md)
.TP
.I plots/<run>/
gnuplot scripts, data and images of
.B ptc plot
.TP
.I runs/
training run folders of the README's examples
.SH SEE ALSO
The README and harness/SCHEMA.md of the ptc repository.
EOF
} >"$B/ptc.1.tmp"
mv "$B/ptc.1.tmp" "$B/ptc.1"

# ---- bash completion ----------------------------------------------------------------------------
rows_of() { # the options table rows "--name<TAB>VALUE<TAB>choices", empty without a table
    PTC_OPTIONS_TSV=1 help_of "$1" | awk 'NR == 1 && !/^#ptc-options\t/ {exit}
                                          /^--[a-z][a-z0-9-]*\t/'
}
options_of() {
    local rows
    rows=$(rows_of "$1")
    if [ -n "$rows" ]; then
        printf '%s\n' "$rows" | cut -f1
    else
        { help_of "$1" | grep -oE '(^|[^-[:alnum:]])--[a-z][a-z0-9-]*' || true; } | sed 's/^[^-]*//'
    fi | sort -u | tr '\n' ' '
    echo --help
}
values_of() { # "COMMAND --opt a b c" lines: the rows whose kind has a vocabulary
    rows_of "$1" | awk -F'\t' -v c="$1" '$3 != "" {print c, $1, $3}'
}
{
    echo "# bash completion for ptc and ptc-bench-kernels (ptc $version), generated by"
    echo "# scripts/gen-docs.sh from the programs' --help; install as"
    echo "# PREFIX/share/bash-completion/completions/ptc or source it."
    echo "_ptc_options() {"
    echo "    case \"\$1\" in"
    for name in $names; do
        echo "        $name) echo '$(options_of "$name")' ;;"
    done
    [ "$have_bk" = 1 ] && echo "        bench-kernels) echo '$(options_of bench-kernels)' ;;"
    echo "    esac"
    echo "}"
    echo "_ptc_values() {"
    echo "    case \"\$1 \$2\" in"
    for name in $names $([ "$have_bk" = 1 ] && echo bench-kernels); do
        values_of "$name" | while read -r c opt vals; do echo "        \"$c $opt\") echo '$vals' ;;"; done
    done
    echo "    esac"
    echo "}"
    cat <<EOF
_ptc_complete() { # _ptc_complete COMMAND FIRST_ARG_INDEX
    local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} words
    if [ "\$COMP_CWORD" -gt "\$2" ]; then
        words=\$(_ptc_values "\$1" "\$prev")
        if [ -n "\$words" ]; then
            COMPREPLY=(\$(compgen -W "\$words" -- "\$cur"))
            return
        fi
    fi
    if [[ \$cur == -* ]]; then
        COMPREPLY=(\$(compgen -W "\$(_ptc_options "\$1")" -- "\$cur"))
    elif [ "\$1" = bench ] && [ "\$COMP_CWORD" -eq 2 ]; then
        COMPREPLY=(\$(compgen -W "kernels" -- "\$cur"))
    fi
}
_ptc() {
    if [ "\$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=(\$(compgen -W "$(echo $names) --help --version" -- "\${COMP_WORDS[1]}"))
    elif [ "\${COMP_WORDS[1]}" = bench ] && [ "\${COMP_WORDS[2]:-}" = kernels ] && [ "\$COMP_CWORD" -gt 2 ]; then
        _ptc_complete bench-kernels 2
    else
        _ptc_complete "\${COMP_WORDS[1]}" 1
    fi
}
_ptc_bench_kernels() { _ptc_complete bench-kernels 0; }
complete -o bashdefault -o default -F _ptc ptc
complete -o bashdefault -o default -F _ptc_bench_kernels ptc-bench-kernels
EOF
} >"$B/ptc.bash-completion.tmp"
mv "$B/ptc.bash-completion.tmp" "$B/ptc.bash-completion"
echo "gen-docs.sh: wrote $B/ptc.1 and $B/ptc.bash-completion"
