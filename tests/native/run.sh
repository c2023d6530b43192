#!/usr/bin/env bash
# C/C++ tests of the memkind 1.14 C ABI served by LIBDIR/libmemkind.so.0.
#
#   tests/native/run.sh LIBDIR RESULTSDIR
#
# LIBDIR holds libmemkind.so.0, libmemkind.so and include/memkind.h (ours: the NativeAOT build). Every test binary is
# built with -I LIBDIR/include -L LIBDIR -lmemkind -Wl,-rpath,LIBDIR; the drop-in program (dropin.c) is built once
# against Debian's libmemkind-dev (/usr/include, -lmemkind, no rpath) and run on Debian's library and, through
# LD_LIBRARY_PATH=LIBDIR, on ours, and the outputs are compared.
#
# Results: JUnit-style XML files in RESULTSDIR (gtest's own, and the same shape for the other steps), build outputs in
# RESULTSDIR/build. A step that cannot run is a failed test case saying why. Prints "native: N passed, M failed" last
# and exits 0 only if nothing failed.
#
# Environment: MEMKINDS_TEST_DIR (directory for pmem kinds, default /tmp). Needs root for the full-file-system test
# (it mounts a 64 MiB tmpfs). To run the suite against Debian's library instead, make a LIBDIR with
# tests/native/debian-libdir.sh DIR (then ours_tests fails by design: it tests what only our library does).
set -uo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 LIBDIR RESULTSDIR" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
LIBDIR=$(cd "$1" 2>/dev/null && pwd) || LIBDIR=$1
mkdir -p "$2"
RES=$(cd "$2" && pwd)
BUILD=$RES/build
rm -rf "$BUILD" "$RES"/*.xml "$RES"/*.txt "$RES"/*.log
mkdir -p "$BUILD/inc"
export MEMKINDS_TEST_DIR=${MEMKINDS_TEST_DIR:-/tmp}
unset LD_LIBRARY_PATH LD_PRELOAD MEMKINDS_ABORT_ON_MISUSE
START=$(date +%s)

# ---- JUnit XML for the steps that are not gtest binaries -----------------------------------------------------------
# case_pass SUITE NAME / case_fail SUITE NAME MESSAGE append to $BUILD/SUITE.cases; write_suite SUITE writes SUITE.xml.
xml_escape() {
    # & < > " and control characters (other than tab and newline) become entities or '?'
    sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' -e 's/[\x01-\x08\x0b\x0c\x0e-\x1f]/?/g' |
        awk 'BEGIN{ORS="&#10;"} {print}'
}
case_pass() { printf 'P\t%s\n' "$2" >> "$BUILD/$1.cases"; }
case_fail() {
    local msg
    msg=$(printf '%s' "$3" | head -c 6000 | xml_escape)
    printf 'F\t%s\t%s\n' "$2" "$msg" >> "$BUILD/$1.cases"
}
write_suite() {
    local suite=$1 file=$BUILD/$1.cases tests failures
    [ -f "$file" ] || return 0
    tests=$(wc -l < "$file")
    failures=$(grep -c '^F' "$file")
    {
        echo '<?xml version="1.0" encoding="UTF-8"?>'
        echo "<testsuites tests=\"$tests\" failures=\"$failures\" errors=\"0\" name=\"$suite\">"
        echo "  <testsuite name=\"$suite\" tests=\"$tests\" failures=\"$failures\" errors=\"0\">"
        while IFS=$'\t' read -r kind name msg; do
            if [ "$kind" = P ]; then
                echo "    <testcase name=\"$name\" classname=\"$suite\" status=\"run\" />"
            else
                echo "    <testcase name=\"$name\" classname=\"$suite\" status=\"run\">"
                echo "      <failure message=\"$msg\" type=\"\"></failure>"
                echo "    </testcase>"
            fi
        done < "$file"
        echo "  </testsuite>"
        echo "</testsuites>"
    } > "$RES/$suite.xml"
}

# ---- preconditions --------------------------------------------------------------------------------------------------
have_lib=1
if [ ! -f "$LIBDIR/libmemkind.so.0" ] || [ ! -f "$LIBDIR/include/memkind.h" ]; then
    case_fail native_setup library_present "LIBDIR=$LIBDIR has no libmemkind.so.0 or include/memkind.h"
    have_lib=0
else
    case_pass native_setup library_present
    [ -e "$LIBDIR/libmemkind.so" ] || ln -sf libmemkind.so.0 "$BUILD/libmemkind.so" # -lmemkind needs the dev name
fi
LINKDIR=$LIBDIR
[ -e "$LIBDIR/libmemkind.so" ] || LINKDIR=$BUILD
have_gtest=1
if [ ! -f /usr/include/gtest/gtest.h ] || [ -z "$(ls /usr/lib/*/libgtest.a /usr/lib/libgtest.a 2>/dev/null)" ]; then
    case_fail native_setup googletest_present "googletest headers or libgtest.a missing (apt-get install googletest libgtest-dev)"
    for b in api_tests ours_tests pmem_allocator_tests; do
        case_fail native_build "$b" "not built: googletest (gtest/gtest.h, libgtest.a) is not installed"
    done
    have_gtest=0
