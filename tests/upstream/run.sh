#!/usr/bin/env bash
# Builds memkind v1.14.0's own pmem and memtier tests and pmem examples, unchanged,
# from a memkind git repository and runs them against a chosen libmemkind.so.0.
#
#   tests/upstream/run.sh MEMKIND_GITDIR LIBDIR [OUTDIR]
#
#   MEMKIND_GITDIR  a memkind git dir (bare is fine) that has tag v1.14.0
#   LIBDIR          "system" = the installed (Debian) libmemkind, no LD_LIBRARY_PATH;
#                   otherwise a directory holding libmemkind.so.0, used via LD_LIBRARY_PATH
#   OUTDIR          where sources, binaries, logs, XML and the summary go
#                   (default: a new mktemp -d); binaries are reused on a re-run
#
# Environment:
#   PMEM_DIR          directory the pmem kinds are created in (default /tmp/)
#   TEST_TIMEOUT      seconds a gtest test may run without finishing (default 120)
#   BINARY_TIMEOUT    seconds one gtest binary may run in all (default 900)
#   EXAMPLE_TIMEOUT   seconds per example (default 60)
#   GTEST_FILTER      optional gtest filter applied to every gtest binary
#   PROGRAMS          which to run, default "pmem_test api_test defrag_reallocate
#                     memkind_stat_test memtier_test examples"
#   MEMKIND_TAG       tag to extract (default v1.14.0)
#   SNAPSHOT_LIB      1 (default): copy LIBDIR/libmemkind.so.0 into OUTDIR/lib and run
#                     on the copy, so a rebuild during the run is not picked up halfway
#   BUILD_DIR         where the sources are extracted and built (default OUTDIR);
#                     point several runs at one BUILD_DIR to build only once
#   CC, CXX           compilers (default gcc, g++)
#
# Nothing of memkind's is edited. Added only: a stub <jemalloc/jemalloc.h>
# (one typedef, for the extent_hooks_t in memkind_arena.h), and a forced-include
# header that supplies testing::GetGtestHelpFlag(), which test/main.cpp calls and
# which only memkind's bundled (patched) gtest has; Debian's libgtest has the
# flag itself (testing::internal::g_help_flag).
#
# A gtest binary runs as one process, as upstream's does. If a test hangs
# (no output for TEST_TIMEOUT s) or the process crashes, that test is counted
# as failed (TIMEOUT / CRASH) and the binary is started again on the tests that
# have not run yet. Tests not reached inside BINARY_TIMEOUT count as failed (NOTRUN).
#
# Output: OUTDIR/summary.txt (also printed), OUTDIR/results.tsv
# (program<TAB>test<TAB>status), logs and gtest XML in OUTDIR/logs.
set -u
set -o pipefail

die() { echo "run.sh: $*" >&2; exit 2; }

