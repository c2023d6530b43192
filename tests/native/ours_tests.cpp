// Behaviour only OUR libmemkind.so.0 has. Every test says why Debian's libmemkind 1.14 fails it; the common
// behaviour is in api_tests. This binary has its own main(): run as `ours_tests --misuse-child=CASE` it performs
// one bad call (used by the MEMKINDS_ABORT_ON_MISUSE tests, which re-run this binary through posix_spawn: the
// library's runtime does not survive fork() without exec).
#include "threads_common.h"

#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

extern char **environ;

static std::string self_exe;

// ---- misuse: one stderr line naming the function and the pointer, nothing changed -------------------------------
// memkind 1.14 has no checks: each of these is undefined behaviour there (a crash, a silent corruption of
// jemalloc's metadata, or a block freed into the wrong arena), so Debian's library fails all of them.

static size_t allocated_of(memkind_t k)
{
    size_t v = 0;
    memkind_update_cached_stats();
    EXPECT_EQ(0, memkind_get_stat(k, MEMKIND_STAT_TYPE_ALLOCATED, &v));
    return v;
}

static void expect_one_line(const std::string &err, const char *function, const void *ptr)
{
    EXPECT_EQ(1, count_lines(err)) << "exactly one line on stderr, got: [" << err << "]";
    EXPECT_NE(std::string::npos, err.find(function)) << "names " << function << ": [" << err << "]";
    EXPECT_NE(std::string::npos, err.find(fmt_ptr(ptr))) << "shows " << fmt_ptr(ptr) << ": [" << err << "]";
}

class Misuse : public ::testing::Test
{
protected:
    memkind_t kind = nullptr, other = nullptr;
    unsigned char *owned = nullptr;  // a live block of `kind`
    unsigned char *foreign = nullptr; // a live block of `other`
    void *glibc = nullptr;
    size_t kind_alloc = 0, other_alloc = 0;

    void SetUp() override
    {
        ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), 0, &kind));
        ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem("/dev/shm", 0, &other));
        owned = static_cast<unsigned char *>(memkind_malloc(kind, 1000));
        foreign = static_cast<unsigned char *>(memkind_malloc(other, 1000));
        ASSERT_TRUE(owned && foreign);
        fill_pattern(owned, 1000, 1);
        fill_pattern(foreign, 1000, 2);
        glibc = malloc(1000);
        memset(glibc, 0x3c, 1000);
        kind_alloc = allocated_of(kind);
        other_alloc = allocated_of(other);
    }

    // Nothing changed: both kinds still hold their block intact, stats are the same, the kinds still work.
    void expect_unchanged()
    {
        EXPECT_TRUE(check_pattern(owned, 1000, 1)) << "kind's own block intact";
        EXPECT_TRUE(check_pattern(foreign, 1000, 2)) << "other kind's block intact";
        EXPECT_EQ(kind, memkind_detect_kind(owned));
        EXPECT_EQ(other, memkind_detect_kind(foreign));
        EXPECT_EQ(kind_alloc, allocated_of(kind)) << "kind's allocated stat unchanged";
        EXPECT_EQ(other_alloc, allocated_of(other)) << "other kind's allocated stat unchanged";
        // The kinds work, and do not hand out the blocks that are still live.
        for (memkind_t k : {kind, other}) {
            std::vector<void *> fresh;
            for (int i = 0; i < 200; i++) {
                void *p = memkind_malloc(k, 1000);
                ASSERT_NE(nullptr, p);
                EXPECT_TRUE(p != owned && p != foreign) << "a live block was handed out again";
                memset(p, 0, 1000);
                fresh.push_back(p);
            }
            for (void *p : fresh) memkind_free(k, p);
        }
        EXPECT_TRUE(check_pattern(owned, 1000, 1));
        EXPECT_TRUE(check_pattern(foreign, 1000, 2));
    }

    void TearDown() override
    {
        free(glibc);
        if (owned) memkind_free(kind, owned);
        if (foreign) memkind_free(other, foreign);
        if (kind) {
            EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
        }
        if (other) {
            EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(other));
        }
    }
};

TEST_F(Misuse, FreeOfAStackAddress)
{
    char local[64];
    for (memkind_t k : {kind, (memkind_t) nullptr, MEMKIND_DEFAULT}) {
        StderrCapture cap;
        memkind_free(k, local);
        expect_one_line(cap.finish(), "memkind_free", local);
    }
    expect_unchanged();
}

TEST_F(Misuse, FreeOfAGlibcBlock)
{
    for (memkind_t k : {kind, (memkind_t) nullptr, MEMKIND_DEFAULT}) {
        StderrCapture cap;
        memkind_free(k, glibc);
        expect_one_line(cap.finish(), "memkind_free", glibc);
    }
    memset(glibc, 1, 1000); // still ours to use
    expect_unchanged();
}

