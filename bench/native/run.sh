#!/usr/bin/env bash
# The C ABI benchmark: kindbench.c, compiled once against memkind.h (DT_NEEDED libmemkind.so.0, no rpath), run in
# alternating processes on Debian's libmemkind.so.0 and on ours (LD_LIBRARY_PATH=OURLIBDIR): Debian, ours, Debian,
# ours... per workload and directory. Prints a markdown table of medians, speedups (Debian's time / ours) and the
# issue's targets; writes the raw results, the table and PNG charts (native-*.png) into the output directory.
#
# Usage: bench/native/run.sh [--quick] [--out OUTDIR] OURLIBDIR [DIR...]
#   OURLIBDIR  a directory holding our libmemkind.so.0 (pass Debian's /usr/lib/x86_64-linux-gnu for a sanity run:
#              both sides the same library, ratios near 1.0)
#   DIR...     directories of the pmem kinds (default: /dev/shm /tmp)
#   --quick    3 process pairs of 5 rounds per workload (under 2 min); default 7 pairs of 11 rounds (under 8 min)
#   --out      where raw.tsv, table.md, run.log and native-*.png go (default: bench/native/results)
# Exit status: 0 when every process slot got its results (targets missed and crashes that a retry got past are
# reported, not failed); 1 on a setup error or when a slot failed in all 3 attempts; 3 when a block had wrong contents.
# memkind 1.14.0 crashes now and then inside libmemkind.so.0 (docs/benchmarks.md, Known problems): a process that dies
# of a signal is recorded as a crash (in the table's Crashes column) and its slot is run again, up to 3 attempts.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

usage() { sed -n '7,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 1; }
quick=0
out="$here/results"
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; shift ;;
        --out) [ $# -ge 2 ] || usage; out="$2"; shift 2 ;;
        -h|--help) usage ;;
        --*) echo "unknown option $1" >&2; usage ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || usage
ourdir="$(cd "$1" 2>/dev/null && pwd)" || { echo "OURLIBDIR $1 is not a directory" >&2; exit 1; }
shift
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(/dev/shm /tmp)
for d in "${dirs[@]}"; do [ -d "$d" ] && [ -w "$d" ] || { echo "$d is not a writable directory" >&2; exit 1; }; done
if [ $quick -eq 1 ]; then pairs=3; rounds=5; mode=quick; else pairs=7; rounds=11; mode=full; fi

# Debian's memkind (the reference) and the compiler; installed with apt when run as root.
missing=()
for pkg in libmemkind0 libmemkind-dev gcc; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then apt-get update && apt-get install -y "${missing[@]}" || exit 1
    else echo "missing: ${missing[*]} (install with: sudo apt-get install -y ${missing[*]})" >&2; exit 1; fi
fi
deblib="$(realpath "$(gcc -print-file-name=libmemkind.so.0)")"
[ -f "$deblib" ] || deblib="$(realpath /usr/lib/x86_64-linux-gnu/libmemkind.so.0)"
[ -f "$ourdir/libmemkind.so.0" ] || { echo "$ourdir has no libmemkind.so.0" >&2; exit 1; }
ourlib="$(realpath "$ourdir/libmemkind.so.0")"
ourstamp="$(stat -c '%Y %s' "$ourlib")"

tmp="$(mktemp -d /tmp/kindbench.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -std=gnu11 -Wall -Wextra -Werror -pthread -o "$tmp/kindbench" "$here/kindbench.c" -lmemkind || { echo "compile failed" >&2; exit 1; }
if readelf -d "$tmp/kindbench" | grep -qE 'RPATH|RUNPATH'; then echo "kindbench has an rpath" >&2; exit 1; fi
readelf -d "$tmp/kindbench" | grep -q 'NEEDED.*\[libmemkind.so.0\]' || { echo "kindbench does not need libmemkind.so.0" >&2; exit 1; }

# The report tool (C#, ScottPlot) is built while nothing is measured.
dotnet build "$here/NativeReport/NativeReport.csproj" -c Release -v quiet -nologo -o "$tmp/report" >"$tmp/build.log" 2>&1 ||
    { cat "$tmp/build.log" >&2; echo "report tool build failed" >&2; exit 1; }

