#!/usr/bin/env bash
# tests/install/test-install.sh — `make install` as a packager and a library user see it.
#
# Installs into a temporary PREFIX (and once more under a DESTDIR), then checks:
#   - a C program links with `cc x.c $(pkg-config --cflags --libs ptc)` alone, against the
#     shared library (NEEDED libptc.so.0, the soname), and runs; with `pkg-config --static`
#     it links libptc.a instead and runs without the shared library
#   - every program is installed (ptc, ptc-bench-kernels), the installed `ptc bench kernels`
#     runs the installed ptc-bench-kernels (beside it, else from PATH; without one it names
#     `make bench-kernels`), `ptc --version` names the commit of the build
#   - the man page ptc(1) renders without groff warnings and documents every command's
#     options; the bash completion completes commands, options and the values of the options
#     table's vocabularies (variants, presets, ISAs)
#   - DESTDIR stages the same tree under DESTDIR with the .pc's prefix left as PREFIX
# Run from the repository root after `make` (and ptc-bench-kernels) are built; prints
# "ok - ..." / "FAIL - ..." and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
TESTLIB_LOG=$stage/cmd.log
. tests/testlib.sh

prefix=$stage/usr
if ! make --no-print-directory -s install PREFIX="$prefix" >"$stage/install.log" 2>&1; then
    fail "make install PREFIX=$prefix: $(tail -3 "$stage/install.log" | tr '\n' ' ')"
    finish
fi
ok "make install PREFIX=<tmp>/usr"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
for f in bin/ptc bin/ptc-bench-kernels lib/libptc.a lib/libptc.so.0.1.0 lib/pkgconfig/ptc.pc \
         include/ptc/ops.h share/man/man1/ptc.1 share/bash-completion/completions/ptc; do
    [ -f "$prefix/$f" ] && ok "installed $f" || fail "not installed: $f"
done
[ "$(readlink "$prefix/lib/libptc.so.0")" = libptc.so.0.1.0 ] && [ "$(readlink "$prefix/lib/libptc.so")" = libptc.so.0 ] &&
    ok "libptc.so -> libptc.so.0 -> libptc.so.0.1.0" || fail "shared library links: $(ls -l "$prefix/lib" | tr '\n' ' ')"
readelf -d "$prefix/lib/libptc.so.0.1.0" | grep -q 'SONAME.*\[libptc\.so\.0\]' &&
    ok "soname libptc.so.0" || fail "libptc.so.0.1.0 has no soname libptc.so.0"

# ---- a consumer: pkg-config --cflags --libs alone (shared), and --static -------------------------
cat >"$stage/consumer.c" <<'EOC'
#include <ptc/ops.h>
#include <stdio.h>
int main(void) { const ptc_ops *ops = ptc_ops_active(); float c = 0;
    const float a = 2, b = 3; ops->sgemm(PTC_NO_TRANS, PTC_NO_TRANS, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);
    printf("%s %g\n", ops->name, c); return c == 6.0f ? 0 : 1; }
EOC
# shellcheck disable=SC2046
expect "cc consumer.c \$(pkg-config --cflags --libs ptc) links" \
    cc "$stage/consumer.c" -o "$stage/consumer" $(pkg-config --cflags --libs ptc)
readelf -d "$stage/consumer" 2>/dev/null | grep -q 'NEEDED.*\[libptc\.so\.0\]' &&
    ok "the consumer needs libptc.so.0 (the shared library)" || fail "the consumer does not link libptc.so.0"
expect "the consumer runs against the installed shared library" \
    env LD_LIBRARY_PATH="$prefix/lib" "$stage/consumer"
# shellcheck disable=SC2046
expect "cc consumer.c \$(pkg-config --static ...) links libptc.a" \
    cc "$stage/consumer.c" -o "$stage/consumer_static" $(pkg-config --cflags ptc) \
    $(pkg-config --static --libs ptc | sed 's/-lptc\b/-l:libptc.a/')
! readelf -d "$stage/consumer_static" 2>/dev/null | grep -q 'libptc' && "$stage/consumer_static" >/dev/null &&
    ok "the static consumer runs without libptc.so" || fail "the static consumer needs libptc.so or fails"

# ---- the installed programs ----------------------------------------------------------------------
want=$(git describe --always --dirty --abbrev=12 --exclude '*' 2>/dev/null || echo unknown)
out=$("$prefix/bin/ptc" --version)
[[ $out =~ ^ptc\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ $want\)$ ]] && ok "ptc --version: $out" ||
    fail "ptc --version: '$out' (wanted the commit $want)"