TEST_F(Misuse, FreeOfAnotherKindsBlock)
{
    StderrCapture cap;
    memkind_free(kind, foreign);
    expect_one_line(cap.finish(), "memkind_free", foreign);
    StderrCapture cap2;
    memkind_free(other, owned);
    expect_one_line(cap2.finish(), "memkind_free", owned);
    expect_unchanged();
}

TEST_F(Misuse, DoubleFree)
{
    void *p = memkind_malloc(kind, 5000);
    ASSERT_NE(nullptr, p);
    memkind_free(kind, p);
    size_t before = allocated_of(kind);
    StderrCapture cap;
    memkind_free(kind, p);
    expect_one_line(cap.finish(), "memkind_free", p);
    EXPECT_EQ(before, allocated_of(kind));
    StderrCapture cap2;
    memkind_free(nullptr, p);
    expect_one_line(cap2.finish(), "memkind_free", p);
    expect_unchanged();
}

TEST_F(Misuse, FreeOfAnInteriorPointer)
{
    for (size_t off : {(size_t)1, (size_t)8, (size_t)16, (size_t)500}) {
        StderrCapture cap;
        memkind_free(kind, owned + off);
        expect_one_line(cap.finish(), "memkind_free", owned + off);
    }
    StderrCapture cap;
    memkind_free(nullptr, owned + 16);
    expect_one_line(cap.finish(), "memkind_free", owned + 16);
    expect_unchanged();
}

TEST_F(Misuse, ReallocOfBadPointers)
{
    char local[16];
    void *bad[] = {local, glibc, foreign, owned + 16};
    for (memkind_t k : {kind, (memkind_t) nullptr})
        for (void *b : bad) {
            if (!k && b == foreign) continue; // with the NULL kind, foreign is simply the other kind's block
            StderrCapture cap;
            void *r = memkind_realloc(k, b, 2000);
            std::string err = cap.finish();
            EXPECT_EQ(nullptr, r) << fmt_ptr(b) << (k ? "" : " (NULL kind)");
            expect_one_line(err, "memkind_realloc", b);
        }
    expect_unchanged();
}

TEST_F(Misuse, FreeOfADefaultKindBlockThroughAPmemKind)
{
    void *d = memkind_malloc(MEMKIND_DEFAULT, 100);
    ASSERT_NE(nullptr, d);
    memset(d, 0x21, 100);
    StderrCapture cap;
    memkind_free(kind, d);
    expect_one_line(cap.finish(), "memkind_free", d);
    EXPECT_EQ(MEMKIND_DEFAULT, memkind_detect_kind(d)) << "still a live block of MEMKIND_DEFAULT";
    EXPECT_EQ(0x21, static_cast<unsigned char *>(d)[99]);
    memkind_free(MEMKIND_DEFAULT, d);
    expect_unchanged();
}

TEST_F(Misuse, UsableSizeOfBadPointers)
{
    char local[16];
    void *bad[] = {local, glibc, foreign, owned + 16};
    for (memkind_t k : {kind, (memkind_t) nullptr})
        for (void *b : bad) {
            if (!k && b == foreign) continue;
            StderrCapture cap;
            size_t u = memkind_malloc_usable_size(k, b);
            std::string err = cap.finish();
            EXPECT_EQ(0u, u) << fmt_ptr(b) << (k ? "" : " (NULL kind)");
            expect_one_line(err, "memkind_malloc_usable_size", b);
        }
    expect_unchanged();
}

TEST_F(Misuse, DefragOfBadPointers)
{
    char local[16];
    void *bad[] = {local, glibc, foreign, owned + 16};
    for (memkind_t k : {kind, (memkind_t) nullptr})
        for (void *b : bad) {
            if (!k && b == foreign) continue;
            StderrCapture cap;
            void *r = memkind_defrag_reallocate(k, b);
            std::string err = cap.finish();
            EXPECT_EQ(nullptr, r) << fmt_ptr(b) << (k ? "" : " (NULL kind)");
            expect_one_line(err, "memkind_defrag_reallocate", b);
        }
    expect_unchanged();
}

TEST_F(Misuse, GoodCallsPrintNothing)
{
    StderrCapture cap;
    void *p = memkind_malloc(kind, 100);
    p = memkind_realloc(kind, p, 200);
    EXPECT_GE(memkind_malloc_usable_size(kind, p), 200u);
    void *q = memkind_defrag_reallocate(kind, p);
    memkind_free(kind, q ? q : p);
    memkind_free(kind, nullptr);
    memkind_free(nullptr, nullptr);
    EXPECT_EQ(nullptr, memkind_detect_kind(glibc));
    EXPECT_EQ("", cap.finish());
}