else
    case_pass native_setup googletest_present
fi
debian_dev=1
if [ ! -f /usr/include/memkind.h ] || [ -z "$(ls /usr/lib/*/libmemkind.so /usr/lib/libmemkind.so 2>/dev/null)" ]; then
    debian_dev=0
fi
debian_alloc_h=1
[ -f /usr/include/pmem_allocator.h ] || debian_alloc_h=0

# ---- build ----------------------------------------------------------------------------------------------------------
CXXFLAGS="-std=c++17 -O0 -g -Wall -Wextra -Wno-deprecated-declarations -Wno-unused-parameter -DMEMKIND_DEPRECATED(x)=x"
OURS_INC="-I$LIBDIR/include"
OURS_LIB="-L$LINKDIR -lmemkind -Wl,-rpath,$LIBDIR"

# compile SRC OBJ EXTRA_FLAGS...: one job; the log is BUILD/OBJ.log
compile_cxx() {
    local src=$1 obj=$2
    shift 2
    g++ $CXXFLAGS "$@" -c "$HERE/$src" -o "$BUILD/$obj" > "$BUILD/$obj.log" 2>&1
}
export -f compile_cxx
export CXXFLAGS HERE BUILD

API_SRCS="config_tests kind_tests static_kinds_tests heap_tests misc_tests thread_tests space_tests memtier_tests"
jobs_file=$BUILD/jobs
: > "$jobs_file"
if [ $have_lib = 1 ] && [ $have_gtest = 1 ]; then
    for s in $API_SRCS ours_tests memtier_ours_tests; do echo "$s.cpp $s.o $OURS_INC" >> "$jobs_file"; done
    if [ $debian_alloc_h = 1 ]; then
        # A copy next to the build: its #include "memkind.h" then finds LIBDIR's header, not /usr/include's.
        cp /usr/include/pmem_allocator.h "$BUILD/inc/"
        echo "pmem_allocator_tests.cpp pmem_allocator_tests.o -I$BUILD/inc $OURS_INC" >> "$jobs_file"
    fi
fi
# Two compile jobs at a time (the machine has 2 cores).
xargs -P 2 -L 1 bash -c 'compile_cxx "$@"' _ < "$jobs_file"

link_gtest() { # NAME OBJS... -- extra libs
    local name=$1
    shift
    g++ -o "$BUILD/$name" "$@" -lgtest -pthread $OURS_LIB -ldl >> "$BUILD/$name.link.log" 2>&1
}
built() { # NAME: build case; 0 if the binary exists
    if [ -x "$BUILD/$1" ]; then
        case_pass native_build "$1"
        return 0
    fi
    case_fail native_build "$1" "$2"
    return 1
}
log_of() { cat "$@" 2>/dev/null | grep -E 'error|undefined|No such' | head -40; }

if [ $have_lib = 0 ] && [ $have_gtest = 1 ]; then
    for b in api_tests ours_tests pmem_allocator_tests c_abi; do
        case_fail native_build "$b" "not built: no library under test in $LIBDIR"
    done
