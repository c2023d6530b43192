// memkind_memtier.h behaviour only OUR libmemkind.so.0 has (linked into ours_tests). Each test says why Debian's
// libmemkind 1.14 fails it: its placement reads approximate per-kind counts, a full tier fails the allocation, calloc
// of a pmem kind does not check for overflow, and a bad handle or pointer is undefined behaviour (mostly a crash).
#include "memtier_common.h"

#include <sys/wait.h>

#include <algorithm>

namespace {

// One line on stderr, naming the function and, when given, the pointer as %p prints it.
void expect_one_line(const std::string &err, const char *function, const void *ptr = nullptr)
{
    EXPECT_EQ(1, count_lines(err)) << "exactly one line on stderr, got: [" << err << "]";
    EXPECT_NE(std::string::npos, err.find(function)) << "names " << function << ": [" << err << "]";
    if (ptr) {
        EXPECT_NE(std::string::npos, err.find(fmt_ptr(ptr))) << "shows " << fmt_ptr(ptr) << ": [" << err << "]";
    }
}

class MemtierOurs : public ::testing::Test
{
protected:
    TempDir dir;
    memkind_t pmem = nullptr;

    void SetUp() override
    {
        ASSERT_FALSE(dir.path.empty());
        ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(dir.c_str(), 0, &pmem));
    }

    void TearDown() override
    {
        EXPECT_EQ(0u, memtier_kind_allocated_size(MEMKIND_DEFAULT));
        EXPECT_EQ(0u, memtier_kind_allocated_size(pmem));
        EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(pmem));
        EXPECT_TRUE(dir.entries().empty()) << "files left in " << dir.path;
    }
};

} // namespace

// Ours falls back to the next tier with room. Debian: memtier_malloc returns NULL whenever the policy picks the full
// kind, and memtier_realloc only resizes within the block's kind.
TEST_F(MemtierOurs, AFullBoundedPmemTierFallsBackToTheNextTier)
{
    memkind_t bounded = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(dir.c_str(), MEMKIND_PMEM_MIN_SIZE, &bounded));
    {
        Memtier m(MEMTIER_POLICY_STATIC_RATIO, {{bounded, 4}, {MEMKIND_DEFAULT, 1}});
        ASSERT_NE(nullptr, m.memory);
        std::vector<void *> blocks;
        for (int i = 0; i < 768; i++) { // 48 MiB, three times the pmem tier
            void *p = memtier_malloc(m, 64 * KiB);
            ASSERT_NE(nullptr, p) << "allocation " << i;
            memset(p, i, 64 * KiB);
            blocks.push_back(p);
        }
        size_t in_pmem = memtier_kind_allocated_size(bounded), in_dram = memtier_kind_allocated_size(MEMKIND_DEFAULT);
        EXPECT_LE(in_pmem, MEMKIND_PMEM_MIN_SIZE);
        EXPECT_GT(in_pmem, MEMKIND_PMEM_MIN_SIZE / 2) << "the pmem tier was filled first";
        EXPECT_EQ(usable_in(blocks, bounded), in_pmem);
        EXPECT_EQ(usable_in(blocks, MEMKIND_DEFAULT), in_dram);
        EXPECT_EQ(768 * 64 * KiB, in_pmem + in_dram);

        // Growing a block of the full tier moves it to the next one, bytes and counts with it.
        void *in_full = nullptr;
        for (void *p : blocks)
            if (memkind_detect_kind(p) == bounded) in_full = p;
        ASSERT_NE(nullptr, in_full);
        unsigned char first = *static_cast<unsigned char *>(in_full);
        void *grown = memtier_realloc(m, in_full, 4 * MiB);
        ASSERT_NE(nullptr, grown);
        EXPECT_EQ(MEMKIND_DEFAULT, memkind_detect_kind(grown));
        EXPECT_EQ(first, *static_cast<unsigned char *>(grown));
        std::replace(blocks.begin(), blocks.end(), in_full, grown);
        EXPECT_EQ(usable_in(blocks, bounded), memtier_kind_allocated_size(bounded));
        EXPECT_EQ(usable_in(blocks, MEMKIND_DEFAULT), memtier_kind_allocated_size(MEMKIND_DEFAULT));
        for (void *p : blocks) memtier_free(p);
        EXPECT_EQ(0u, memtier_kind_allocated_size(bounded));
    }
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(bounded));
}