TEST(MisuseOfKinds, KindDestroyedWhileAnotherThreadUsesIt)
{
    // One thread creates and destroys kinds in a loop and publishes each; another allocates from whatever kind is
    // published (a memkind_t that may be destroyed under it). memkind 1.14 reads freed memory here. Ours: every call
    // returns (a block of that kind, or NULL after one misuse line), the process survives, nothing is corrupted.
    std::atomic<memkind_t> published{nullptr};
    std::atomic<bool> stop{false};
    std::atomic<long> blocks{0}, refused{0}, wrong{0};
    StderrCapture cap; // misuse lines go here
    auto use = [&] {
        while (!stop.load()) {
            memkind_t k = published.load();
            if (!k) continue;
            for (int i = 0; i < 8; i++) {
                void *p = memkind_malloc(k, 64 + i * 1000);
                if (!p) {
                    refused++;
                    continue;
                }
                blocks++;
                memkind_t d = memkind_detect_kind(p);
                if (d != k && d != nullptr) wrong++;
            }
        }
    };
    std::thread user(use), user2(use);
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    int cycles = 0;
    while (std::chrono::steady_clock::now() < until) {
        memkind_t k = nullptr;
        ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem("/dev/shm", 0, &k));
        published = k;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        published = nullptr;
        EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(k));
        cycles++;
    }
    stop = true;
    user.join();
    user2.join();
    std::string err = cap.finish();
    EXPECT_EQ(0, wrong.load()) << "a block detected in another live kind";
    EXPECT_GT(cycles, 20);
    EXPECT_GT(blocks.load(), 0);
    EXPECT_EQ(refused.load(), (long)count_lines(err)) << "one line per refused call: [" << err.substr(0, 600) << "]";
    std::istringstream lines(err);
    int unnamed = 0;
    std::string example;
    for (std::string line; std::getline(lines, line);)
        if (line.find("memkind_malloc") == std::string::npos && !unnamed++) example = line;
    EXPECT_EQ(0, unnamed) << "lines that do not name the call, e.g. [" << example << "]";
    RecordProperty("refused", (int)refused.load());
    // The library still works.
    PmemKind k(test_dir(), 0);
    ASSERT_EQ(0, k.err);
    void *p = memkind_malloc(k, 100);
    EXPECT_NE(nullptr, p);
    memkind_free(k, p);
}

extern "C" int memkind_pmem_destroy(memkind_t kind); // exported by Debian's library and ours; in no public header

TEST(MisuseOfKinds, GarbageKindPointersAreRefusedWithoutBeingRead)
{
    // A memkind_t that is no kind at all: a small integer, an unmapped page, a pointer into the middle of a real
    // kind's struct. The library maps a memkind_t to its kind by address alone, so none of these is dereferenced
    // (memkind 1.14 reads kind->ops and crashes on the first two).
    void *page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(MAP_FAILED, page);
    ASSERT_EQ(0, munmap(page, 4096));
    memkind_t live = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem("/dev/shm", 0, &live));
    const memkind_t garbage[] = {reinterpret_cast<memkind_t>(0x1234), static_cast<memkind_t>(page),
                                 reinterpret_cast<memkind_t>(reinterpret_cast<char *>(MEMKIND_DEFAULT) + 8),
                                 reinterpret_cast<memkind_t>(reinterpret_cast<char *>(live) + 8)};
    int x = 0;
    for (memkind_t k : garbage) {
        {
            StderrCapture cap;
            errno = 0;
            EXPECT_EQ(nullptr, memkind_malloc(k, 100));
            EXPECT_EQ(EINVAL, errno);
            expect_one_line(cap.finish(), "memkind_malloc", k);
        }
        {
            StderrCapture cap;
            memkind_free(k, &x);
            expect_one_line(cap.finish(), "memkind_free", k);
        }
        {
            StderrCapture cap;
            EXPECT_NE(0, memkind_destroy_kind(k));
            expect_one_line(cap.finish(), "memkind_destroy_kind", k);
        }
        {
            StderrCapture cap;
            EXPECT_EQ(-1, memkind_get_capacity(k));
            EXPECT_NE(0, memkind_check_available(k));
            EXPECT_NE(0, memkind_pmem_destroy(k));
            EXPECT_EQ(2, count_lines(cap.finish())) << "check_available and pmem_destroy report; get_capacity only answers -1";
        }
    }
    void *p = memkind_malloc(live, 64);
    EXPECT_NE(nullptr, p) << "the real kind still works";
    memkind_free(live, p);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(live));
}