mkdir -p "$out"
raw="$out/raw.tsv"; log="$out/run.log"
: >"$raw"; : >"$log"
ulimit -c 0
start=$SECONDS
{
    printf 'meta\tmode\t%s\n' "$mode"
    printf 'meta\tdate\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'meta\tmachine\tnproc %s, kernel %s\n' "$(nproc)" "$(uname -r)"
    printf 'meta\tcommit\t%s\n' "$(git -C "$root" log -1 --format=%h 2>/dev/null || echo unknown)"
    printf 'meta\tcommand\tbench/native/run.sh %s\n' "$([ $quick -eq 1 ] && echo '--quick ')$ourdir ${dirs[*]}"
    printf 'meta\tdebian\t%s\n' "$deblib"
    printf 'meta\tours\t%s (mtime %s)\n' "$ourlib" "$(date -u -r "$ourlib" '+%Y-%m-%d %H:%M:%S UTC')"
    printf 'meta\tpairs\t%s\n' "$pairs"
    printf 'meta\trounds\t%s\n' "$rounds"
    for d in "${dirs[@]}"; do printf 'meta\tfs\t%s\t%s\n' "$d" "$(df --output=fstype "$d" | tail -1)"; done
    printf 'meta\tload_start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$raw"

failed=0; wrong=0
# run_one FS WORKLOAD CONTENDER PAIR: one process, up to 3 attempts; appends tagged lines to raw.tsv.
run_one() {
    local fs="$1" w="$2" who="$3" pair="$4" attempt rc lib want
    if [ "$who" = ours ]; then want="$ourlib"; else want="$deblib"; fi
    if [ "$(stat -c '%Y %s' "$ourlib" 2>/dev/null)" != "$ourstamp" ]; then
        echo "$ourlib changed (rebuilt?) during the run: the results would mix two builds; stopping" >&2
        printf 'meta\tstopped\t%s changed during the run\n' "$ourlib" >>"$raw"
        exit 1
    fi
    for attempt in 1 2 3; do
        if [ "$who" = ours ]; then
            LD_LIBRARY_PATH="$ourdir" timeout 300 "$tmp/kindbench" "$w" "$fs" "$rounds" >"$tmp/out" 2>"$tmp/err"; rc=$?
        else
            env -u LD_LIBRARY_PATH timeout 300 "$tmp/kindbench" "$w" "$fs" "$rounds" >"$tmp/out" 2>"$tmp/err"; rc=$?
        fi
        lib="$(awk -F'\t' '$1=="lib"{print $2; exit}' "$tmp/out")"
        if [ -n "$lib" ] && [ "$(realpath "$lib" 2>/dev/null || echo "$lib")" != "$want" ]; then
            echo "$who process loaded $lib, not $want: stopping" >&2
            exit 1
        fi
        { echo "--- $fs $w $who pair $pair attempt $attempt: exit $rc, lib $lib"; cat "$tmp/err"; } >>"$log"
        if [ $rc -eq 0 ]; then
            awk -F'\t' -v OFS='\t' -v fs="$fs" -v who="$who" -v p="$pair" \
                '$1=="result"{print "result", fs, who, p, $2, $3, $4, $6} $1=="lib"{print "lib", fs, who, p, $2}' "$tmp/out" >>"$raw"
            return 0
        fi
        local what="exit $rc"
        [ $rc -ge 128 ] && what="signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null))"
        [ $rc -eq 124 ] && what="timeout (300 s)"
        [ $rc -eq 3 ] && what="WRONG BLOCK CONTENTS"
        printf 'crash\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$fs" "$w" "$who" "$pair" "$attempt" "$what" \
            "$(tail -c 300 "$tmp/err" | tr '\t\n' '  ')" >>"$raw"
        echo "    $who $w on $fs (pair $pair, attempt $attempt): $what" >&2
        if [ $rc -eq 3 ]; then wrong=1; return 1; fi
    done
    failed=1
    return 1
}

workloads=(pair mix xthread create large)
for fs in "${dirs[@]}"; do
    for w in "${workloads[@]}"; do
        echo "=== $w on $fs ($((SECONDS - start)) s so far)" >&2
        for ((i = 1; i <= pairs; i++)); do
            run_one "$fs" "$w" debian "$i"
            run_one "$fs" "$w" ours "$i"
        done
    done
done
echo "=== default-pair ($((SECONDS - start)) s so far)" >&2
for ((i = 1; i <= pairs; i++)); do
    run_one - default-pair debian "$i"
    run_one - default-pair ours "$i"
done
if [ "$(stat -c '%Y %s' "$ourlib" 2>/dev/null)" != "$ourstamp" ]; then
    echo "$ourlib changed (rebuilt?) during the run: the results would mix two builds; stopping" >&2
    exit 1
fi
printf 'meta\tseconds\t%s\n' "$((SECONDS - start))" >>"$raw"
printf 'meta\tload_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$raw"
echo "=== measured in $((SECONDS - start)) s; raw results in $raw, stderr of every process in $log" >&2

dotnet "$tmp/report/NativeReport.dll" "$raw" "$out" || { echo "report failed" >&2; exit 1; }
[ $wrong -eq 1 ] && exit 3
[ $failed -eq 1 ] && exit 1
exit 0
