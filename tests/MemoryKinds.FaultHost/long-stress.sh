#!/usr/bin/env bash
# The long variant of the reliability stress run (tests/MemoryKinds.Tests/Reliability/Stress/StressRun.cs): for each
# directory (default /tmp = ext4 and /dev/shm = tmpfs), both policies and two thread counts, rounds of fresh threads
# until the time is up, with Validate() after every round. Not part of CI (which runs the short xunit variant).
#
#   MEMKINDS_LONG_STRESS=1 tests/MemoryKinds.FaultHost/long-stress.sh [MINUTES_PER_DIRECTORY] [DIR...]
#
# Without MEMKINDS_LONG_STRESS=1 it refuses and exits 3: a long run that did not run must not look like a pass.
set -euo pipefail
if [ "${MEMKINDS_LONG_STRESS:-}" != "1" ]; then
  echo "long-stress.sh: NOT RUN: set MEMKINDS_LONG_STRESS=1 to run the long stress test (it takes minutes)." >&2
  exit 3
fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
dotnet build "$root/tests/MemoryKinds.FaultHost" -c Release -v quiet -nologo
exec dotnet "$root/tests/MemoryKinds.FaultHost/bin/Release/net10.0/MemoryKinds.FaultHost.dll" long-stress "${1:-20}" "${@:2}"