TEST(MisuseOfKinds, DestroyedAndUnknownKindsAreRefusedWithOneLine)
{
    // memkind 1.14 dereferences the kind's ops: a destroyed kind is a use after free, a zeroed struct a NULL call.
    memkind_t dead = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), 0, &dead));
    void *stale = memkind_malloc(dead, 100);
    ASSERT_NE(nullptr, stale);
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(dead));
    mk_layout_kind *fake = static_cast<mk_layout_kind *>(calloc(1, sizeof(mk_layout_kind)));
    for (memkind_t k : {dead, reinterpret_cast<memkind_t>(fake)}) {
        {
            StderrCapture cap;
            EXPECT_EQ(nullptr, memkind_malloc(k, 100));
            expect_one_line(cap.finish(), "memkind_malloc", k);
        }
        {
            StderrCapture cap;
            EXPECT_EQ(nullptr, memkind_calloc(k, 1, 100));
            expect_one_line(cap.finish(), "memkind_calloc", k);
        }
        {
            StderrCapture cap;
            void *p = (void *)0x1;
            EXPECT_NE(0, memkind_posix_memalign(k, &p, 64, 100));
            expect_one_line(cap.finish(), "memkind_posix_memalign", k);
        }
        {
            StderrCapture cap;
            EXPECT_NE(0, memkind_destroy_kind(k));
            expect_one_line(cap.finish(), "memkind_destroy_kind", k);
        }
        {
            StderrCapture cap;
            EXPECT_NE(0, memkind_check_available(k));
            expect_one_line(cap.finish(), "memkind_check_available", k);
        }
        {
            StderrCapture cap;
            size_t v = 7;
            EXPECT_NE(0, memkind_get_stat(k, MEMKIND_STAT_TYPE_ALLOCATED, &v));
            expect_one_line(cap.finish(), "memkind_get_stat", k);
        }
    }
    StderrCapture cap;
    EXPECT_EQ(nullptr, memkind_detect_kind(stale)) << "a block of a destroyed kind belongs to no kind";
    EXPECT_EQ("", cap.finish());
    StderrCapture cap2;
    memkind_free(nullptr, stale);
    expect_one_line(cap2.finish(), "memkind_free", stale);
    free(fake);
    // The library still works.
    PmemKind k(test_dir(), 0);
    ASSERT_EQ(0, k.err);
    void *p = memkind_malloc(k, 100);
    EXPECT_NE(nullptr, p);
    memkind_free(k, p);
}

// ---- MEMKINDS_ABORT_ON_MISUSE=1: the same misuse aborts the process after printing the line ----------------------
// Debian's library has no such variable: its child dies of SIGSEGV (or carries on) without the line.

struct ChildResult {
    int status = -1;
    std::string out, err;
};

static std::string slurp(const std::string &path)
{
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

static ChildResult run_child(const char *which, const char *abort_env)
{
    ChildResult r;
    char outp[] = "/tmp/mkn-child-out-XXXXXX", errp[] = "/tmp/mkn-child-err-XXXXXX";
    int ofd = mkstemp(outp), efd = mkstemp(errp);
    if (ofd < 0 || efd < 0) return r;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, ofd, 1);
    posix_spawn_file_actions_adddup2(&fa, efd, 2);
    std::vector<std::string> env;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "MEMKINDS_ABORT_ON_MISUSE=", 25) != 0) env.push_back(*e);
    if (abort_env) env.push_back(std::string("MEMKINDS_ABORT_ON_MISUSE=") + abort_env);
    std::vector<char *> envp;
    for (auto &s : env) envp.push_back(&s[0]);
    envp.push_back(nullptr);
    std::string arg = std::string("--misuse-child=") + which;
    char *argv[] = {const_cast<char *>(self_exe.c_str()), &arg[0], nullptr};
    pid_t pid;
    if (posix_spawn(&pid, self_exe.c_str(), &fa, nullptr, argv, envp.data()) == 0) waitpid(pid, &r.status, 0);
    posix_spawn_file_actions_destroy(&fa);
    close(ofd);
    close(efd);
    r.out = slurp(outp);
    r.err = slurp(errp);
    unlink(outp);
    unlink(errp);
    return r;
}

// Child side: prints "PTR <p>" then makes one bad call; exits 0 if the call returned.
static int misuse_child(const std::string &which)
{
    memkind_t kind = nullptr;
    if (memkind_create_pmem(test_dir(), 0, &kind) != 0) return 10;
    char local[32];
    void *glibc = malloc(100);
    char *block = static_cast<char *>(memkind_malloc(kind, 100));
    void *ptr = nullptr;
    if (which == "free-stack") ptr = local;
    else if (which == "free-glibc") ptr = glibc;
    else if (which == "double-free") {
        memkind_free(kind, block);
        ptr = block;
    } else if (which == "interior") ptr = block + 8;
    else if (which == "realloc-stack") ptr = local;
    else return 11;
    printf("PTR %p\n", ptr);
    fflush(stdout);
    if (which == "realloc-stack") (void)!memkind_realloc(kind, ptr, 10);
    else memkind_free(kind, ptr);
    printf("RETURNED\n");
    fflush(stdout);
    return 0;
}