fi
if [ $have_lib = 1 ] && [ $have_gtest = 1 ]; then
    api_objs=""
    ok=1
    for s in $API_SRCS; do
        api_objs+=" $BUILD/$s.o"
        [ -f "$BUILD/$s.o" ] || ok=0
    done
    [ $ok = 1 ] && link_gtest api_tests $api_objs -lgtest_main
    built api_tests "api_tests did not build: $(log_of $BUILD/*_tests.o.log $BUILD/api_tests.link.log)"
    [ -f "$BUILD/ours_tests.o" ] && [ -f "$BUILD/memtier_ours_tests.o" ] && link_gtest ours_tests "$BUILD/ours_tests.o" "$BUILD/memtier_ours_tests.o"
    built ours_tests "ours_tests did not build: $(log_of $BUILD/ours_tests.o.log $BUILD/memtier_ours_tests.o.log $BUILD/ours_tests.link.log)"
    if [ $debian_alloc_h = 1 ]; then
        [ -f "$BUILD/pmem_allocator_tests.o" ] && link_gtest pmem_allocator_tests "$BUILD/pmem_allocator_tests.o" -lgtest_main
        built pmem_allocator_tests "pmem_allocator_tests did not build against $LIBDIR/include/memkind.h: $(log_of $BUILD/pmem_allocator_tests.o.log $BUILD/pmem_allocator_tests.link.log)"
    else
        case_fail native_build pmem_allocator_tests "/usr/include/pmem_allocator.h missing: install Debian's libmemkind-dev to build the pmem::allocator tests"
    fi
    # The gtest binaries load LIBDIR's library, not another one.
    if [ -x "$BUILD/api_tests" ]; then
        resolved=$(ldd "$BUILD/api_tests" | awk '$1=="libmemkind.so.0"{print $3}')
        if [ "$(readlink -f "$resolved" 2>/dev/null)" = "$(readlink -f "$LIBDIR/libmemkind.so.0")" ]; then
            case_pass native_build api_tests_loads_LIBDIR
        else
            case_fail native_build api_tests_loads_LIBDIR "api_tests resolves libmemkind.so.0 to '$resolved', not $LIBDIR/libmemkind.so.0"
        fi
    fi
fi

# Plain C: the header under C11 -pedantic, the ABI types and constants, data symbols before the first call.
if [ $have_lib = 1 ]; then
    if gcc -std=c11 -Wall -Wextra -Werror -pedantic -Wno-deprecated-declarations $OURS_INC "$HERE/c_abi.c" \
        -o "$BUILD/c_abi" $OURS_LIB > "$BUILD/c_abi.log" 2>&1; then
        case_pass c_abi compiles_as_c11_pedantic_with_1_14_prototypes
    else
        case_fail c_abi compiles_as_c11_pedantic_with_1_14_prototypes "$(head -40 "$BUILD/c_abi.log")"
    fi
    if gcc -std=c99 -Wall -Werror -fsyntax-only $OURS_INC -x c - > "$BUILD/c99.log" 2>&1 <<< '#include <memkind.h>
int main(void) { return memkind_get_version() == 0; }'; then
        case_pass c_abi header_compiles_as_c99
    else
        case_fail c_abi header_compiles_as_c99 "$(head -20 "$BUILD/c99.log")"
    fi
    if g++ -std=c++11 -Wall -Werror -fsyntax-only $OURS_INC -x c++ - > "$BUILD/cxx11.log" 2>&1 <<< '#include <memkind.h>
int main() { return memkind_get_version() == 0; }'; then
        case_pass c_abi header_compiles_as_cxx11
    else
        case_fail c_abi header_compiles_as_cxx11 "$(head -20 "$BUILD/cxx11.log")"
    fi
    if gcc -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only $OURS_INC -x c - > "$BUILD/memtier_c99.log" 2>&1 <<< '#include <memkind_memtier.h>
int main(void) { memtier_free(NULL); return memtier_kind_allocated_size(MEMKIND_DEFAULT) != 0; }'; then
        case_pass c_abi memtier_header_compiles_as_c99
    else
        case_fail c_abi memtier_header_compiles_as_c99 "$(head -20 "$BUILD/memtier_c99.log")"
    fi
    if g++ -std=c++11 -Wall -Wextra -Werror -fsyntax-only $OURS_INC -x c++ - > "$BUILD/memtier_cxx11.log" 2>&1 <<< '#include <memkind_memtier.h>
