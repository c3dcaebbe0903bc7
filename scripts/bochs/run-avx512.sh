#!/usr/bin/env bash
# Run an x86-64 Linux binary inside the Bochs emulator on a CPU model with
# AVX-512, so AVX-512 code paths can be tested on hosts without AVX-512.
#
# Usage: scripts/bochs/run-avx512.sh [--timeout SECONDS] [--workdir DIR]
#                                    [--env NAME=VALUE]... [--file PATH]...
#                                    [--] BINARY [ARGS...]
#
# Boots a Debian linux-image-*-amd64 kernel from an ISO (isolinux) with a
# busybox initramfs whose /init runs BINARY ARGS..., streams the program's
# stdout+stderr (read from the emulated serial port) to our stdout and exits
# with the program's exit status.  Runner failures (timeout, emulator died,
# kernel panic, no exit status reported) print one line starting with
# "run-avx512:" to stderr and exit non-zero (124 on timeout).
# See scripts/bochs/README.md.
set -euo pipefail

PROG=run-avx512
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)

die() { # die CODE MESSAGE
    local code=$1; shift
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit "$code"
}
note() { if [[ ${PTC_BOCHS_VERBOSE:-0} != 0 ]]; then printf '%s: [%3ds] %s\n' "$PROG" "$SECONDS" "$*" >&2; fi; }

usage() {
    cat <<'EOF'
usage: run-avx512.sh [--timeout SECONDS] [--workdir DIR] [--env NAME=VALUE]...
                     [--file PATH]... [--] BINARY [ARGS...]
Runs BINARY under Bochs (cpu model corei7_skylake_x, AVX-512) and exits with
its exit status.  124 = timeout; other runner failures print a reason to stderr.
  --timeout SECONDS  hard wall-clock limit for boot + run (default 1200,
                     or $PTC_BOCHS_TIMEOUT)
  --workdir DIR      cache/scratch dir (default <repo>/build/bochs, or
                     $PTC_BOCHS_WORKDIR)
  --env NAME=VALUE   set an environment variable for the program (repeatable)
  --file PATH        also copy PATH into the guest at the same absolute path
EOF
}

