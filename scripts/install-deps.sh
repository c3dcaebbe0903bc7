#!/bin/sh
# scripts/install-deps.sh — install the Debian packages ptc needs, only those missing.
#
# Used by `make deps`, `make test`, `make bench` and .ci/run; on a machine that has
# everything it only checks (dpkg-query) and returns. Needs root or sudo to install.
#   --check   list what is missing and exit 1 if anything is, installing nothing
set -eu

here=$(cd "$(dirname "$0")" && pwd)

# build, kernels, harness
BUILD_PKGS="gcc g++ make pkg-config libc6-dev libsleef-dev libjansson-dev libutf8proc-dev libbenchmark-dev libhwloc-dev libopenblas-dev gnuplot-nox"
# tests: the NEON build runs under qemu-aarch64; AVX-512 under Bochs where the CPU lacks it;
# git, curl, unzip, python3: the README tour in a fresh clone and scripts/download-datasets.sh;
# groff-base: the man page check of the install test; valgrind: scripts/test-robustness.sh;
# libbenchmark-tools + python3-scipy: Google Benchmark's compare.py on gbench.json, sqlite3:
# `ptc table --format sql` loaded (tests/report/test-interop.sh)
TEST_PKGS="git curl unzip python3 groff-base valgrind libbenchmark-tools python3-scipy sqlite3 qemu-user-static gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libsleef-dev:arm64 libjansson-dev:arm64 libutf8proc-dev:arm64 libgomp1:arm64"
# fuzzing (make fuzz, .ci/run): Debian's clang with libFuzzer and the OpenMP runtime it links
FUZZ_PKGS="clang libclang-rt-14-dev libomp-14-dev"
# tests: a real single-node Slurm (tests/slurm/test_slurm.sh)
SLURM_PKGS="munge slurmctld slurmd slurm-client"
BOCHS_PKGS=""
if [ -f "$here/bochs/packages.txt" ]; then
    BOCHS_PKGS=$(grep -v '^#' "$here/bochs/packages.txt" | tr '\n' ' ')
fi
# benchmark-only peers: oneDNN beside OpenBLAS in make bench-layouts, PyTorch in
# make bench-peers (neither is linked into or imported by ptc itself)
PEER_PKGS="libdnnl-dev python3-torch"
ALL="$BUILD_PKGS $TEST_PKGS $SLURM_PKGS $FUZZ_PKGS $BOCHS_PKGS $PEER_PKGS"

native_arch=$(dpkg --print-architecture)
missing=""
for pkg in $ALL; do
    # A bare name is installed when a copy of the native architecture or of
    # "all" is; NAME:ARCH asks for that architecture's copy.
    case "$pkg" in
        *:*) name=${pkg%%:*} arches=${pkg#*:} ;;
        *) name=$pkg arches="$native_arch all" ;;
    esac
    installed=$(dpkg-query -W -f='${Status} ${Architecture}\n' "$name" 2>/dev/null |
        awk -v want=" $arches " '$1 == "install" && $3 == "installed" && index(want, " " $4 " ")' || true)
    [ -n "$installed" ] || missing="$missing $pkg"
done

if [ -z "$missing" ]; then
    exit 0
fi
if [ "${1:-}" = "--check" ]; then
    echo "missing Debian packages:$missing"
    exit 1
fi

echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-deps: need root (or sudo) to install:$missing" >&2
        exit 1
    fi
fi
case "$missing" in
    *:arm64*)
        if ! dpkg --print-foreign-architectures | grep -qx arm64; then
            $SUDO dpkg --add-architecture arm64
        fi ;;
esac
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