class AbortOnMisuse : public ::testing::TestWithParam<const char *>
{};

TEST_P(AbortOnMisuse, ProcessDiesOfSigabrtAfterTheLine)
{
    ASSERT_FALSE(self_exe.empty());
    ChildResult r = run_child(GetParam(), "1");
    ASSERT_NE(-1, r.status) << "child ran";
    EXPECT_TRUE(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGABRT)
        << "status " << r.status << (WIFEXITED(r.status) ? " (exited " + std::to_string(WEXITSTATUS(r.status)) + ")" : "")
        << " stdout [" << r.out << "] stderr [" << r.err << "]";
    EXPECT_EQ(std::string::npos, r.out.find("RETURNED"));
    size_t at = r.out.find("PTR ");
    ASSERT_NE(std::string::npos, at) << r.out;
    std::string ptr = r.out.substr(at + 4, r.out.find('\n', at) - at - 4);
    const char *fn = strncmp(GetParam(), "realloc", 7) == 0 ? "memkind_realloc" : "memkind_free";
    // The misuse line is there (the runtime may add its own abort text after it).
    bool found = false;
    std::istringstream lines(r.err);
    for (std::string line; std::getline(lines, line);)
        if (line.find(fn) != std::string::npos && line.find(ptr) != std::string::npos) found = true;
    EXPECT_TRUE(found) << "a line with " << fn << " and " << ptr << " in [" << r.err << "]";
}

INSTANTIATE_TEST_SUITE_P(Cases, AbortOnMisuse,
                         ::testing::Values("free-stack", "free-glibc", "double-free", "interior", "realloc-stack"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                             std::string s = i.param;
                             for (char &c : s)
                                 if (c == '-') c = '_';
                             return s;
                         });

TEST(AbortOnMisuseOff, WithoutTheVariableTheChildReturns)
{
    for (const char *env : {(const char *)nullptr, "0"}) {
        ChildResult r = run_child("free-stack", env);
        EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0)
            << "env " << (env ? env : "unset") << " status " << r.status << " stderr [" << r.err << "]";
        EXPECT_NE(std::string::npos, r.out.find("RETURNED"));
        EXPECT_EQ(1, count_lines(r.err)) << r.err;
    }
}

// ---- detect_kind of pointers no kind owns ---------------------------------------------------------------------------
// Debian's memkind_detect_kind dereferences jemalloc's radix tree for the address and segfaults on a glibc block
// or a stack address.

TEST(DetectForeign, PointersOfNoKindAreNull)
{
    char local[16];
    void *g = malloc(64);
    void *m = mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(MAP_FAILED, m);
    StderrCapture cap;
    EXPECT_EQ(nullptr, memkind_detect_kind(local));
    EXPECT_EQ(nullptr, memkind_detect_kind(g));
    EXPECT_EQ(nullptr, memkind_detect_kind(m));
    EXPECT_EQ(nullptr, memkind_detect_kind((void *)&self_exe));
    EXPECT_EQ(nullptr, memkind_detect_kind((void *)0x10));
    EXPECT_EQ(nullptr, memkind_detect_kind((void *)~(uintptr_t)0xfff));
    EXPECT_EQ("", cap.finish()) << "detect_kind is a query: it prints nothing";
    free(g);
    munmap(m, 1 << 20);
}

TEST(DetectInterior, InsideLargeBlocks)
{
    // Debian's memkind_detect_kind on an address inside a large block (past its first page) aborts with
    // "get_kind_by_arena: Assertion `arena_ind < MALLOCX_ARENA_MAX' failed": jemalloc's radix tree maps only the
    // edges of large extents.
    PmemKind k(test_dir(), 0);
    ASSERT_EQ(0, k.err);
    for (size_t s : {(size_t)100000, 2 * MiB - 1, 2 * MiB + 1, 5 * MiB, 40 * MiB}) {
        char *p = static_cast<char *>(memkind_malloc(k, s));
        ASSERT_NE(nullptr, p);
        EXPECT_EQ(k.kind, memkind_detect_kind(p + s / 2)) << s;
        EXPECT_EQ(k.kind, memkind_detect_kind(p + s - 1)) << s;
        memkind_free(k, p);
    }
}

TEST(DetectForeign, BlockOfADestroyedKindIsNull)
{
    memkind_t k = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), 0, &k));
    void *p = memkind_malloc(k, 100);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(k, memkind_detect_kind(p));
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(k));
    EXPECT_EQ(nullptr, memkind_detect_kind(p));
}