int main() { memtier_free(nullptr); return memtier_builder_new(MEMTIER_POLICY_STATIC_RATIO) == nullptr; }'; then
        case_pass c_abi memtier_header_compiles_as_cxx11
    else
        case_fail c_abi memtier_header_compiles_as_cxx11 "$(head -20 "$BUILD/memtier_cxx11.log")"
    fi
fi

# The drop-in program: Debian's headers and library only.
if [ $debian_dev = 1 ]; then
    if gcc -std=gnu11 -O1 -g -Wall -Wextra -Wno-deprecated-declarations -I/usr/include "$HERE/dropin.c" \
        -o "$BUILD/dropin" -lmemkind -lpthread -ldl > "$BUILD/dropin.log" 2>&1; then
        case_pass dropin builds_against_debian_libmemkind_dev
    else
        case_fail dropin builds_against_debian_libmemkind_dev "$(head -40 "$BUILD/dropin.log")"
    fi
else
    case_fail dropin builds_against_debian_libmemkind_dev "Debian's libmemkind-dev is not installed (/usr/include/memkind.h, libmemkind.so): the drop-in program cannot be built"
fi
echo "native: built in $(($(date +%s) - START)) s"

# ---- run ------------------------------------------------------------------------------------------------------------
# run_gtest NAME TIMEOUT: runs BUILD/NAME with --gtest_output=xml:RES/NAME.xml. If the process dies (signal, timeout)
# before writing its XML, every test is run again in a process of its own (RES/NAME.N.xml), and each test whose
# process dies is a failed test case in RES/NAME_crashes.xml with the signal and the end of its output.
run_gtest() {
    local name=$1 limit=$2 rc
    [ -x "$BUILD/$name" ] || return 0
    (cd "$BUILD" && timeout -s KILL "$limit" "./$name" --gtest_output="xml:$RES/$name.xml") > "$RES/$name.log" 2>&1
    rc=$?
    if [ -s "$RES/$name.xml" ] && grep -q '</testsuites>' "$RES/$name.xml"; then
        echo "native: $name exit $rc ($(grep -m1 -o 'tests="[0-9]*" failures="[0-9]*"' "$RES/$name.xml"))"
        return 0
    fi
    rm -f "$RES/$name.xml"
    local current why
    current=$(grep -E '^\[ RUN      \]' "$RES/$name.log" | tail -1 | sed 's/^\[ RUN      \] //')
    why="exit status $rc"
    [ $rc -gt 128 ] && why="signal $((rc - 128))"
    [ $rc = 137 ] && why="SIGKILL (timeout of $limit s, or out of memory)"
    echo "native: $name died ($why) in ${current:-startup}; running each test in a process of its own"
    local tests i=0 t trc
    tests=$(cd "$BUILD" && "./$name" --gtest_list_tests 2>/dev/null | awk '/^[^ ]/{s=$1} /^  /{print s $1}')
    if [ -z "$tests" ]; then
        case_fail "${name}_crashes" startup "$name died ($why) and cannot list its tests: $(tail -30 "$RES/$name.log")"
        return 0
    fi
    for t in $tests; do
        i=$((i + 1))
        (cd "$BUILD" && timeout -s KILL 60 "./$name" --gtest_filter="$t" --gtest_output="xml:$RES/$name.$i.xml") \
            > "$RES/$name.$i.log" 2>&1
        trc=$?
        if [ -s "$RES/$name.$i.xml" ] && grep -q '</testsuites>' "$RES/$name.$i.xml"; then
            rm -f "$RES/$name.$i.log"
            continue
        fi
        rm -f "$RES/$name.$i.xml"
        why="exit status $trc"
        [ $trc -gt 128 ] && why="signal $((trc - 128))"
        [ $trc = 137 ] && why="SIGKILL (timeout of 60 s, or out of memory)"
        case_fail "${name}_crashes" "$t" "$name died in this test ($why); end of its output: $(tail -25 "$RES/$name.$i.log")"
        echo "native: $name: $t died ($why)"
    done
}

run_gtest api_tests 150
run_gtest pmem_allocator_tests 60
run_gtest ours_tests 150
write_suite api_tests_crashes
write_suite pmem_allocator_tests_crashes
write_suite ours_tests_crashes