// Ours checks num * size for overflow. Debian: memkind_calloc of a pmem kind multiplies without a check and returns
// a block of the wrapped size.
TEST_F(MemtierOurs, CallocOverflowIsNullWithEnomem)
{
    Memtier m(MEMTIER_POLICY_STATIC_RATIO, {{pmem, 1}});
    ASSERT_NE(nullptr, m.memory);
    const size_t half = SIZE_MAX / 2 + 1; // half * 2 wraps to 0, half * 3 to half
    for (size_t n : {(size_t)2, (size_t)3, (size_t)16}) {
        errno = 0;
        EXPECT_EQ(nullptr, memtier_calloc(m, half, n));
        EXPECT_EQ(ENOMEM, errno);
        errno = 0;
        EXPECT_EQ(nullptr, memtier_kind_calloc(pmem, n, half));
        EXPECT_EQ(ENOMEM, errno);
    }
    EXPECT_EQ(0u, memtier_kind_allocated_size(pmem));
}

// Ours writes one line per bad call and changes nothing. Debian: no checks (NULL or stale builders and memories are
// dereferenced, foreign pointers freed into jemalloc), so these crash or corrupt its heap.
TEST_F(MemtierOurs, BadBuildersAndMemoriesAreOneLineEach)
{
    char local[64];
    void *fake = local;
    {
        StderrCapture cap;
        EXPECT_EQ(nullptr, memtier_builder_new(static_cast<memtier_policy_t>(7)));
        expect_one_line(cap.finish(), "memtier_builder_new");
    }
    struct memtier_builder *gone = memtier_builder_new(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    memtier_builder_delete(gone);
    size_t v = 100;
    for (void *b : {fake, (void *)gone}) {
        auto *builder = static_cast<struct memtier_builder *>(b);
        {
            StderrCapture cap;
            EXPECT_EQ(-1, memtier_builder_add_tier(builder, MEMKIND_DEFAULT, 1));
            expect_one_line(cap.finish(), "memtier_builder_add_tier", b);
        }
        {
            StderrCapture cap;
            EXPECT_EQ(-1, memtier_ctl_set(builder, "policy.dynamic_threshold.check_cnt", &v));
            expect_one_line(cap.finish(), "memtier_ctl_set", b);
        }
        {
            StderrCapture cap;
            EXPECT_EQ(nullptr, memtier_builder_construct_memtier_memory(builder));
            expect_one_line(cap.finish(), "memtier_builder_construct_memtier_memory", b);
        }
        {
            StderrCapture cap;
            memtier_builder_delete(builder);
            expect_one_line(cap.finish(), "memtier_builder_delete", b);
        }
    }
    {
        StderrCapture cap;
        memtier_builder_delete(nullptr); // as free(NULL)
        memtier_delete_memtier_memory(nullptr);
        EXPECT_EQ("", cap.finish());
    }

    Memtier deleted(MEMTIER_POLICY_STATIC_RATIO, {{MEMKIND_DEFAULT, 1}});
    struct memtier_memory *stale = deleted.memory;
    memtier_delete_memtier_memory(stale);
    deleted.memory = nullptr;
    for (void *mp : {(void *)nullptr, fake, (void *)stale}) {
        auto *memory = static_cast<struct memtier_memory *>(mp);
        void *out = fake;
        {
            StderrCapture cap;
            errno = 0;
            EXPECT_EQ(nullptr, memtier_malloc(memory, 100));
            EXPECT_EQ(EINVAL, errno);
            expect_one_line(cap.finish(), "memtier_malloc", mp);
        }
        {
            StderrCapture cap;
            EXPECT_EQ(nullptr, memtier_calloc(memory, 10, 10));
            expect_one_line(cap.finish(), "memtier_calloc", mp);
        }
        {
            StderrCapture cap;
            EXPECT_EQ(nullptr, memtier_realloc(memory, nullptr, 100));
            expect_one_line(cap.finish(), "memtier_realloc", mp);
        }
        {
            StderrCapture cap;
            EXPECT_EQ(EINVAL, memtier_posix_memalign(memory, &out, 64, 100));
            EXPECT_EQ(nullptr, out);
            expect_one_line(cap.finish(), "memtier_posix_memalign", mp);
        }
        if (mp) {
            StderrCapture cap;
            memtier_delete_memtier_memory(memory);
            expect_one_line(cap.finish(), "memtier_delete_memtier_memory", mp);
        }
    }
}

TEST_F(MemtierOurs, BadTiersAndNamesAreOneLineEach)
{
    struct memtier_builder *b = memtier_builder_new(MEMTIER_POLICY_DYNAMIC_THRESHOLD);
    ASSERT_NE(nullptr, b);
    mk_layout_kind not_ours = {};
    strcpy(not_ours.name, "impostor");
    memkind_t gone = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(dir.c_str(), 0, &gone));
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(gone));
    struct {
        memkind_t kind;
        unsigned ratio;
        const char *what;
    } bad[] = {
        {nullptr, 1, "NULL kind"},
        {reinterpret_cast<memkind_t>(&not_ours), 1, "a kind not ours"},
        {gone, 1, "a destroyed kind"},
        {MEMKIND_HBW, 1, "a kind not available here"},
        {pmem, 0, "ratio 0"},
    };
    for (auto &t : bad) {
        StderrCapture cap;
        errno = 0;
        EXPECT_EQ(-1, memtier_builder_add_tier(b, t.kind, t.ratio)) << t.what;
        EXPECT_EQ(EINVAL, errno) << t.what;
        expect_one_line(cap.finish(), "memtier_builder_add_tier");
    }
    ASSERT_EQ(0, memtier_builder_add_tier(b, MEMKIND_DEFAULT, 1));
    {
        StderrCapture cap;
        EXPECT_EQ(-1, memtier_builder_add_tier(b, MEMKIND_DEFAULT, 3));
        expect_one_line(cap.finish(), "memtier_builder_add_tier");
    }
    size_t v = 10;
    for (const char *name : {"policy.dynamic_threshold.", "policy.dynamic_threshold.thresholds[0].val",
                             "policy.dynamic_threshold.thresholds[-1].val", "policy.dynamic_threshold.thresholds[ 0].val",
                             "POLICY.dynamic_threshold.check_cnt", (const char *)nullptr}) {
        StderrCapture cap;
        EXPECT_EQ(-1, memtier_ctl_set(b, name, &v)) << (name ? name : "NULL");
        expect_one_line(cap.finish(), "memtier_ctl_set");
    }
    {
        StderrCapture cap;
        EXPECT_EQ(-1, memtier_ctl_set(b, "policy.dynamic_threshold.check_cnt", nullptr));
        expect_one_line(cap.finish(), "memtier_ctl_set");
    }
    {
        StderrCapture cap;
        EXPECT_EQ(nullptr, memtier_builder_construct_memtier_memory(b)) << "one tier for DYNAMIC_THRESHOLD";
        std::string err = cap.finish();
        expect_one_line(err, "memtier_builder_construct_memtier_memory");
        EXPECT_NE(std::string::npos, err.find("two tiers")) << err;
    }
    memtier_builder_delete(b);
}