# ptc bench kernels only execs ptc-bench-kernels: exit 0 and its usage mean it was found
out=$(env PATH=/usr/bin:/bin "$prefix/bin/ptc" bench kernels --help 2>&1)
[ $? -eq 0 ] && [[ $out == "usage: ptc bench kernels"*"kernel benchmark:"* ]] &&
    ok "installed ptc bench kernels runs the installed ptc-bench-kernels" ||
    fail "installed ptc bench kernels --help: $(echo "$out" | head -2 | tr '\n' ' ')"
mkdir -p "$stage/alone"
cp "$prefix/bin/ptc" "$stage/alone/"
out=$(env PATH="$prefix/bin:/usr/bin:/bin" "$stage/alone/ptc" bench kernels --help 2>&1)
[ $? -eq 0 ] && [[ $out == "usage: ptc bench kernels"*"kernel benchmark:"* ]] &&
    ok "ptc bench kernels finds ptc-bench-kernels on PATH" ||
    fail "ptc bench kernels from PATH: $(echo "$out" | head -2 | tr '\n' ' ')"
out=$(env PATH=/usr/bin:/bin "$stage/alone/ptc" bench kernels --help 2>&1)
rc=$?
[ "$rc" -eq 1 ] && [[ $out == *"make bench-kernels"* ]] && ok "without ptc-bench-kernels: exit 1, names make bench-kernels" ||
    fail "without ptc-bench-kernels: exit $rc: $out"
expect "ptc info --help exits 0" "$prefix/bin/ptc" info --help
grep -q '^usage: ptc info' "$stage/cmd.log" && ok "ptc info --help prints its usage" || fail "ptc info --help: $(head -1 "$stage/cmd.log")"
"$prefix/bin/ptc" info --bogus >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok "ptc info --bogus: exit 2" || fail "ptc info --bogus: exit $rc"

# ---- man page and completion -----------------------------------------------------------------------
man1=$prefix/share/man/man1/ptc.1
warn=$(groff -man -Tutf8 -ww -z "$man1" 2>&1)
[ -z "$warn" ] && ok "ptc.1 renders without groff warnings" || fail "ptc.1: $warn"
page=$(groff -man -Tutf8 -P-cbou "$man1" 2>/dev/null)
missing=""
for cmd in info bench calibrate table plot compare inspect train eval predict experiment; do
    grep -q "^PTC $(echo $cmd | tr a-z A-Z)\$" <<<"$page" || missing="$missing section:$cmd"
done
for opt in --epochs --data-dir --kind --fail-if --dry-run --quick --version; do
    grep -q -- "$opt" <<<"$page" || missing="$missing $opt"
done
[ -z "$missing" ] && ok "ptc.1 has every command's section and options" || fail "ptc.1 lacks:$missing"
comp=$prefix/share/bash-completion/completions/ptc
complete_words() { # complete_words WORD... (the last one is being completed)
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
             if [ "$1" = ptc-bench-kernels ]; then _ptc_bench_kernels; else _ptc; fi; echo "${COMPREPLY[*]}"' _ "$comp" "$@"
}
expect_completion() { # expect_completion "EXPECTED" WORD...
    local want=$1; shift
    local got
    got=$(complete_words "$@")
    [ "$got" = "$want" ] && ok "completion of '$*': $got" || fail "completion of '$*': '$got', wanted '$want'"
}
expect_completion "train" ptc tr
expect_completion "--epochs" ptc train --ep
expect_completion "P PF PFC" ptc train --variant P
expect_completion "bert-tiny" ptc eval --model bert-t
expect_completion "avx512 avx2" ptc bench kernels --isa av
expect_completion "kernels" ptc bench k
expect_completion "--quick" ptc bench kernels --qu
expect_completion "--no-dedup --no-onednn --no-openblas" ptc-bench-kernels --no-
expect_completion "--version" ptc --vers

# ---- DESTDIR: the same tree staged under DESTDIR, the .pc keeps PREFIX ----------------------------------
dest=$stage/dest
if make --no-print-directory -s install DESTDIR="$dest" PREFIX=/opt/ptc >"$stage/install.log" 2>&1 &&
    [ -x "$dest/opt/ptc/bin/ptc" ] && [ -f "$dest/opt/ptc/lib/libptc.so.0.1.0" ] &&
    grep -qx 'prefix=/opt/ptc' "$dest/opt/ptc/lib/pkgconfig/ptc.pc"; then
    ok "make install DESTDIR=<tmp> PREFIX=/opt/ptc stages /opt/ptc, ptc.pc says prefix=/opt/ptc"
else
    fail "DESTDIR install: $(tail -2 "$stage/install.log" | tr '\n' ' ')"
fi
make --no-print-directory -s uninstall DESTDIR="$dest" PREFIX=/opt/ptc >/dev/null 2>&1
left=$(find "$dest" -type f -o -type l | head -3)
[ -z "$left" ] && ok "make uninstall removes every installed file" || fail "left after uninstall: $left"
finish
