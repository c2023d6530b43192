#!/usr/bin/env bash
# Makes a LIBDIR for run.sh out of Debian's libmemkind0 + libmemkind-dev, to run the suite against memkind 1.14:
#   tests/native/debian-libdir.sh DIR && tests/native/run.sh DIR RESULTSDIR
set -euo pipefail
dir=${1:?usage: debian-libdir.sh DIR}
lib=$(ls /usr/lib/*/libmemkind.so.0 | head -1)
mkdir -p "$dir/include"
cp /usr/include/memkind.h /usr/include/memkind_deprecated.h /usr/include/memkind_memtier.h "$dir/include/"
ln -sf "$(readlink -f "$lib")" "$dir/libmemkind.so.0"
ln -sf libmemkind.so.0 "$dir/libmemkind.so"
echo "$dir: Debian's $(readlink -f "$lib")"