TEST_F(MemtierOurs, BadBlocksAreOneLineEachAndChangeNothing)
{
    Memtier m(MEMTIER_POLICY_STATIC_RATIO, {{MEMKIND_DEFAULT, 1}, {pmem, 1}});
    ASSERT_NE(nullptr, m.memory);
    void *dram = memtier_kind_malloc(MEMKIND_DEFAULT, 1000), *slow = memtier_kind_malloc(pmem, 1000);
    ASSERT_TRUE(dram && slow);
    fill_pattern(dram, 1000, 1);
    fill_pattern(slow, 1000, 2);
    size_t before_dram = memtier_kind_allocated_size(MEMKIND_DEFAULT), before_pmem = memtier_kind_allocated_size(pmem);
    void *glibc = malloc(1000);
    char local[64];
    void *freed = memtier_malloc(m, 5000);
    memtier_free(freed);
    for (void *p : {glibc, (void *)local, freed, (void *)((char *)slow + 16)}) {
        {
            StderrCapture cap;
            memtier_free(p);
            expect_one_line(cap.finish(), "memtier_free", p);
        }
        {
            StderrCapture cap;
            EXPECT_EQ(0u, memtier_usable_size(p));
            expect_one_line(cap.finish(), "memtier_usable_size", p);
        }
        {
            StderrCapture cap;
            EXPECT_EQ(nullptr, memtier_realloc(m, p, 100));
            expect_one_line(cap.finish(), "memtier_realloc", p);
        }
        {
            StderrCapture cap;
            EXPECT_EQ(nullptr, memtier_kind_realloc(nullptr, p, 100));
            expect_one_line(cap.finish(), "memtier_kind_realloc", p);
        }
    }
    // A block of another kind than the one named.
    {
        StderrCapture cap;
        memtier_kind_free(pmem, dram);
        expect_one_line(cap.finish(), "memtier_kind_free", dram);
    }
    {
        StderrCapture cap;
        EXPECT_EQ(nullptr, memtier_kind_realloc(MEMKIND_DEFAULT, slow, 5000));
        expect_one_line(cap.finish(), "memtier_kind_realloc", slow);
    }
    EXPECT_TRUE(check_pattern(dram, 1000, 1));
    EXPECT_TRUE(check_pattern(slow, 1000, 2));
    EXPECT_EQ(before_dram, memtier_kind_allocated_size(MEMKIND_DEFAULT));
    EXPECT_EQ(before_pmem, memtier_kind_allocated_size(pmem));
    free(glibc);
    memtier_free(dram);
    memtier_free(slow);
}