[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: $0 MEMKIND_GITDIR LIBDIR [OUTDIR]"
GITDIR=$1
LIBARG=$2
OUTDIR=${3:-}
TAG=${MEMKIND_TAG:-v1.14.0}
PMEM_DIR=${PMEM_DIR:-/tmp/}
TEST_TIMEOUT=${TEST_TIMEOUT:-120}
BINARY_TIMEOUT=${BINARY_TIMEOUT:-900}
EXAMPLE_TIMEOUT=${EXAMPLE_TIMEOUT:-60}
CC=${CC:-gcc}
CXX=${CXX:-g++}

git --git-dir="$GITDIR" rev-parse -q --verify "refs/tags/$TAG" >/dev/null \
    || die "$GITDIR: no tag $TAG"
[ -d "$PMEM_DIR" ] || die "PMEM_DIR $PMEM_DIR is not a directory"

if [ "$LIBARG" = system ]; then
    LIBDIR=
    # What ld.so resolves libmemkind.so.0 to without LD_LIBRARY_PATH.
    SYSLIB=$(ldconfig -p | awk '$1 == "libmemkind.so.0" && /x86-64/ { print $NF; exit }')
    [ -n "$SYSLIB" ] || die "no system libmemkind.so.0 in the ld.so cache"
    EXPECT_LIB=$(readlink -f "$SYSLIB")
else
    LIBDIR=$(cd "$LIBARG" 2>/dev/null && pwd) || die "LIBDIR $LIBARG does not exist"
    [ -e "$LIBDIR/libmemkind.so.0" ] || die "$LIBDIR has no libmemkind.so.0"
    EXPECT_LIB=$(readlink -f "$LIBDIR/libmemkind.so.0")
fi
ORIG_LIB=$EXPECT_LIB

if [ -z "$OUTDIR" ]; then
    OUTDIR=$(mktemp -d /tmp/memkind-upstream.XXXXXX)
fi
mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
BUILD_DIR=${BUILD_DIR:-$OUTDIR}
mkdir -p "$BUILD_DIR" || die "cannot create $BUILD_DIR"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
SRC=$BUILD_DIR/src
BIN=$BUILD_DIR/bin
LOGS=$OUTDIR/logs
rm -rf "$LOGS"
mkdir -p "$SRC" "$BIN" "$LOGS"
if [ -n "$LIBDIR" ] && [ "${SNAPSHOT_LIB:-1}" = 1 ]; then
    # run every program on one copy, so a rebuild of LIBDIR during the run
    # cannot mix two libraries in one result
    rm -rf "$OUTDIR/lib"; mkdir -p "$OUTDIR/lib"
    cp -p "$EXPECT_LIB" "$OUTDIR/lib/libmemkind.so.0" || die "cannot copy $EXPECT_LIB"
    LIBDIR=$OUTDIR/lib
    EXPECT_LIB=$LIBDIR/libmemkind.so.0
fi
RESULTS=$OUTDIR/results.tsv
SUMMARY=$OUTDIR/summary.txt
: > "$RESULTS"
: > "$SUMMARY"

say() { echo "$*" | tee -a "$SUMMARY"; }

# Runs a command with the library under test. env execs the command, so a
# job started as `with_lib prog &` has prog's pid in $! (kill reaches it).
if [ -n "$LIBDIR" ]; then
    RUNENV=(env "LD_LIBRARY_PATH=$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
else
    RUNENV=(env -u LD_LIBRARY_PATH)
fi
with_lib() { "${RUNENV[@]}" "$@"; }

# ---------------------------------------------------------------- extract + build
TAGSHA=$(git --git-dir="$GITDIR" rev-parse "$TAG^{commit}")
STAMP="$TAGSHA recipe-3 $($CXX --version | head -1) $(dpkg-query -W -f='${Version}' libgtest-dev 2>/dev/null)"
if [ "$(cat "$BIN/.stamp" 2>/dev/null)" != "$STAMP" ]; then
    rm -rf "$SRC" "$BIN"
    mkdir -p "$SRC" "$BIN"
    git --git-dir="$GITDIR" archive "$TAG" include test examples | tar -x -C "$SRC" \
        || die "git archive failed"
    mkdir -p "$SRC/stub/jemalloc"
    echo 'typedef struct extent_hooks_s extent_hooks_t;' > "$SRC/stub/jemalloc/jemalloc.h"
    cat > "$SRC/stub/gtest_help_flag.h" <<'EOF'
namespace testing { namespace internal { extern bool g_help_flag; } inline bool GetGtestHelpFlag() { return internal::g_help_flag; } }
EOF
    # test/Makefile.mk: -DMEMKIND_DEPRECATED(x)=x; the bundled gtest_fused is kept
    # off the include path so only Debian's gtest headers are seen.
    CXXF=(-std=c++14 -O1 -g -D_GNU_SOURCE '-DMEMKIND_DEPRECATED(x)=x'
          -I"$SRC/include" -I"$SRC/test" -I"$SRC/stub" -I"$SRC"
          -include "$SRC/stub/gtest_help_flag.h")
    BLOG=$BUILD_DIR/build.log
    : > "$BLOG"
    BUILD_OK=1
    build() { # name, compiler and args...
        local name=$1; shift
        echo "+ $*" >> "$BLOG"
        if ! "$@" >> "$BLOG" 2>&1; then
            echo "build of $name FAILED (see $BLOG)" >&2
            BUILD_OK=0
            return 1
        fi
    }
    T=$SRC/test
    echo "building in $BUILD_DIR ..." >&2
    # like upstream's test/pmem_test
    build pmem_test $CXX "${CXXF[@]}" "$T/main.cpp" "$T/memkind_pmem_tests.cpp" \
        "$T/memkind_pmem_config_tests.cpp" "$T/memkind_pmem_long_time_tests.cpp" \
        -o "$BIN/pmem_test" -lgtest -pthread -lmemkind
    # the public-API pmem tests of upstream's test/all_tests
    build api_test $CXX "${CXXF[@]}" "$T/main.cpp" "$T/memkind_detect_kind_tests.cpp" \
        "$T/pmem_allocator_tests.cpp" "$T/error_message_tests.cpp" \
        "$T/memkind_versioning_tests.cpp" -o "$BIN/api_test" -lgtest -pthread -lmemkind
    # upstream builds these two as binaries of their own (test/defrag_reallocate,
    # test/memkind_stat_test); memkind_stat_test's EmptyRegularKind needs a
    # process in which nothing was allocated from MEMKIND_REGULAR yet
    build defrag_reallocate $CXX "${CXXF[@]}" "$T/main.cpp" "$T/memkind_defrag_reallocate.cpp" \
        -o "$BIN/defrag_reallocate" -lgtest -pthread -lmemkind
    build memkind_stat_test $CXX "${CXXF[@]}" "$T/main.cpp" "$T/memkind_stat_test.cpp" \
        -o "$BIN/memkind_stat_test" -lgtest -pthread -lmemkind
    # upstream's test/memkind_memtier_test (memkind_memtier.h: builders, both policies,
    # memtier_kind_*, per-kind counts)
    build memtier_test $CXX "${CXXF[@]}" "$T/main.cpp" "$T/memkind_memtier_test.cpp" \
        -o "$BIN/memtier_test" -lgtest -pthread -lmemkind
    for c in "$SRC"/examples/pmem_*.c; do
        n=$(basename "$c" .c)
        build "$n" $CC -O1 -g -Wall -I"$SRC/include" "$c" -o "$BIN/$n" -lmemkind -pthread
    done
    build pmem_cpp_allocator $CXX -std=c++11 -O1 -g -I"$SRC/include" \
        "$SRC/examples/pmem_cpp_allocator.cpp" -o "$BIN/pmem_cpp_allocator" -lmemkind -pthread
    # a build that failed is tried again next time
    [ "$BUILD_OK" = 1 ] && echo "$STAMP" > "$BIN/.stamp"
fi
EXAMPLES=$(cd "$SRC/examples" && ls pmem_*.c | sed 's/\.c$//'; echo pmem_cpp_allocator)

# ---------------------------------------------------------------- header
say "memkind upstream tests ($TAG, $TAGSHA)"
say "date:     $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
say "library:  $LIBARG -> $ORIG_LIB"
say "          $(stat -c 'mtime %y, %s bytes' "$ORIG_LIB"), sha256 $(sha256sum "$EXPECT_LIB" | cut -c1-16)"
[ "$EXPECT_LIB" = "$ORIG_LIB" ] || say "          run from the copy $EXPECT_LIB (SNAPSHOT_LIB=0 to use it in place)"
say "PMEM_DIR: $PMEM_DIR ($(stat -f -c %T "$PMEM_DIR"))"
say "timeouts: test ${TEST_TIMEOUT}s, gtest binary ${BINARY_TIMEOUT}s, example ${EXAMPLE_TIMEOUT}s${GTEST_FILTER:+, filter $GTEST_FILTER}"
say "outdir:   $OUTDIR (binaries in $BIN)"
say ""

# Checks, with ldd and LD_DEBUG=libs, that PROGRAM loads exactly the intended
# libmemkind.so.0 and nothing else called libmemkind. Prints a note and
# returns 1 if not.
check_load() { # name binary [args...]
    local name=$1 bin=$2; shift 2
    local ldd_path dbg tried inits n
    ldd_path=$(with_lib ldd "$bin" | awk '$1 == "libmemkind.so.0" { print $3 }')
    dbg=$(LD_DEBUG=libs with_lib "$bin" "$@" 2>&1 >/dev/null)
    # ld.so stops searching at the first file that loads: the last one tried is it
    tried=$(printf '%s\n' "$dbg" | sed -n 's/.*trying file=\(.*libmemkind[^ ]*\).*/\1/p' | tail -1)
    inits=$(printf '%s\n' "$dbg" | sed -n 's/.*calling init: \(.*libmemkind[^ ]*\).*/\1/p' | sort -u)
    n=$(printf '%s\n' "$inits" | grep -c . || true)
    if [ "$(readlink -f "$ldd_path")" != "$EXPECT_LIB" ] || [ "$n" -gt 1 ] \
       || [ "$(readlink -f "$tried")" != "$EXPECT_LIB" ] \
       || { [ "$n" -eq 1 ] && [ "$(readlink -f "$inits")" != "$EXPECT_LIB" ]; }; then
        say "  LOAD CHECK FAILED for $name: ldd -> '$ldd_path', ld.so loaded '$tried', init of '$(echo $inits)'; wanted $EXPECT_LIB"
        return 1
    fi
    [ -n "${LOADS_SHOWN:-}" ] || { say "loads:    ldd -> $ldd_path; LD_DEBUG=libs: loaded $tried${inits:+, init $inits}"; LOADS_SHOWN=1; }
    # unresolved symbols (a function our library lacks shows up here)
    local undef
    undef=$(with_lib ldd -r "$bin" 2>&1 | sed -n 's/^undefined symbol: \([^ 	]*\).*/\1/p' | sort -u | tr '\n' ' ')
    [ -z "$undef" ] || say "  $name: undefined symbols with this library: $undef"
    return 0
}

TOT_PASS=0 TOT_FAIL=0 TOT_DIS=0 TOT_SKIP=0

# PmemCreatePmemFailWritePermissionIssue makes /tmp/tmpdir.XXXXXX read-only and
# leaves it behind when it fails (as root it does): remove the empty ones this
# run created
TMPDIRS_BEFORE=$(ls -d /tmp/tmpdir.?????? 2>/dev/null || true)
cleanup_tmpdirs() {
    local d
    for d in /tmp/tmpdir.??????; do
        [ -d "$d" ] || continue
        printf '%s\n' "$TMPDIRS_BEFORE" | grep -qxF "$d" && continue
        chmod u+w "$d" 2>/dev/null && rmdir "$d" 2>/dev/null
    done
    return 0
}
trap cleanup_tmpdirs EXIT

# ---------------------------------------------------------------- gtest binaries
run_gtest() { # name
    local name=$1 bin=$BIN/$1
    if [ ! -x "$bin" ]; then
        say "$name: NOT BUILT"
        echo -e "$name\t(build)\tFAILED" >> "$RESULTS"
        TOT_FAIL=$((TOT_FAIL + 1))
        return
    fi
    check_load "$name" "$bin" --gtest_list_tests || {
        echo -e "$name\t(load)\tFAILED" >> "$RESULTS"; TOT_FAIL=$((TOT_FAIL + 1)); return; }

    # full test names, from the list, in order
    local all
    all=$(with_lib "$bin" --gtest_list_tests ${GTEST_FILTER:+--gtest_filter="$GTEST_FILTER"} 2>/dev/null | awk '
        /^[^ ]/ { suite = $1; next }
        /^  [^ ]/ { print suite $1 }')
    if [ -z "$all" ] && [ -z "${GTEST_FILTER:-}" ]; then
        say "$name: FAILED, --gtest_list_tests listed nothing"
        echo -e "$name\t(list)\tFAILED" >> "$RESULTS"
        TOT_FAIL=$((TOT_FAIL + 1))
        return
    fi
    local disabled todo
    disabled=$(printf '%s\n' "$all" | grep -E '(^|\.)DISABLED_' || true)
    todo=$(printf '%s\n' "$all" | grep -vE '(^|\.)DISABLED_' | grep . || true)
    local ndis
    ndis=$(printf '%s\n' "$disabled" | grep -c . || true)

    local start=$SECONDS seg=0 passed=0 failed=0 skipped=0 failnames=()
    local st=$LOGS/$name.status
    : > "$st"
    while [ -n "$todo" ]; do
        seg=$((seg + 1))
        local log=$LOGS/$name.$seg.log xml=$LOGS/$name.$seg.xml
        local filter
        filter=$(printf '%s\n' "$todo" | paste -sd:)
        "${RUNENV[@]}" "$bin" --gtest_filter="$filter" --gtest_output="xml:$xml" -d "$PMEM_DIR" > "$log" 2>&1 &
        local pid=$! why=
        while kill -0 "$pid" 2>/dev/null; do
            sleep 1
            local now idle
            now=$(date +%s)
            idle=$(( now - $(stat -c %Y "$log") ))
            if [ "$idle" -ge "$TEST_TIMEOUT" ]; then
                why=TIMEOUT; kill -KILL "$pid" 2>/dev/null; break
            fi
            if [ $((SECONDS - start)) -ge "$BINARY_TIMEOUT" ]; then
                why=BUDGET; kill -KILL "$pid" 2>/dev/null; break
            fi
        done
        wait "$pid" 2>/dev/null
        local rc=$?
        # results of the tests that finished
        awk '
            function nm(x) { sub(/,$/, "", x); return x }
            /^\[       OK \] .* \([0-9]+ ms\)$/ { print nm($4) "\tPASSED" }
            /^\[  FAILED  \] .* \([0-9]+ ms\)$/ { print nm($4) "\tFAILED" }
            /^\[  SKIPPED \] .* \([0-9]+ ms\)$/ { print nm($4) "\tSKIPPED" }' "$log" >> "$st"
        # the test that was running when the process ended early, if any
        local cur
        cur=$(awk '
            function nm(x) { sub(/,$/, "", x); return x }
            /^\[ RUN      \] / { c = $4 }
            /^\[ *(OK|FAILED|SKIPPED) *\] .* \([0-9]+ ms\)$/ { if (nm($4) == c) c = "" }
            END { print c }' "$log")
        if [ -n "$cur" ]; then
            local r=$why
            [ -n "$r" ] || { if [ "$rc" -gt 128 ]; then r="CRASH(signal $((rc - 128)))"; else r="EXIT($rc)"; fi; }
            [ "$r" = BUDGET ] && r=TIMEOUT
            printf '%s\t%s\n' "$cur" "$r" >> "$st"
        fi
        local done_names
        done_names=$(cut -f1 "$st")
        todo=$(printf '%s\n' "$todo" | grep -vxF -f <(printf '%s\n' "$done_names") || true)
        if [ -n "$todo" ] && { [ -z "$cur" ] || [ "$why" = BUDGET ] \
                               || [ $((SECONDS - start)) -ge "$BINARY_TIMEOUT" ]; }; then
            # ended without a test to blame (or out of time): the rest did not run
            local r=NOTRUN
            [ -z "$cur" ] && [ -z "$why" ] && r="NOTRUN(exit $rc)"
            printf '%s\n' "$todo" | sed "s/\$/	$r/" >> "$st"
            todo=
        fi
    done
    while IFS=$'\t' read -r t s; do
        [ -n "$t" ] || continue
        case $s in
            PASSED) passed=$((passed + 1)) ;;
            SKIPPED) skipped=$((skipped + 1)) ;;
            FAILED) failed=$((failed + 1)); failnames+=("$t") ;;
            *) failed=$((failed + 1)); failnames+=("$t ($s)") ;;
        esac
        case $s in FAILED|PASSED|SKIPPED) ;; *) s="FAILED $s" ;; esac
        echo -e "$name\t$t\t$s" >> "$RESULTS"
    done < "$st"
    printf '%s\n' "$disabled" | grep . | sed "s/^/$name	/; s/\$/	DISABLED/" >> "$RESULTS"
    say "$name: passed $passed, failed $failed, disabled $ndis$([ "$skipped" -gt 0 ] && echo ", skipped $skipped") ($((SECONDS - start)) s, $seg process(es))"
    local f
    for f in "${failnames[@]}"; do say "    FAILED $f"; done
    TOT_PASS=$((TOT_PASS + passed)) TOT_FAIL=$((TOT_FAIL + failed))
    TOT_DIS=$((TOT_DIS + ndis)) TOT_SKIP=$((TOT_SKIP + skipped))
}