// ---- calloc overflow on pmem kinds ------------------------------------------------------------------------------------
// Debian's memkind_arena_calloc computes num * size without an overflow check: calloc(SIZE_MAX/2 + 2, 2) returns a
// 2-byte block and calloc(2^33, 2^33) returns NULL without setting errno.

TEST(CallocOverflow, PmemKindReturnsNullWithEnomem)
{
    PmemKind k(test_dir(), 0);
    ASSERT_EQ(0, k.err);
    const size_t pairs[][2] = {{SIZE_MAX, SIZE_MAX}, {SIZE_MAX / 2 + 2, 2}, {(size_t)1 << 33, (size_t)1 << 33},
                               {(size_t)1 << 32 | 1, (size_t)1 << 32}, {2, SIZE_MAX / 2 + 1}};
    for (auto &pr : pairs) {
        errno = 0;
        void *p = memkind_calloc(k, pr[0], pr[1]);
        EXPECT_EQ(nullptr, p) << pr[0] << " x " << pr[1];
        EXPECT_EQ(ENOMEM, errno) << pr[0] << " x " << pr[1];
        if (p) memkind_free(k, p);
    }
}

// ---- the kind's descriptor and fields ------------------------------------------------------------------------------

TEST(PmemFd, IsCloseOnExec)
{
    // Debian creates the file with mkstemp (no O_CLOEXEC), so exec'ed children inherit it.
    for (const char *dir : {test_dir(), "/dev/shm"}) {
        PmemKind k(dir, 0);
        ASSERT_EQ(0, k.err);
        int flags = fcntl(P(k)->fd, F_GETFD);
        ASSERT_NE(-1, flags);
        EXPECT_TRUE(flags & FD_CLOEXEC) << dir;
    }
}

TEST(PmemFd, DirIsANulTerminatedCopy)
{
    // Debian allocates strlen(dir) + 1 bytes for priv->dir from its default heap but copies only strlen(dir): the
    // last byte is whatever was there. Dirty that heap first so that it shows.
    for (int i = 0; i < 2000; i++) {
        void *p = memkind_malloc(MEMKIND_DEFAULT, 1 + i % 32);
        memset(p, 0x03, 1 + i % 32);
        memkind_free(MEMKIND_DEFAULT, p);
    }
    for (const char *dir : {test_dir(), "/dev/shm", "/dev/shm/", "/dev/shm/."}) {
        PmemKind k(dir, 0);
        ASSERT_EQ(0, k.err);
        EXPECT_STREQ(dir, P(k)->dir);
    }
}

TEST(CreateWithConfig, InvalidPolicyLeaksNothing)
{
    // Debian creates the kind first and returns MEMKIND_ERROR_INVALID from the policy update, leaking the kind and its
    // descriptor.
    struct memkind_config *cfg = memkind_config_new();
    memkind_config_set_path(cfg, test_dir());
    memkind_config_set_size(cfg, 0);
    memkind_config_set_memory_usage_policy(cfg, MEMKIND_MEM_USAGE_POLICY_MAX_VALUE);
    int fds = baseline_fds();
    for (int i = 0; i < 20; i++) {
        memkind_t kind = nullptr;
        EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_create_pmem_with_config(cfg, &kind));
    }
    EXPECT_EQ(fds, count_open_fds());
    memkind_config_delete(cfg);
}

// ---- the Default policy gives freed space back by itself and reuses it -----------------------------------------------
// Debian decays dirty pages only when the arena is used again (no background thread by default): 12 s after freeing
// 60 MiB of 300 B blocks, st_blocks has not moved, and a refill of a 16 MiB kind with 300 B blocks gets about 6 % of
// the first fill.

class DefaultPolicySpace : public ::testing::TestWithParam<const char *>
{};

TEST_P(DefaultPolicySpace, SmallBlocksSpaceReturnsWithinTenSeconds)
{
    const char *dir = strcmp(GetParam(), "TESTDIR") == 0 ? test_dir() : GetParam();
    PmemKind k(dir, 0);
    ASSERT_EQ(0, k.err);
    const size_t n = 60 * MiB / 300;
    std::vector<void *> blocks(n);
    for (size_t i = 0; i < n; i++) {
        blocks[i] = memkind_malloc(k, 300);
        ASSERT_NE(nullptr, blocks[i]);
        memset(blocks[i], 0x77, 300);
    }
    const long full = file_blocks(P(k)->fd);
    EXPECT_GE(full, (long)(n * 300 / 512));
    for (void *p : blocks) memkind_free(k, p);
    auto t0 = std::chrono::steady_clock::now();
    long after = file_blocks(P(k)->fd);
    while (after >= full / 4 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        after = file_blocks(P(k)->fd);
    }
    EXPECT_LT(after, full / 4) << "st_blocks " << full << " -> " << after << " 10 s after free";
}

