#!/usr/bin/env bash
# Runs every sample under samples/ on a fresh temporary directory and fails if any fails.
# Usage: samples/run-all.sh [--no-build] [directory]
#   --no-build  use the Release builds already made (bash .ci/run builds the solution first); otherwise build each sample.
#   directory   where the samples create their kinds (default: a new directory under $TMPDIR, removed afterwards).
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

build=1
if [ "${1:-}" = "--no-build" ]; then build=0; shift; fi
if [ $# -gt 0 ]; then
    dir=$1
else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/memkinds-samples.XXXXXX")
    trap 'rm -rf "$dir"' EXIT
fi

failed=()
count=0
for project in */*.csproj; do
    name=$(basename "$project" .csproj)
    sample=$(dirname "$project")
    count=$((count + 1))
    if [ "$build" -eq 1 ] && ! dotnet build "$project" -c Release -v quiet -nologo >/dev/null; then
        echo "=== $name: build FAILED"
        failed+=("$name")
        continue
    fi
    dll="$sample/bin/Release/net10.0/$name.dll"
    echo "=== $name $dir"
    start=$(date +%s%N)
    if [ -f "$dll" ]; then
        timeout 300 dotnet "$dll" "$dir"
    else
        timeout 300 dotnet run --project "$project" -c Release --no-build -- "$dir"
    fi
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ "$rc" -ne 0 ]; then
        echo "=== $name FAILED (exit code $rc, ${ms} ms)"
        failed+=("$name")
    else
        echo "=== $name passed (${ms} ms)"
    fi
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "samples: ${#failed[@]} of $count failed: ${failed[*]}"
    exit 1
fi
echo "samples: all $count passed"