// memkind's own test (test_tier_size_after_destroy) asks a destroyed kind for its count and expects 0; ours also says
// in one line that the kind is not live. Debian returns 0 too (it resets the count on destroy) and says nothing.
TEST_F(MemtierOurs, ADestroyedKindCountsZero)
{
    memkind_t k = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(dir.c_str(), 0, &k));
    void *p = memtier_kind_malloc(k, 512);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(512u, memtier_kind_allocated_size(k));
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(k));
    StderrCapture cap;
    EXPECT_EQ(0u, memtier_kind_allocated_size(k));
    expect_one_line(cap.finish(), "memtier_kind_allocated_size", k);
    // A kind made in its place starts from 0.
    memkind_t again = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(dir.c_str(), 0, &again));
    EXPECT_EQ(0u, memtier_kind_allocated_size(again));
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(again));
}

// Ratios are unsigned in C; ours keeps their proportion when they pass INT_MAX (TieredMemory takes int), and places
// even the first allocation by it. Debian puts the allocations made before its per-thread count is first flushed
// (50 KiB) in the first tier, where both counts it reads are still 0.
TEST_F(MemtierOurs, RatiosUpToUintMaxKeepTheirProportion)
{
    Memtier m(MEMTIER_POLICY_STATIC_RATIO, {{MEMKIND_DEFAULT, 1}, {pmem, UINT32_MAX}});
    ASSERT_NE(nullptr, m.memory);
    std::vector<void *> blocks;
    for (int i = 0; i < 100; i++) blocks.push_back(memtier_malloc(m, 4096));
    EXPECT_EQ(0u, memtier_kind_allocated_size(MEMKIND_DEFAULT));
    EXPECT_EQ(100 * 4096u, memtier_kind_allocated_size(pmem));
    for (void *p : blocks) memtier_free(p);
}

// As the memkind_* calls (ours_tests' Fork test): in a fork()ed child every memtier call fails after one line and the
// parent goes on. Debian's memkind lets the child allocate in a copy of the parent's heap.
TEST_F(MemtierOurs, ForkedChildCallsAreRefusedWithOneLine)
{
    Memtier m(MEMTIER_POLICY_STATIC_RATIO, {{MEMKIND_DEFAULT, 1}, {pmem, 1}});
    ASSERT_NE(nullptr, m.memory);
    void *p = memtier_malloc(m, 100);
    ASSERT_NE(nullptr, p);
    char errname[] = "/tmp/mkn-memtier-fork-XXXXXX";
    int errfd = mkstemp(errname);
    ASSERT_GE(errfd, 0);
    unlink(errname);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
        dup2(errfd, 2);
        errno = 0;
        void *q = memtier_malloc(m, 10);
        int malloc_errno = errno;
        void *r = memtier_kind_malloc(pmem, 10);
        memtier_free(p);
        struct memtier_builder *b = memtier_builder_new(MEMTIER_POLICY_STATIC_RATIO);
        size_t counted = memtier_kind_allocated_size(MEMKIND_DEFAULT) + memtier_kind_allocated_size(pmem);
        _exit(q || r ? 1 : malloc_errno != ENOMEM ? 2 : b ? 3 : counted ? 4 : 0);
    }
    ASSERT_GT(child, 0);
    int status = 0;
    ASSERT_EQ(child, waitpid(child, &status, 0));
    ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    EXPECT_EQ(0, WEXITSTATUS(status)) << "1: a block, 2: errno not ENOMEM, 3: a builder, 4: counts read";
    std::string err = read_all_and_close(errfd);
    EXPECT_EQ(6, count_lines(err)) << "one line per refused call: [" << err << "]";
    EXPECT_NE(std::string::npos, err.find("memtier_malloc: called in a fork()ed child")) << err;
    EXPECT_NE(std::string::npos, err.find("memtier_free: called in a fork()ed child")) << err;
    EXPECT_EQ(memtier_usable_size(p), memtier_kind_allocated_size(MEMKIND_DEFAULT) + memtier_kind_allocated_size(pmem))
        << "the parent's counts are as they were";
    memtier_free(p);
}
