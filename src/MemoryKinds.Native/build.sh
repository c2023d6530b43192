#!/usr/bin/env bash
# Builds memkind 1.14's C ABI over the MemoryKinds engine into OUTDIR:
#   OUTDIR/libmemkind.so.0 (soname libmemkind.so.0), OUTDIR/libmemkind.so -> libmemkind.so.0,
#   OUTDIR/include/memkind.h + memkind_deprecated.h + memkind_memtier.h, OUTDIR/pkgconfig/memkind.pc
# Run as root on a fresh machine, it installs what NativeAOT needs (clang, zlib); the ILCompiler package comes from NuGet.
set -euo pipefail
out=${1:?usage: build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

case "$(uname -m)" in
    x86_64) rid=linux-x64 ;;
    aarch64) rid=linux-arm64 ;;
    *) echo "build.sh: NativeAOT supports x86-64 and arm64 Linux, not $(uname -m)" >&2; exit 1 ;;
esac
if ! command -v clang >/dev/null || [ ! -e /usr/include/zlib.h ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "build.sh: installing clang and zlib1g-dev (NativeAOT's linker and libz)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq clang zlib1g-dev >/dev/null
    else
        echo "build.sh: NativeAOT needs clang and zlib1g-dev; install them (or run as root)" >&2
        exit 1
    fi
fi

publish=$(mktemp -d)
trap 'rm -rf "$publish"' EXIT
dotnet publish "$here/MemoryKinds.Native.csproj" -c Release -r "$rid" -o "$publish" -nologo -v quiet
install -m 0755 "$publish/libmemkind.so" "$out/libmemkind.so.0"
ln -sfn libmemkind.so.0 "$out/libmemkind.so"
mkdir -p "$out/include" "$out/pkgconfig"
install -m 0644 "$here/include/memkind.h" "$here/include/memkind_deprecated.h" "$here/include/memkind_memtier.h" "$out/include/"
sed "s|@PREFIX@|$out|g" "$here/memkind.pc.in" > "$out/pkgconfig/memkind.pc"
echo "build.sh: $out/libmemkind.so.0 ($(nm -D --defined-only "$out/libmemkind.so.0" | grep -c ' [TD] memkind_\| D MEMKIND_') memkind symbols, $(nm -D --defined-only "$out/libmemkind.so.0" | grep -c ' T memtier_') memtier functions)"