# ---------------------------------------------------------------- arguments
timeout_s=${PTC_BOCHS_TIMEOUT:-1200}
workdir=${PTC_BOCHS_WORKDIR:-$REPO_ROOT/build/bochs}
guest_env=()
extra_files=()
while (($#)); do
    case $1 in
        --timeout) (($# >= 2)) || die 2 "--timeout needs a value"; timeout_s=$2; shift 2 ;;
        --timeout=*) timeout_s=${1#*=}; shift ;;
        --workdir) (($# >= 2)) || die 2 "--workdir needs a value"; workdir=$2; shift 2 ;;
        --workdir=*) workdir=${1#*=}; shift ;;
        --env) (($# >= 2)) || die 2 "--env needs NAME=VALUE"; guest_env+=("$2"); shift 2 ;;
        --env=*) guest_env+=("${1#*=}"); shift ;;
        --file) (($# >= 2)) || die 2 "--file needs a path"; extra_files+=("$2"); shift 2 ;;
        --file=*) extra_files+=("${1#*=}"); shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; break ;;
        -*) usage >&2; die 2 "unknown option: $1" ;;
        *) break ;;
    esac
done
(($# >= 1)) || { usage >&2; die 2 "missing BINARY"; }
[[ $timeout_s =~ ^[0-9]+$ && $timeout_s -gt 0 ]] || die 2 "--timeout must be a positive integer (seconds)"
for e in ${guest_env[@]+"${guest_env[@]}"}; do
    [[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die 2 "--env wants NAME=VALUE, got: $e"
done

binary_arg=$1; shift
prog_args=("$@")
if [[ $binary_arg != */* ]] && [[ ! -e $binary_arg ]]; then
    binary_arg=$(command -v -- "$binary_arg" 2>/dev/null) || die 2 "binary not found: $1"
fi
[[ -f $binary_arg && -x $binary_arg ]] || die 2 "not an executable file: $binary_arg"
binary=$(realpath -e -- "$binary_arg")
host_cwd=$(pwd -P)

start_time=$SECONDS
deadline=$((SECONDS + timeout_s))

# ---------------------------------------------------------------- tools
need() { command -v "$1" >/dev/null 2>&1 || die 2 "missing tool '$1' (install the packages in scripts/bochs/packages.txt)"; }
for t in bochs-bin genisoimage cpio script timeout ldd realpath awk tail mkfifo; do need "$t"; done

BOCHS_BIOS=${PTC_BOCHS_BIOS:-/usr/share/bochs/BIOS-bochs-latest}
BOCHS_VGABIOS=${PTC_BOCHS_VGABIOS:-/usr/share/vgabios/vgabios.bin}
ISOLINUX_BIN=${PTC_BOCHS_ISOLINUX:-/usr/lib/ISOLINUX/isolinux.bin}
LDLINUX_C32=${PTC_BOCHS_LDLINUX:-/usr/lib/syslinux/modules/bios/ldlinux.c32}
BUSYBOX=${PTC_BOCHS_BUSYBOX:-/bin/busybox}
for f in "$BOCHS_BIOS" "$BOCHS_VGABIOS" "$ISOLINUX_BIN" "$LDLINUX_C32" "$BUSYBOX"; do
    [[ -r $f ]] || die 2 "missing file $f (install the packages in scripts/bochs/packages.txt)"
done
if ! "$BUSYBOX" --help >/dev/null 2>&1 || ldd "$BUSYBOX" >/dev/null 2>&1; then
    die 2 "$BUSYBOX is not a static busybox (install busybox-static)"
fi

mkdir -p -- "$workdir"
workdir=$(cd -- "$workdir" && pwd -P)
mkdir -p -- "$workdir/kernel" "$workdir/tmp"
# Remove scratch dirs left behind by runners that were SIGKILLed (> 1 day old).
find "$workdir/tmp" -mindepth 1 -maxdepth 1 -mmin +1440 -exec rm -rf -- {} + 2>/dev/null || true

# Per-run scratch dir (initramfs tree, ISO, bochsrc, serial log); removed on exit.
run_dir=$(mktemp -d "$workdir/tmp/run.XXXXXX")
wrap_pid=
awk_pid=
# SIGKILL the emulator (Bochs ignores SIGTERM).  Process tree:
#   outer timeout (own process group, pid in emu.pid) -> script
#     -> inner timeout (new session+group made by script, pid in bochs.pid) -> bochs
# so kill both process groups, the inner one (Bochs) first.
kill_emulator() {
    [[ -n $wrap_pid ]] || return 0
    local i outer inner
    for ((i = 0; i < 20; i++)); do
        [[ -s $run_dir/emu.pid ]] && break
        kill -0 "$wrap_pid" 2>/dev/null || break
        sleep 0.1
    done
    inner=$(cat "$run_dir/bochs.pid" 2>/dev/null || true)
    outer=$(cat "$run_dir/emu.pid" 2>/dev/null || true)
    if [[ -n $inner ]]; then kill -KILL -- "-$inner" 2>/dev/null || kill -KILL "$inner" 2>/dev/null || true; fi
    if [[ -n $outer ]]; then kill -KILL -- "-$outer" 2>/dev/null || kill -KILL "$outer" 2>/dev/null || true; fi
    wait "$wrap_pid" 2>/dev/null || true
    wrap_pid=
}
# shellcheck disable=SC2317  # (invoked via trap)
cleanup() {
    local rc=$?
    kill_emulator
    if [[ -n $awk_pid ]]; then kill "$awk_pid" 2>/dev/null || true; fi
    if [[ ${PTC_BOCHS_KEEP:-0} != 0 ]]; then
        printf '%s: kept %s\n' "$PROG" "$run_dir" >&2
    else
        rm -rf -- "$run_dir"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------- kernel
# Debian's linux-image-<abi>-amd64 is downloaded (never installed) and only its
# /boot/vmlinuz-* is kept, cached in $workdir/kernel/<package>/vmlinuz.
fetch_kernel() { # fetch_kernel PKG -> prints path of cached vmlinuz
    local pkg=$1 dest=$workdir/kernel/$1 dl
    if [[ -f $dest/vmlinuz ]]; then printf '%s\n' "$dest/vmlinuz"; return 0; fi
    dl=$(mktemp -d "$workdir/tmp/kernel.XXXXXX")
    chmod 755 "$dl"   # lets apt's _apt user write there (avoids a warning)
    note "downloading $pkg"
    if ! (cd "$dl" && apt-get download -q "$pkg" >"$dl/apt.log" 2>&1); then
        cat "$dl/apt.log" >&2 || true
        rm -rf -- "$dl"
        return 1
    fi
    local debs=("$dl"/*.deb) deb
    deb=${debs[0]}
    mkdir -p "$dl/x"
    if [[ ! -f $deb ]] || ! dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dl/x" --wildcards './boot/vmlinuz-*'; then
        rm -rf -- "$dl"
        return 1
    fi
    local vmlinuzes=("$dl"/x/boot/vmlinuz-*) vmlinuz
    vmlinuz=${vmlinuzes[0]}
    [[ -f $vmlinuz ]] || { rm -rf -- "$dl"; return 1; }
    mkdir -p "$dl/out"
    mv "$vmlinuz" "$dl/out/vmlinuz"
    printf '%s\n' "$(basename "$deb")" >"$dl/out/SOURCE"
    # Atomic publish; a concurrent runner may have won the race, which is fine.
    mv -T "$dl/out" "$dest" 2>/dev/null || true
    rm -rf -- "$dl"
    [[ -f $dest/vmlinuz ]] && printf '%s\n' "$dest/vmlinuz"
}

# Which Debian kernel: the "cloud" flavour by default.  It is an ordinary
# linux-image-<abi>-cloud-amd64 package, but LZ4-compressed and with far fewer
# built-in drivers, so it boots in ~10 s of emulated time where the generic
# (XZ-compressed) linux-image-<abi>-amd64 needs ~80 s.  The generic one is the
# fallback.  A kernel already in the cache is used without asking apt (which
# costs seconds); PTC_BOCHS_KERNEL_REFRESH=1 re-resolves and downloads the
# current one.  Overrides: PTC_BOCHS_KERNEL_META (space-separated
# metapackages), PTC_BOCHS_KERNEL_PKG (exact package), PTC_BOCHS_KERNEL (path).
resolve_kernel() {
    if [[ -n ${PTC_BOCHS_KERNEL:-} ]]; then
        [[ -r $PTC_BOCHS_KERNEL ]] || die 2 "PTC_BOCHS_KERNEL=$PTC_BOCHS_KERNEL is not readable"
        printf '%s\n' "$PTC_BOCHS_KERNEL"; return
    fi
    local metas meta pkg k flavour
    read -r -a metas <<<"${PTC_BOCHS_KERNEL_META:-linux-image-cloud-amd64 linux-image-amd64}"
    if [[ -n ${PTC_BOCHS_KERNEL_PKG:-} ]]; then
        fetch_kernel "$PTC_BOCHS_KERNEL_PKG" && return
        die 2 "could not download $PTC_BOCHS_KERNEL_PKG"
    fi
    if [[ ${PTC_BOCHS_KERNEL_REFRESH:-0} == 0 ]]; then
        for meta in "${metas[@]}"; do
            flavour=${meta#linux-image-}            # cloud-amd64 / amd64
            k=$(printf '%s\n' "$workdir"/kernel/linux-image-[0-9]*-"$flavour"/vmlinuz |
                grep -E -- "/linux-image-[0-9][^/]*[0-9]-$flavour/vmlinuz\$" | sort -V | tail -n1)
            if [[ -n $k && -f $k ]]; then printf '%s\n' "$k"; return; fi
        done
    fi
    for meta in "${metas[@]}"; do
        pkg=$(apt-cache depends "$meta" 2>/dev/null |
            awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }')
        [[ -n $pkg ]] || continue
        fetch_kernel "$pkg" && return   # (a no-op when already cached)
        printf '%s: warning: could not download %s\n' "$PROG" "$pkg" >&2
    done
    for k in "$workdir"/kernel/*/vmlinuz; do
        if [[ -f $k ]]; then
            printf '%s: warning: using cached kernel %s\n' "$PROG" "$k" >&2
            printf '%s\n' "$k"; return
        fi
    done
    die 2 "no kernel: could not find/download Debian's linux-image-*-amd64 (is 'apt-get update' done?)"
}
kernel=$(resolve_kernel)
note "kernel: $kernel"

# ---------------------------------------------------------------- initramfs
root=$run_dir/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,root}
cp "$BUSYBOX" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"

copy_in() { # copy_in HOSTPATH -> same absolute path in the guest (dereferenced)
    local src=$1 dst=$root$1
    [[ -e $dst ]] && return 0
    mkdir -p -- "$(dirname -- "$dst")"
    cp -L -- "$src" "$dst"
}

copy_in "$binary"
lib_dirs=()
add_lib_dir() {
    local d=$1 x
    for x in ${lib_dirs[@]+"${lib_dirs[@]}"}; do [[ $x == "$d" ]] && return 0; done
    lib_dirs+=("$d")
}
# `ldd` prints "name => /path (0x...)", "/path (0x...)" or "statically linked" /
# "not a dynamic executable" (exit status 1) for static binaries.
if ldd_out=$(LC_ALL=C ldd -- "$binary" 2>&1); then
    if grep -q 'not found' <<<"$ldd_out"; then
        die 2 "ldd: missing shared libraries for $binary: $(grep 'not found' <<<"$ldd_out" | tr -s ' \t\n' ' ')"
    fi
    while read -r lib; do
        [[ -n $lib && -e $lib ]] || continue
        copy_in "$lib"
        add_lib_dir "$(dirname -- "$lib")"
    done < <(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; break } }' <<<"$ldd_out")
    # glibc dlopen()s libgcc_s for pthread_cancel/backtrace; cheap to include.
    for lib in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do
        if [[ -e $lib ]]; then copy_in "$lib"; add_lib_dir "$(dirname -- "$lib")"; break; fi
    done
else
    note "static binary (ldd: ${ldd_out//$'\n'/ })"
fi
for f in ${extra_files[@]+"${extra_files[@]}"}; do
    [[ -e $f ]] || die 2 "--file $f: no such file"
    f=$(realpath -e -- "$f")
    if [[ -d $f ]]; then
        mkdir -p -- "$root$(dirname -- "$f")"; cp -rL -- "$f" "$root$f"
    else
        copy_in "$f"
    fi
done
mkdir -p -- "$root$host_cwd"

# Quote for a POSIX (busybox ash) shell: '...' with ' -> '\''
shq() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

nonce=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
start_mark="@@PTC_START_${nonce}@@"
exit_mark="@@PTC_EXIT_${nonce}="
ld_path=$(IFS=:; printf '%s' "${lib_dirs[*]+${lib_dirs[*]}}")

{
    printf '#!/bin/sh\n'
    printf 'export PATH=/bin HOME=/root TERM=dumb LD_BIND_NOW=1\n'
    [[ -n $ld_path ]] && printf 'export LD_LIBRARY_PATH=%s\n' "$(shq "$ld_path")"
    for e in ${guest_env[@]+"${guest_env[@]}"}; do
        printf 'export %s=%s\n' "${e%%=*}" "$(shq "${e#*=}")"
    done
    cat <<'EOF'
bb=/bin/busybox
$bb mount -t devtmpfs devtmpfs /dev 2>/dev/null
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mkdir -p /dev/shm /dev/pts
$bb mount -t tmpfs tmpfs /dev/shm
[ -e /dev/ttyS0 ] || $bb mknod /dev/ttyS0 c 4 64
[ -e /dev/null ] || $bb mknod /dev/null c 1 3
$bb stty -F /dev/ttyS0 raw -echo -onlcr 2>/dev/null
exec </dev/null >/dev/ttyS0 2>&1
EOF
    # Keep the kernel quiet on the console while the program runs (raise it,
    # e.g. PTC_BOCHS_PRINTK=7, to see "traps: ... invalid opcode ip:..." lines).
    printf 'echo %s > /proc/sys/kernel/printk\n' "$(shq "${PTC_BOCHS_PRINTK:-1}")"
    printf 'echo %s\n' "$(shq "$start_mark")"
    printf 'cd %s || cd /\n' "$(shq "$host_cwd")"
    printf 'set --'
    for a in ${prog_args[@]+"${prog_args[@]}"}; do printf ' %s' "$(shq "$a")"; done
    printf '\n'
    printf '%s "$@"\n' "$(shq "$binary")"
    printf 'rc=$?\n'
    # shellcheck disable=SC2016  # $rc is for the guest shell
    printf 'echo "%s$rc@@"\n' "$exit_mark"
    cat <<'EOF'
# Do not power off: output still queued in the tty/UART would be lost.  The
# runner kills Bochs as soon as it has read the exit marker.
while :; do $bb sleep 1000; done
EOF
} >"$root/init"
chmod 755 "$root/init"

iso_dir=$run_dir/iso
mkdir -p "$iso_dir/isolinux" "$iso_dir/boot"
cp "$ISOLINUX_BIN" "$LDLINUX_C32" "$iso_dir/isolinux/"
cp "$kernel" "$iso_dir/boot/vmlinuz"
# Uncompressed cpio by default: inflating gzip inside the emulator costs
# more than reading the extra bytes from the emulated CD.
case ${PTC_BOCHS_INITRD_COMPRESS:-none} in
    none) (cd "$root" && find . -print0 | LC_ALL=C sort -z |
           cpio --null -o -H newc --quiet) >"$iso_dir/boot/initrd.img" ;;
    gzip) (cd "$root" && find . -print0 | LC_ALL=C sort -z |
           cpio --null -o -H newc --quiet | gzip -1) >"$iso_dir/boot/initrd.img" ;;
    *) die 2 "PTC_BOCHS_INITRD_COMPRESS must be none or gzip" ;;
esac

# Kernel command line.  clearcpuid=xsaves,xsavec is required: without it the
# kernel disables XSAVE on Bochs' Skylake-X model and userspace sees no AVX.
cmdline="console=ttyS0,115200 clearcpuid=xsaves,xsavec"
[[ ${PTC_BOCHS_QUIET:-1} != 0 ]] && cmdline+=" quiet loglevel=1"
# cryptomgr.notests skips the crypto self-tests (~60% of kernel init time).
# idle=poll: never HLT.  Bochs (its term GUI) sleeps in real time while the
# guest is halted, which made serial output ~10x slower (the guest halts while
# waiting for the UART).
cmdline+=" ${PTC_BOCHS_CMDLINE_FAST-cryptomgr.notests idle=poll mitigations=off nokaslr}"
cmdline+=" ${PTC_BOCHS_CMDLINE_EXTRA:-}"
cat >"$iso_dir/isolinux/isolinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd.img
  APPEND $cmdline
EOF
iso=$run_dir/boot.iso
genisoimage -quiet -o "$iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table -J -R "$iso_dir" ||
    die 2 "genisoimage failed"
rm -rf -- "$root" "$iso_dir"

# ---------------------------------------------------------------- bochs
serial=$run_dir/serial.log
bochs_log=$run_dir/bochs.log
: >"$serial"
megs=${PTC_BOCHS_MEGS:-512}
# Emulated instructions per emulated second.  Low = the emulated clock runs
# fast, so the 115200-baud UART drains in fewer instructions (~100 KB/s of
# output vs ~12 KB/s at 50M); compute speed measured the same at 4M..50M.
ips=${PTC_BOCHS_IPS:-4000000}
cat >"$run_dir/bochsrc" <<EOF
display_library: term
config_interface: textconfig
memory: guest=$megs, host=$megs
romimage: file=$BOCHS_BIOS
vgaromimage: file=$BOCHS_VGABIOS
cpu: model=corei7_skylake_x, count=1, ips=$ips, reset_on_triple_fault=0
clock: sync=none, time0=local
ata0-master: type=cdrom, path=boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=serial.log
mouse: enabled=0
vga: extension=vbe, update_freq=${PTC_BOCHS_VGA_HZ:-2}
log: bochs.log
panic: action=fatal
error: action=report, cpu0=ignore
info: action=ignore
debug: action=ignore
speaker: enabled=0
EOF

# The term display library needs a tty: give Bochs a private pty via script(1)
# and throw the (VGA text) screen away.  script's stdin is a FIFO that we keep
# open for writing, so it never sees EOF (on EOF it hangs up the pty and Bochs
# quits on SIGHUP).  The runner enforces the deadline itself (kill_emulator);
# two timeout(1)s with SIGKILL (outside and inside script) are backstops in
# case the runner itself gets killed.
remaining=$((deadline - SECONDS))
((remaining > 0)) || remaining=1
mkfifo "$run_dir/stdin"
exec 4<>"$run_dir/stdin"
screen_log=$run_dir/screen.log
# Debian's Bochs is built with the internal debugger, which stops at the first
# instruction; -rc feeds it a "continue".
printf 'continue\n' >"$run_dir/debugger.rc"
# (Bochs runs in $run_dir with relative file names: the bochsrc parser does not
# like spaces or commas in paths.)
bochs_cmd="echo \$\$ >bochs.pid; exec timeout -s KILL $((remaining + 5)) bochs-bin -q -f bochsrc -rc debugger.rc"
# The wrapper subshell reaps timeout(1) itself, so that bash reports no
# "Killed" job notices on our stderr.  timeout's limit is a backstop only.
(
    cd "$run_dir"
    # The term GUI (ncurses) refuses to start without a known $TERM (CI often
    # has none); xterm's terminfo comes with ncurses-base (required).
    export TERM=xterm
    timeout -s KILL "$((remaining + 10))" script -qfec "$bochs_cmd" /dev/null \
        <"$run_dir/stdin" >"$screen_log" 2>&1 &
    printf '%s\n' "$!" >"$run_dir/emu.pid"
    wait "$!"
) 2>/dev/null &
wrap_pid=$!
boot_started=$SECONDS
note "bochs started, timeout ${timeout_s}s"
bochs_cpu() { # CPU seconds used by Bochs so far (diagnostics only)
    local inner pid
    inner=$(cat "$run_dir/bochs.pid" 2>/dev/null) || return 0
    pid=$(cat "/proc/$inner/task/$inner/children" 2>/dev/null) || return 0
    pid=${pid%% *}
    [[ -n $pid ]] || return 0
    awk -v t="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / t }' "/proc/$pid/stat" 2>/dev/null
}

# ---------------------------------------------------------------- follow serial
# tail follows the serial log and exits (after copying everything written so
# far) once the emulator wrapper is gone.  awk does the line handling: boot
# messages are kept aside (last 25 lines, for error reports), program output
# is streamed to our stdout, and the exit marker's status goes to $rc_file.
rc_file=$run_dir/rc
state_file=$run_dir/state
tail_file=$run_dir/boot-tail
awk_opts=()
# mawk (Debian's default awk) block-buffers its input unless told otherwise.
if awk -W version 2>/dev/null | grep -q mawk; then awk_opts=(-W interactive); fi
tail -n +1 -s 0.5 -f --pid="$wrap_pid" "$serial" 2>/dev/null |
    awk ${awk_opts[@]+"${awk_opts[@]}"} -v start="$start_mark" -v exitm="$exit_mark" -v rcf="$rc_file" \
        -v stf="$state_file" -v lastf="$tail_file" \
        -v trace="${PTC_BOCHS_TRACE:-0}" -v t0="$(date +%s)" '
    function keep(l) { last[n++ % 25] = l }
    function dump(   i) {
        for (i = (n > 25 ? n - 25 : 0); i < n; i++) print last[i % 25] > lastf
        close(lastf)
    }
    BEGIN { running = 0; n = 0; panic = "Kernel panic - not syncing" }
    {
        sub(/\r$/, "")
        if (!running) {
            if (trace != "0") { printf "[%4ds] %s\n", systime() - t0, $0 > "/dev/stderr"; fflush("/dev/stderr") }
            if (index($0, start)) {
                running = 1; print "running" > stf; close(stf); next
            }
            keep($0)
            if (index($0, panic)) {
                print "panic during boot: " substr($0, index($0, panic)) > stf; close(stf); dump(); exit 0
            }
            next
        }
        i = index($0, exitm)
        if (i) {
            # output that did not end in a newline shares the marker line
            if (i > 1) { print substr($0, 1, i - 1); fflush() }
            rest = substr($0, i + length(exitm)); sub(/@@.*/, "", rest)
            print rest > rcf; close(rcf); exit 0
        }
        print; fflush()
        if (index($0, panic)) {
            print "panic while the program was running: " substr($0, index($0, panic)) > stf
            close(stf); exit 0
        }
    }
    END { if (!running) dump() }' &
awk_pid=$!

booted=
timed_out=
while kill -0 "$awk_pid" 2>/dev/null; do
    if [[ -z $booted && -s $state_file ]]; then
        booted=1
        note "booted in $((SECONDS - boot_started))s${PTC_BOCHS_TRACE:+ (bochs cpu $(bochs_cpu)s)}"
    fi
    if ((SECONDS >= deadline)); then timed_out=1; break; fi
    sleep 0.2
done
if [[ -z $booted && -s $state_file ]]; then note "booted (program already done)"; fi
if [[ -s $rc_file ]]; then note "program exited"; fi
note "stopping emulator after $((SECONDS - start_time))s${PTC_BOCHS_TRACE:+ (bochs cpu $(bochs_cpu)s)}"
# Stop the emulator; tail then copies the rest of the log and exits, and awk
# sees EOF (so a partial last line still gets printed).
if [[ -n $wrap_pid ]] && ! kill -0 "$wrap_pid" 2>/dev/null; then
    wait "$wrap_pid" 2>/dev/null && emu_status=0 || emu_status=$?
    wrap_pid=
else
    emu_status=killed
fi
kill_emulator
for ((i = 0; i < 50; i++)); do kill -0 "$awk_pid" 2>/dev/null || break; sleep 0.1; done
kill "$awk_pid" 2>/dev/null || true
wait "$awk_pid" 2>/dev/null || true
note "total $((SECONDS - start_time))s"

result=$(cat "$rc_file" 2>/dev/null || true)
state=$(cat "$state_file" 2>/dev/null || true)
case $state in
    running|*while*running*) phase="program was running" ;;
    *) phase="Linux had not finished booting" ;;
esac
if [[ $result =~ ^[0-9]+$ ]]; then
    rc=$result
    if ((rc > 128 && rc < 160)); then
        sig=$(kill -l "$((rc - 128))" 2>/dev/null || echo "?")
        printf '%s: %s exited with status %d (= 128 + SIG%s: killed by a signal?)\n' \
            "$PROG" "${binary##*/}" "$rc" "$sig" >&2
    fi
    exit "$rc"
fi
if [[ $state != running && -s $tail_file ]]; then
    printf '%s: last serial output before failure:\n' "$PROG" >&2
    sed 's/^/  | /' "$tail_file" >&2
fi
if [[ -s $bochs_log ]] && grep -q '>>PANIC<<' "$bochs_log"; then
    printf '%s: bochs: %s\n' "$PROG" "$(grep -m1 '>>PANIC<<' "$bochs_log")" >&2
fi
if [[ -n $timed_out ]]; then
    die 124 "timeout after ${timeout_s}s ($phase); emulator killed"
fi
case $state in
    panic*) die 125 "kernel $state" ;;
esac
if [[ -s $screen_log ]]; then
    # Bochs' own complaints (e.g. a config error) end up on its pty.
    sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\r//g' "$screen_log" |
        grep -E -i -m5 'panic|error|cannot|exiting|message' | sed 's/^/  bochs| /' >&2 || true
fi
die 125 "emulator stopped (status $emu_status) before the program reported an exit status ($phase)"