TEST_P(DefaultPolicySpace, RefillAfterFreeReusesTheSpace)
{
    const char *dir = strcmp(GetParam(), "TESTDIR") == 0 ? test_dir() : GetParam();
    for (size_t bs : {(size_t)300, (size_t)64 * KiB, (size_t)1 * MiB}) {
        PmemKind k(dir, MEMKIND_PMEM_MIN_SIZE);
        ASSERT_EQ(0, k.err);
        size_t first = 0;
        for (int round = 0; round < 3; round++) {
            std::vector<void *> blocks;
            while (void *p = memkind_malloc(k, bs)) {
                memset(p, 1, bs);
                blocks.push_back(p);
            }
            if (round == 0) first = blocks.size();
            else EXPECT_GE(blocks.size(), first * 3 / 4) << "block " << bs << " round " << round;
            for (void *p : blocks) memkind_free(k, p);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Dirs, DefaultPolicySpace, ::testing::Values("TESTDIR", "/dev/shm"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                             return std::string(i.index == 0 ? "TestDir" : "DevShm");
                         });

// ---- 10,000 kinds alive at once ---------------------------------------------------------------------------------------
// memkind 1.14 has a registry of MEMKIND_MAX_KIND (512) partitions and stops there with MEMKIND_ERROR_ARENAS_CREATE.

TEST(ManyKinds, TenThousandPmemKindsAtOnce)
{
    const int n = 10000;
    struct rlimit rl;
    ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
    if (rl.rlim_cur < (rlim_t)n + 200) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)n + 1000 ? rl.rlim_max : (rlim_t)n + 1000;
        ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
    }
    ASSERT_GE(rl.rlim_cur, (rlim_t)n + 200) << "RLIMIT_NOFILE too low for 10,000 kinds";
    struct statvfs v0;
    ASSERT_EQ(0, statvfs("/dev/shm", &v0));
    const int fds = baseline_fds();
    std::vector<memkind_t> kinds;
    std::vector<void *> blocks;
    kinds.reserve(n);
    blocks.reserve(n);
    int create_failures = 0, first_err = 0;
    for (int i = 0; i < n; i++) {
        memkind_t k = nullptr;
        int err = memkind_create_pmem("/dev/shm", 16 * MiB, &k);
        if (err) {
            if (!create_failures++) first_err = err;
            if (create_failures > 3) break;
            continue;
        }
        void *p = memkind_malloc(k, 64 + i % 1000);
        ASSERT_NE(nullptr, p) << "kind " << i;
        fill_pattern(p, 64, (unsigned)i);
        kinds.push_back(k);
        blocks.push_back(p);
        if (i % 1000 == 999) {
            // Safety on a shared machine: one small block per kind must not cost megabytes of tmpfs (RAM).
            struct statvfs v;
            ASSERT_EQ(0, statvfs("/dev/shm", &v));
            double used = ((double)v0.f_bfree - (double)v.f_bfree) * v.f_frsize;
            ASSERT_LT(used, 4.0 * (1 << 30)) << "file space for " << i + 1 << " one-block kinds";
        }
    }
    EXPECT_EQ(0, create_failures) << "first failure: " << first_err << " after " << kinds.size() << " kinds";
    EXPECT_EQ((size_t)n, kinds.size());
    std::set<std::string> names;
    int wrong = 0;
    for (size_t i = 0; i < kinds.size(); i++) {
        if (memkind_detect_kind(blocks[i]) != kinds[i]) wrong++;
        if (!check_pattern(blocks[i], 64, (unsigned)i)) wrong++;
        names.insert(K(kinds[i])->name);
    }
    EXPECT_EQ(0, wrong) << "blocks detected in the wrong kind or changed";
    EXPECT_EQ(kinds.size(), names.size()) << "distinct names";
    int destroy_failures = 0;
    for (size_t i = 0; i < kinds.size(); i++) {
        memkind_free(kinds[i], blocks[i]);
        if (memkind_destroy_kind(kinds[i]) != 0) destroy_failures++;
    }
    EXPECT_EQ(0, destroy_failures);
    EXPECT_EQ(fds, count_open_fds()) << "every kind's descriptor closed";
}