if [ -x "$BUILD/c_abi" ]; then
    (cd "$BUILD" && timeout -s KILL 30 ./c_abi) > "$RES/c_abi.log" 2>&1
    rc=$?
    while read -r verdict name rest; do
        case $verdict in
            PASS) case_pass c_abi "$name" ;;
            FAIL) case_fail c_abi "$name" "${rest}" ;;
        esac
    done < <(grep -E '^(PASS|FAIL) ' "$RES/c_abi.log" | sed 's/:\(.*\)$/ \1/')
    if [ $rc -gt 1 ]; then case_fail c_abi exits_cleanly "c_abi exit status $rc: $(tail -20 "$RES/c_abi.log")"; fi
fi

if [ -x "$BUILD/dropin" ]; then
    (cd "$BUILD" && env -u LD_LIBRARY_PATH timeout -s KILL 60 ./dropin "$MEMKINDS_TEST_DIR") \
        > "$RES/dropin.debian.txt" 2> "$RES/dropin.debian.err"
    rc_d=$?
    (cd "$BUILD" && env LD_LIBRARY_PATH="$LIBDIR" timeout -s KILL 60 ./dropin "$MEMKINDS_TEST_DIR") \
        > "$RES/dropin.ours.txt" 2> "$RES/dropin.ours.err"
    rc_o=$?
    lib_d=$(sed -n 's/^LIB //p' "$RES/dropin.debian.err" | head -1)
    lib_o=$(sed -n 's/^LIB //p' "$RES/dropin.ours.err" | head -1)
    echo "native: dropin on Debian's library loaded $lib_d (exit $rc_d); with LD_LIBRARY_PATH=$LIBDIR loaded $lib_o (exit $rc_o)"
    if [ $rc_d = 0 ] && grep -qx end "$RES/dropin.debian.txt"; then
        case_pass dropin runs_on_debian_library
    else
        case_fail dropin runs_on_debian_library "exit $rc_d; last lines: $(tail -5 "$RES/dropin.debian.txt") $(tail -5 "$RES/dropin.debian.err")"
    fi
    if [ $rc_o = 0 ] && grep -qx end "$RES/dropin.ours.txt"; then
        case_pass dropin runs_on_our_library
    else
        case_fail dropin runs_on_our_library "exit $rc_o; last lines: $(tail -5 "$RES/dropin.ours.txt") $(tail -5 "$RES/dropin.ours.err")"
    fi
    if [ -n "$lib_d" ] && [ "$(readlink -f "$lib_d")" != "$(readlink -f "$LIBDIR/libmemkind.so.0")" ]; then
        case_pass dropin plain_run_loads_debian_library
    else
        case_fail dropin plain_run_loads_debian_library "plain run loaded '$lib_d'"
    fi
    if [ -n "$lib_o" ] && [ "$(readlink -f "$lib_o")" = "$(readlink -f "$LIBDIR/libmemkind.so.0")" ]; then
        case_pass dropin ld_library_path_run_loads_our_library
    else
        case_fail dropin ld_library_path_run_loads_our_library "LD_LIBRARY_PATH=$LIBDIR run loaded '$lib_o'"
    fi
    diff -U0 "$RES/dropin.debian.txt" "$RES/dropin.ours.txt" > "$RES/dropin.diff.txt"
    if [ $? = 0 ] && [ -s "$RES/dropin.debian.txt" ]; then
        case_pass dropin same_answers_on_both_libraries
    else
        n=$(grep -c '^[-+][^-+]' "$RES/dropin.diff.txt")
        case_fail dropin same_answers_on_both_libraries "$n differing lines (- Debian, + ours; full diff in dropin.diff.txt):
$(grep -E '^[-+][^-+]' "$RES/dropin.diff.txt" | head -80)"
    fi
fi

for s in native_setup native_build c_abi dropin; do write_suite "$s"; done

# ---- summary ----------------------------------------------------------------------------------------------------------
read -r passed failed < <(bash "$HERE/count.sh" "$RES")
echo "native: ${passed} passed, ${failed} failed ($(($(date +%s) - START)) s; results in $RES)"
[ "$failed" = 0 ]
