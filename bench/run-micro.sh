#!/usr/bin/env bash
# Micro-benchmarks of MemoryKinds vs NativeMemory (glibc) vs memkind; see docs/benchmarks.md.
# Usage: bench/run-micro.sh [BenchmarkDotNet arguments]   (default: --filter '*', every benchmark, a few minutes)
#        bench/run-micro.sh --smoke --filter '*'           (one cold invocation each: checks that every contender works)
# Results (GitHub markdown, CSV, HTML): bench/MemoryKinds.Benchmarks/BenchmarkDotNet.Artifacts/results/
set -euo pipefail
cd "$(dirname "$0")/MemoryKinds.Benchmarks"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# memkind is a contender: install it when we can. Without it the memkind rows show NA and the run says why.
if ! dpkg-query -W -f='${Status}' libmemkind0 2>/dev/null | grep -q "ok installed"; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update && apt-get install -y libmemkind0
    else
        echo "warning: libmemkind0 is not installed and this is not root; memkind contenders will be reported missing." >&2
        echo "         install it with: sudo apt-get update && sudo apt-get install -y libmemkind0" >&2
    fi
fi

if [ $# -eq 0 ]; then set -- --filter '*'; fi
dotnet run -c Release -- "$@" --artifacts "$PWD/BenchmarkDotNet.Artifacts"