TEST(ManyKinds, CreateDestroyCyclesBeyondFiveHundredTwelve)
{
    // Kinds that come and go: 3,000 create/destroy cycles with 600 alive at the turn.
    const int fds = baseline_fds();
    std::vector<memkind_t> alive;
    for (int i = 0; i < 3000; i++) {
        memkind_t k = nullptr;
        ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem("/dev/shm", 0, &k)) << "cycle " << i;
        alive.push_back(k);
        if (alive.size() > 600) {
            ASSERT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(alive.front()));
            alive.erase(alive.begin());
        }
    }
    for (memkind_t k : alive) ASSERT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(k));
    EXPECT_EQ(fds, count_open_fds());
}

// ---- crashes of Debian's library that ours does not have -------------------------------------------------------------

TEST(DebianCrashes, ThreadsInAConservativeKindOnTmpfs)
{
    // Debian's library dies of SIGSEGV in memkind_arena_malloc in a good part of the runs of this (4 threads,
    // Conservative policy, directory on tmpfs); on ext4, and with one thread, it does not (api_tests has the ext4
    // variant).
    for (int round = 0; round < 3; round++) {
        struct memkind_config *cfg = memkind_config_new();
        memkind_config_set_path(cfg, "/dev/shm");
        memkind_config_set_size(cfg, round == 1 ? 0 : 512 * MiB);
        memkind_config_set_memory_usage_policy(cfg, MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
        memkind_t kind = nullptr;
        ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem_with_config(cfg, &kind));
        memkind_config_delete(cfg);
        producer_consumer(kind, 4, 3000);
        EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
    }
}

TEST(DebianCrashes, BigFreeThenFirstAllocationInAnotherKind)
{
    // Debian's library: after an 8 MiB block is freed in one pmem kind, the first allocation in a kind on tmpfs that
    // was created before dies of SIGSEGV (every time).
    memkind_t a = nullptr, b = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), 0, &a));
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem("/dev/shm", 0, &b));
    void *big = memkind_malloc(a, 8 * MiB);
    ASSERT_NE(nullptr, big);
    memset(big, 1, 8 * MiB);
    memkind_free(a, big);
    void *p = memkind_malloc(b, 1);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(b, memkind_detect_kind(p));
    memkind_free(b, p);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(b));
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(a));
}

TEST(Fork, ChildCallsAreRefusedWithOneLineAndTheParentGoesOn)
{
    // The library's runtime cannot run managed code in a fork()ed child, and pmem heaps are not mapped there
    // (MADV_DONTFORK): every call in the child fails cleanly after one line on stderr, a child that only execs is
    // fine, and the parent is unaffected. Debian's memkind lets the child allocate (in a copy of the parent's heap).
    memkind_t k = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem("/dev/shm", 0, &k));
    char *p = (char *)memkind_malloc(k, 100);
    ASSERT_NE(nullptr, p);
    strcpy(p, "parent");
    char errname[] = "/tmp/mkn-fork-XXXXXX";
    int errfd = mkstemp(errname);
    ASSERT_GE(errfd, 0);
    unlink(errname);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
        dup2(errfd, 2);
        errno = 0;
        void *q = memkind_malloc(k, 10);
        int malloc_errno = errno;
        memkind_free(k, p);
        memkind_free(nullptr, p);
        memkind_t other = nullptr;
        int created = memkind_create_pmem("/dev/shm", 0, &other);
        // Exit codes: 0 all refused as documented; 1..4 say which call was not.
        _exit(q != nullptr ? 1 : malloc_errno != ENOMEM ? 2 : created == MEMKIND_SUCCESS ? 3 : 0);
    }
    ASSERT_GT(child, 0);
    int status = 0;
    ASSERT_EQ(child, waitpid(child, &status, 0));
    ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    EXPECT_EQ(0, WEXITSTATUS(status)) << "1: malloc gave a block, 2: errno not ENOMEM, 3: a kind was created";
    std::string err = read_all_and_close(errfd);
    EXPECT_EQ(4, count_lines(err)) << "one line per refused call: [" << err << "]";
    EXPECT_NE(std::string::npos, err.find("memkind_malloc: called in a fork()ed child")) << err;
    EXPECT_NE(std::string::npos, err.find("memkind_create_pmem: called in a fork()ed child")) << err;

    pid_t exec_child = fork();
    if (exec_child == 0) {
        execl("/bin/true", "true", (char *)nullptr);
        _exit(9);
    }
    ASSERT_EQ(exec_child, waitpid(exec_child, &status, 0));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a child that only execs";

    EXPECT_STREQ("parent", p) << "the child's free changed the parent's block";
    EXPECT_EQ(k, memkind_detect_kind(p));
    void *r = memkind_malloc(k, 10);
    EXPECT_NE(nullptr, r);
    memkind_free(k, r);
    memkind_free(k, p);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(k));
}

int main(int argc, char **argv)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) self_exe.assign(buf, (size_t)n);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--misuse-child=", 15) == 0) return misuse_child(argv[i] + 15);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
