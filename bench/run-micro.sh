#!/usr/bin/env bash
# Micro-benchmarks of MemoryKinds vs NativeMemory (glibc) vs memkind vs mimalloc; see docs/benchmarks.md.
# Usage: bench/run-micro.sh [BenchmarkDotNet arguments]   (default: --filter '*', every benchmark, ~9 min on 2 cores)
#        bench/run-micro.sh --smoke --filter '*'           (one cold invocation each: checks that every contender works)
#        bench/run-micro.sh --interleaved                  (pairs and random mix, all contenders taking turns in one process, ~15 s)
#        bench/run-micro.sh --summarize DIR... [--charts OUTDIR]
#                                 (no benchmark: merges the runs whose BenchmarkDotNet.Artifacts/results folders are the DIRs into the
#                                  micro tables of docs/benchmarks.md, markdown on stdout; with --charts, also micro-*.png into OUTDIR)
# Results (GitHub markdown, CSV, HTML, and micro-summary.md with the ratio tables of docs/benchmarks.md):
#   bench/MemoryKinds.Benchmarks/BenchmarkDotNet.Artifacts/results/
set -euo pipefail
if [ "${1:-}" = "--summarize" ]; then
    # The paths are the caller's: make them absolute before changing directory.
    args=()
    for arg in "$@"; do
        case "$arg" in --*|/*) args+=("$arg") ;; *) args+=("$PWD/$arg") ;; esac
    done
    set -- "${args[@]}"
fi
cd "$(dirname "$0")/MemoryKinds.Benchmarks"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Summarizing runs no benchmark and needs neither memkind nor mimalloc.
if [ "${1:-}" = "--summarize" ]; then exec dotnet run -c Release -- "$@"; fi

# memkind and mimalloc are contenders: install them when we can. Without one, its rows show NA and the run says why.
for package in libmemkind0 libmimalloc2.0; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
        if [ "$(id -u)" -eq 0 ]; then
            apt-get update && apt-get install -y "$package"
        else
            echo "warning: $package is not installed and this is not root; its contenders will be reported missing." >&2
            echo "         install it with: sudo apt-get update && sudo apt-get install -y $package" >&2
        fi
    fi
done

if [ $# -eq 0 ]; then set -- --filter '*'; fi
if [ "$1" = "--interleaved" ]; then exec dotnet run -c Release -- --interleaved; fi
dotnet run -c Release -- "$@" --artifacts "$PWD/BenchmarkDotNet.Artifacts"