PROGRAMS=${PROGRAMS:-pmem_test api_test defrag_reallocate memkind_stat_test memtier_test examples}
wanted() { case " $PROGRAMS " in *" $1 "*) return 0 ;; esac; return 1; }
for g in pmem_test api_test defrag_reallocate memkind_stat_test memtier_test; do
    wanted "$g" && run_gtest "$g"
done

# ---------------------------------------------------------------- examples
EX_PASS=0 EX_FAIL=0
wanted examples && for n in $EXAMPLES; do
    b=$BIN/$n
    log=$LOGS/$n.log err=$LOGS/$n.stderr
    if [ ! -x "$b" ]; then
        st="FAILED (not built)"
    elif ! check_load "$n" "$b" /nonexistent-dir; then
        st="FAILED (load)"
    else
        with_lib timeout -k 5 "$EXAMPLE_TIMEOUT" "$b" "$PMEM_DIR" > "$log" 2> "$err"
        rc=$?
        if [ "$rc" -eq 0 ]; then st=PASSED
        elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then st="FAILED TIMEOUT"
        elif [ "$rc" -gt 128 ]; then st="FAILED CRASH(signal $((rc - 128)))"
        else st="FAILED exit $rc"
        fi
    fi
    echo -e "examples\t$n\t$st" >> "$RESULTS"
    if [ "$st" = PASSED ]; then
        EX_PASS=$((EX_PASS + 1))
    else
        EX_FAIL=$((EX_FAIL + 1))
        EX_FAILED="${EX_FAILED:-}    FAILED $n: ${st#FAILED } -- $( { grep -v '^$' "$err" || grep -v '^$' "$log"; } 2>/dev/null | tail -1 | cut -c1-150)
"
    fi
done
wanted examples && say "examples: passed $EX_PASS, failed $EX_FAIL (exit code, ${EXAMPLE_TIMEOUT}s timeout each)"
[ -z "${EX_FAILED:-}" ] || printf '%s' "$EX_FAILED" | tee -a "$SUMMARY"
TOT_PASS=$((TOT_PASS + EX_PASS)) TOT_FAIL=$((TOT_FAIL + EX_FAIL))

say ""
say "TOTAL: passed $TOT_PASS, failed $TOT_FAIL, disabled $TOT_DIS$([ "$TOT_SKIP" -gt 0 ] && echo ", skipped $TOT_SKIP")  [$LIBARG, $PMEM_DIR]"
[ "$TOT_FAIL" -eq 0 ]
