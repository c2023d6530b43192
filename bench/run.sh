#!/usr/bin/env bash
# The benchmark suite's workloads (bench/MemoryKinds.Workloads): multi-thread, large, kinds and space workloads over
# MemoryKinds, NativeMemory (glibc), memkind and mimalloc, contenders interleaved in one process. See docs/benchmarks.md.
# Usage: bench/run.sh            full run (under 20 min); updates docs/benchmarks.md and docs/benchmarks/*.png
#        bench/run.sh --quick    quick run (under 2 min); results in bench/MemoryKinds.Workloads/results/workloads-quick-*.md
#        bench/run.sh --check    correctness only (CI): tiny workloads; fails if a freed block's contents are wrong
# Set BENCH_NO_INSTALL=1 to skip installing libmemkind0/libmimalloc2.0 (missing contenders are then reported MISSING).
# Each workload group runs in its own process. memkind 1.14.0 segfaults now and then inside libmemkind.so.0 in the
# workloads when its pmem kind and MEMKIND_DEFAULT (or two pmem kinds) are used in one process (see docs/benchmarks.md,
# Known problems): a group whose process dies of a signal is run again, then without MEMKIND_DEFAULT, then without any
# memkind contender; the results list an excluded contender as EXCLUDED.
# The micro-benchmarks (BenchmarkDotNet) are run separately by bench/run-micro.sh.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

missing=()
for pkg in libmemkind0 libmimalloc2.0; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && [ -z "${BENCH_NO_INSTALL:-}" ]; then
        apt-get update && apt-get install -y "${missing[@]}"
    else
        echo "warning: ${missing[*]} not installed; those contenders will be reported MISSING." >&2
        echo "         install with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    fi
fi

cd "$root/bench/MemoryKinds.Workloads"
dotnet build -c Release -v quiet -nologo >/dev/null || { echo "build failed" >&2; exit 1; }
dll=bin/Release/net10.0/MemoryKinds.Workloads.dll
args=()
case "${1:-}" in
    --quick|--check) args=("$@") ;;
    *) args=(--docs "$root/docs/benchmarks.md" "$@") ;;
esac

start=$SECONDS
for group in larson xmalloc cache-scratch mstress large kinds space-fill space-class space-bounded conservative space-mixed; do
    echo "=== $group ($((SECONDS - start)) s so far)"
    # Attempts: twice with every contender, twice without MEMKIND_DEFAULT, once without any memkind contender.
    rc=1
    for exclude in "" "" "memkind MEMKIND" "memkind MEMKIND" "memkind"; do
        if [ -n "$exclude" ]; then
            WORKLOADS_EXCLUDE="$exclude" dotnet "$dll" --only "$group" "${args[@]}"; rc=$?
        else
            dotnet "$dll" --only "$group" "${args[@]}"; rc=$?
        fi
        if [ "$rc" -lt 128 ]; then break; fi
        echo "=== $group: the process died of signal $((rc - 128))${exclude:+ (without: $exclude)}; running it again" >&2
    done
    if [ "$rc" -ne 0 ]; then
        echo "=== $group FAILED (exit $rc)$([ "$rc" -eq 3 ] && echo ': a freed block had wrong contents')" >&2
        exit "$rc"
    fi
done
echo "=== all workload groups passed their checks in $((SECONDS - start)) s"
