// Stats, stats_print, error messages, version, background threads, the exported symbols and the seed functions
// memkind_pmem_get_mmap_flags / memkind_pmem_mmap. Holds on Debian's libmemkind 1.14 and on ours.
#include "common.h"

#include <dlfcn.h>
#include <stdint.h>

#include <fstream>
#include <set>
#include <sstream>

// ---- stats --------------------------------------------------------------------------------------------------------

TEST(Stats, UpdateCachedStatsSucceeds)
{
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_update_cached_stats());
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_update_cached_stats());
}

TEST(Stats, InvalidStatTypeIsRefused)
{
    PmemKind k(test_dir(), 0);
    ASSERT_EQ(0, k.err);
    size_t v = 12345;
    EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_get_stat(k, MEMKIND_STAT_TYPE_MAX_VALUE, &v));
    EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_get_stat(nullptr, MEMKIND_STAT_TYPE_MAX_VALUE, &v));
    EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_get_stat(k, (memkind_stat_type)100, &v));
    EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_get_stat(nullptr, (memkind_stat_type)-1, &v));
    EXPECT_EQ(12345u, v) << "value untouched on error";
}

TEST(Stats, KindStatsFollowAllocation)
{
    PmemKind k(test_dir(), 0);
    ASSERT_EQ(0, k.err);
    size_t res0, act0, all0;
    ASSERT_EQ(0, memkind_update_cached_stats());
    ASSERT_EQ(0, memkind_get_stat(k, MEMKIND_STAT_TYPE_RESIDENT, &res0));
    ASSERT_EQ(0, memkind_get_stat(k, MEMKIND_STAT_TYPE_ACTIVE, &act0));
    ASSERT_EQ(0, memkind_get_stat(k, MEMKIND_STAT_TYPE_ALLOCATED, &all0));
    EXPECT_EQ(0u, all0) << "a new kind has nothing allocated";

    std::vector<void *> blocks;
    for (int i = 0; i < 1000; i++) {
        void *p = memkind_malloc(k, 10000);
        ASSERT_NE(nullptr, p);
        memset(p, 1, 10000);
        blocks.push_back(p);
    }
    size_t res1, act1, all1;
    ASSERT_EQ(0, memkind_update_cached_stats());
    ASSERT_EQ(0, memkind_get_stat(k, MEMKIND_STAT_TYPE_RESIDENT, &res1));
    ASSERT_EQ(0, memkind_get_stat(k, MEMKIND_STAT_TYPE_ACTIVE, &act1));
    ASSERT_EQ(0, memkind_get_stat(k, MEMKIND_STAT_TYPE_ALLOCATED, &all1));
    EXPECT_GE(all1, all0 + 1000 * 10000);
    EXPECT_LE(all1, all0 + 1000 * 10000 * 5 / 4 + 4 * MiB);
    EXPECT_GE(act1, all1) << "active >= allocated";
    EXPECT_GE(res1, act1) << "resident >= active";

    for (void *p : blocks) memkind_free(k, p);
    size_t all2;
    ASSERT_EQ(0, memkind_update_cached_stats());
    ASSERT_EQ(0, memkind_get_stat(k, MEMKIND_STAT_TYPE_ALLOCATED, &all2));
    EXPECT_EQ(all0, all2) << "allocated back to its start after freeing everything";
}

TEST(Stats, StatsAreKeptPerKind)
{
    PmemKind a(test_dir(), 0), b("/dev/shm", 0);
    ASSERT_EQ(0, a.err);
    ASSERT_EQ(0, b.err);
    void *p = memkind_malloc(a, 5 * MiB);
    ASSERT_NE(nullptr, p);
    size_t va, vb;
    ASSERT_EQ(0, memkind_update_cached_stats());
    ASSERT_EQ(0, memkind_get_stat(a, MEMKIND_STAT_TYPE_ALLOCATED, &va));
    ASSERT_EQ(0, memkind_get_stat(b, MEMKIND_STAT_TYPE_ALLOCATED, &vb));
    EXPECT_GE(va, 5 * MiB);
    EXPECT_EQ(0u, vb);
    memkind_free(a, p);
}

TEST(Stats, GlobalStatsIncludePmemKinds)
{
    PmemKind k(test_dir(), 0);
    ASSERT_EQ(0, k.err);
    size_t g0[3], g1[3];
    ASSERT_EQ(0, memkind_update_cached_stats());
    for (int s = 0; s < 3; s++) ASSERT_EQ(0, memkind_get_stat(nullptr, (memkind_stat_type)s, &g0[s]));
    EXPECT_GE(g0[MEMKIND_STAT_TYPE_ACTIVE], g0[MEMKIND_STAT_TYPE_ALLOCATED]);
    EXPECT_GE(g0[MEMKIND_STAT_TYPE_RESIDENT], g0[MEMKIND_STAT_TYPE_ACTIVE]);
    std::vector<void *> blocks;
    for (int i = 0; i < 20; i++) {
        void *p = memkind_malloc(k, 1 * MiB);
        ASSERT_NE(nullptr, p);
        memset(p, 2, MiB);
        blocks.push_back(p);
    }
    ASSERT_EQ(0, memkind_update_cached_stats());
    for (int s = 0; s < 3; s++) ASSERT_EQ(0, memkind_get_stat(nullptr, (memkind_stat_type)s, &g1[s]));
    EXPECT_GE(g1[MEMKIND_STAT_TYPE_ALLOCATED], g0[MEMKIND_STAT_TYPE_ALLOCATED] + 20 * MiB - 1 * MiB);
    EXPECT_GE(g1[MEMKIND_STAT_TYPE_ACTIVE], g1[MEMKIND_STAT_TYPE_ALLOCATED]);
    EXPECT_GE(g1[MEMKIND_STAT_TYPE_RESIDENT], g1[MEMKIND_STAT_TYPE_ACTIVE]);
    for (void *p : blocks) memkind_free(k, p);
}

// ---- stats_print ------------------------------------------------------------------------------------------------

static void collect(void *opaque, const char *text)
{
    static_cast<std::string *>(opaque)->append(text);
}

TEST(StatsPrint, CallbackReceivesText)
{
    PmemKind k(test_dir(), 0);
    ASSERT_EQ(0, k.err);
    void *p = memkind_malloc(k, 1000);
    std::string text;
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_stats_print(collect, &text, MEMKIND_STAT_PRINT_ALL));
    EXPECT_GT(text.size(), 100u);
    memkind_free(k, p);
}

TEST(StatsPrint, JsonFormatIsAnObject)
{
    std::string text;
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_stats_print(collect, &text, MEMKIND_STAT_PRINT_JSON_FORMAT));
    size_t first = text.find_first_not_of(" \t\r\n"), last = text.find_last_not_of(" \t\r\n");
    ASSERT_NE(std::string::npos, first);
    EXPECT_EQ('{', text[first]);
    EXPECT_EQ('}', text[last]);
    int depth = 0, min_depth = 0;
    for (size_t i = first; i <= last; i++) {
        depth += text[i] == '{' ? 1 : text[i] == '}' ? -1 : 0;
        if (i < last && depth < 1) min_depth = -1;
    }
    EXPECT_EQ(0, depth) << "balanced braces";
    EXPECT_EQ(0, min_depth) << "one top-level object";
}

TEST(StatsPrint, EveryValidOptionCombinationSucceeds)
{
    const int opts[] = {MEMKIND_STAT_PRINT_OMIT_GENERAL,
                        MEMKIND_STAT_PRINT_OMIT_MERGED_ARENA,
                        MEMKIND_STAT_PRINT_OMIT_DESTROYED_MERGED_ARENA,
                        MEMKIND_STAT_PRINT_OMIT_PER_ARENA,
                        MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_BINS,
                        MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_LARGE,
                        MEMKIND_STAT_PRINT_OMIT_MUTEX,
                        MEMKIND_STAT_PRINT_OMIT_EXTENT,
                        0x1ff,
                        0x1fe,
                        MEMKIND_STAT_PRINT_JSON_FORMAT | MEMKIND_STAT_PRINT_OMIT_PER_ARENA};
    for (int o : opts) {
        std::string text;
        EXPECT_EQ(MEMKIND_SUCCESS, memkind_stats_print(collect, &text, (memkind_stat_print_opt)o)) << o;
        EXPECT_FALSE(text.empty()) << o;
    }
    // Omitting everything prints less than printing everything.
    std::string all, none;
    memkind_stats_print(collect, &all, MEMKIND_STAT_PRINT_ALL);
    memkind_stats_print(collect, &none, (memkind_stat_print_opt)0x1fe);
    EXPECT_LT(none.size(), all.size());
}

TEST(StatsPrint, UnknownOptionBitsAreRefused)
{
    const unsigned bad[] = {1u << 9, 1u << 10, 0x3ff, 1u << 31, 0xffffffffu};
    for (unsigned o : bad) {
        std::string text;
        EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_stats_print(collect, &text, (memkind_stat_print_opt)o)) << o;
        EXPECT_TRUE(text.empty()) << o;
    }
}

TEST(StatsPrint, NullCallbackWritesToStderr)
{
    StderrCapture cap;
    int rc = memkind_stats_print(nullptr, nullptr, MEMKIND_STAT_PRINT_ALL);
    std::string err = cap.finish();
    EXPECT_EQ(MEMKIND_SUCCESS, rc);
    EXPECT_GT(err.size(), 100u);
}

// ---- error messages ------------------------------------------------------------------------------------------------

static const int kErrors[] = {MEMKIND_ERROR_UNAVAILABLE, MEMKIND_ERROR_MBIND,     MEMKIND_ERROR_MMAP,
                              MEMKIND_ERROR_MALLOC,      MEMKIND_ERROR_ENVIRON,   MEMKIND_ERROR_INVALID,
                              MEMKIND_ERROR_TOOMANY,     MEMKIND_ERROR_BADOPS,    MEMKIND_ERROR_HUGETLB,
                              MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, MEMKIND_ERROR_OPERATION_FAILED,
                              MEMKIND_ERROR_ARENAS_CREATE, MEMKIND_ERROR_RUNTIME, EINVAL, ENOMEM};

TEST(ErrorMessage, EveryCodeHasAPrefixedTerminatedMessage)
{
    std::set<std::string> seen;
    for (int err : kErrors) {
        char msg[MEMKIND_ERROR_MESSAGE_SIZE + 16];
        memset(msg, 'X', sizeof msg);
        memkind_error_message(err, msg, MEMKIND_ERROR_MESSAGE_SIZE);
        size_t len = strnlen(msg, MEMKIND_ERROR_MESSAGE_SIZE);
        ASSERT_LT(len, (size_t)MEMKIND_ERROR_MESSAGE_SIZE) << "NUL within MEMKIND_ERROR_MESSAGE_SIZE, code " << err;
        EXPECT_EQ(0, strncmp(msg, "<memkind>", 9)) << msg;
        EXPECT_GT(len, 10u) << "message says something, code " << err;
        for (size_t i = MEMKIND_ERROR_MESSAGE_SIZE; i < sizeof msg; i++) ASSERT_EQ('X', msg[i]) << "wrote past size";
        EXPECT_TRUE(seen.insert(msg).second) << "distinct message for code " << err << ": " << msg;
    }
}

TEST(ErrorMessage, UnknownCodesNameTheNumber)
{
    const int unknown[] = {-999, 1, 12345, -100, 0};
    for (int err : unknown) {
        char msg[MEMKIND_ERROR_MESSAGE_SIZE];
        memkind_error_message(err, msg, sizeof msg);
        EXPECT_EQ(0, strncmp(msg, "<memkind>", 9)) << msg;
        EXPECT_NE(nullptr, strstr(msg, std::to_string(err).c_str())) << msg;
    }
}

TEST(ErrorMessage, SmallBuffersAreTruncatedAndTerminated)
{
    for (int err : kErrors)
        for (size_t size : {(size_t)1, (size_t)2, (size_t)5, (size_t)10, (size_t)20}) {
            char msg[32];
            memset(msg, 'X', sizeof msg);
            memkind_error_message(err, msg, size);
            EXPECT_EQ('\0', msg[size - 1]) << "code " << err << " size " << size;
            EXPECT_EQ(size - 1, strlen(msg)) << "code " << err << " size " << size;
            EXPECT_EQ(0, strncmp(msg, "<memkind>", size - 1 < 9 ? size - 1 : 9));
            for (size_t i = size; i < sizeof msg; i++) ASSERT_EQ('X', msg[i]) << "wrote past size " << size;
        }
}

TEST(ErrorMessage, NullBufferWithZeroSizeDoesNotCrash)
{
    for (int err : kErrors) memkind_error_message(err, nullptr, 0);
    memkind_error_message(-999, nullptr, 0);
    char msg[MEMKIND_ERROR_MESSAGE_SIZE];
    memkind_error_message(MEMKIND_ERROR_INVALID, msg, sizeof msg);
    EXPECT_EQ(0, strncmp(msg, "<memkind>", 9));
}

// ---- version and background threads -------------------------------------------------------------------------------

TEST(Version, Is1014000)
{
    EXPECT_EQ(1014000, memkind_get_version());
}

TEST(BgThreads, EnableAndDisableSucceed)
{
    EXPECT_EQ(0, memkind_set_bg_threads(true));
    PmemKind k(test_dir(), 0);
    ASSERT_EQ(0, k.err);
    void *p = memkind_malloc(k, 1000);
    EXPECT_NE(nullptr, p);
    memkind_free(k, p);
    EXPECT_EQ(0, memkind_set_bg_threads(false));
    EXPECT_EQ(0, memkind_set_bg_threads(false));
    p = memkind_malloc(k, 1000);
    EXPECT_NE(nullptr, p);
    memkind_free(k, p);
}

// ---- exports --------------------------------------------------------------------------------------------------------

static const char *kFunctions[] = {
    "memkind_config_new", "memkind_config_delete", "memkind_config_set_path", "memkind_config_set_size",
    "memkind_config_set_memory_usage_policy", "memkind_create_pmem", "memkind_create_pmem_with_config",
    "memkind_destroy_kind", "memkind_detect_kind", "memkind_check_dax_path", "memkind_check_available",
    "memkind_get_capacity", "memkind_create_kind", "memkind_create_fixed", "memkind_get_kind_by_partition",
    "memkind_malloc", "memkind_calloc", "memkind_realloc", "memkind_posix_memalign", "memkind_free",
    "memkind_malloc_usable_size", "memkind_defrag_reallocate", "memkind_update_cached_stats", "memkind_get_stat",
    "memkind_stats_print", "memkind_error_message", "memkind_get_version", "memkind_set_bg_threads",
    // seed functions (memkind's internal memkind_pmem.h; exported by 1.14)
    "memkind_pmem_create", "memkind_pmem_destroy", "memkind_pmem_mmap", "memkind_pmem_get_mmap_flags"};

#define DATA(n) {"MEMKIND_" #n, (void *)&MEMKIND_##n}
static const struct {
    const char *name;
    void *addr;
} kData[] = {
    DATA(DEFAULT), DATA(REGULAR), DATA(HUGETLB), DATA(INTERLEAVE), DATA(HBW), DATA(HBW_ALL), DATA(HBW_PREFERRED),
    DATA(HBW_HUGETLB), DATA(HBW_ALL_HUGETLB), DATA(HBW_PREFERRED_HUGETLB), DATA(HBW_INTERLEAVE), DATA(HBW_GBTLB),
    DATA(HBW_PREFERRED_GBTLB), DATA(GBTLB), DATA(DAX_KMEM), DATA(DAX_KMEM_ALL), DATA(DAX_KMEM_PREFERRED),
    DATA(DAX_KMEM_INTERLEAVE), DATA(HIGHEST_CAPACITY), DATA(HIGHEST_CAPACITY_PREFERRED), DATA(HIGHEST_CAPACITY_LOCAL),
    DATA(HIGHEST_CAPACITY_LOCAL_PREFERRED), DATA(LOWEST_LATENCY_LOCAL), DATA(LOWEST_LATENCY_LOCAL_PREFERRED),
    DATA(HIGHEST_BANDWIDTH_LOCAL), DATA(HIGHEST_BANDWIDTH_LOCAL_PREFERRED)};

static std::string library_of(void *addr)
{
    Dl_info info;
    if (!dladdr(addr, &info) || !info.dli_fname) return std::string();
    return info.dli_fname;
}

TEST(Exports, EveryFunctionIsExportedByLibmemkind)
{
    ASSERT_EQ(32u, sizeof kFunctions / sizeof kFunctions[0]);
    void *lib = dlopen("libmemkind.so.0", RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(nullptr, lib) << "libmemkind.so.0 is loaded";
    for (const char *f : kFunctions) {
        void *sym = dlsym(lib, f);
        EXPECT_NE(nullptr, sym) << f;
        if (sym) {
            EXPECT_NE(std::string::npos, library_of(sym).find("libmemkind.so")) << f << " in " << library_of(sym);
        }
    }
    dlclose(lib);
}

TEST(Exports, EveryDataSymbolIsExportedAndMatchesTheLinkedValue)
{
    ASSERT_EQ(26u, sizeof kData / sizeof kData[0]);
    void *lib = dlopen("libmemkind.so.0", RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(nullptr, lib);
    for (auto &d : kData) {
        void *sym = dlsym(lib, d.name);
        ASSERT_NE(nullptr, sym) << d.name;
        EXPECT_EQ(*(memkind_t *)d.addr, *(memkind_t *)sym) << d.name << ": same kind pointer via dlsym and the link";
        EXPECT_NE(nullptr, *(memkind_t *)sym) << d.name;
    }
    dlclose(lib);
}

TEST(Exports, OpsTablesAreTheKindsOps)
{
    // MEMKIND_DEFAULT_OPS, MEMKIND_PMEM_OPS and MEMKIND_FIXED_OPS (struct memkind_ops, 168 bytes) are exported data,
    // and a kind's ops field points at its table.
    void *lib = dlopen("libmemkind.so.0", RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(nullptr, lib);
    void *def_ops = dlsym(lib, "MEMKIND_DEFAULT_OPS"), *pmem_ops = dlsym(lib, "MEMKIND_PMEM_OPS"),
         *fixed_ops = dlsym(lib, "MEMKIND_FIXED_OPS");
    ASSERT_NE(nullptr, def_ops);
    ASSERT_NE(nullptr, pmem_ops);
    ASSERT_NE(nullptr, fixed_ops);
    EXPECT_EQ(def_ops, K(MEMKIND_DEFAULT)->ops);
    PmemKind k(test_dir(), 0);
    ASSERT_EQ(0, k.err);
    EXPECT_EQ(pmem_ops, K(k)->ops);
    const size_t size = 16 * MiB;
    void *area = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memkind_t fixed = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_fixed(area, size, &fixed));
    EXPECT_EQ(fixed_ops, K(fixed)->ops);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(fixed));
    munmap(area, size);
    dlclose(lib);
}

TEST(Exports, CallsThroughThePmemOpsTable)
{
    // Programs built on memkind's internal header call kind->ops->malloc(kind, ...) and friends directly.
    PmemKind k(test_dir(), 0);
    ASSERT_EQ(0, k.err);
    mk_layout_ops *ops = static_cast<mk_layout_ops *>(K(k)->ops);
    ASSERT_NE(nullptr, ops);
    ASSERT_TRUE(ops->malloc && ops->calloc && ops->realloc && ops->free && ops->posix_memalign &&
                ops->malloc_usable_size && ops->get_mmap_flags && ops->get_stat);
    unsigned char *p = static_cast<unsigned char *>(ops->malloc(k, 1000));
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(k.kind, memkind_detect_kind(p));
    EXPECT_GE(ops->malloc_usable_size(k, p), 1000u);
    fill_pattern(p, 1000, 5);
    p = static_cast<unsigned char *>(ops->realloc(k, p, 50000));
    ASSERT_NE(nullptr, p);
    EXPECT_TRUE(check_pattern(p, 1000, 5));
    unsigned char *c = static_cast<unsigned char *>(ops->calloc(k, 10, 100));
    ASSERT_NE(nullptr, c);
    for (int i = 0; i < 1000; i++) ASSERT_EQ(0, c[i]);
    void *a = nullptr;
    EXPECT_EQ(0, ops->posix_memalign(k, &a, 4096, 100));
    EXPECT_EQ(0u, (uintptr_t)a % 4096);
    int flags = -1;
    EXPECT_EQ(0, ops->get_mmap_flags(k, &flags));
    EXPECT_EQ(MAP_SHARED, flags);
    // (memkind's pmem table has no check_available: memkind_check_available treats that as available)
    size_t v = 0;
    memkind_update_cached_stats();
    EXPECT_EQ(0, ops->get_stat(k, MEMKIND_STAT_TYPE_ALLOCATED, &v));
    EXPECT_GE(v, 50000u + 1000u);
    ops->free(k, p);
    ops->free(k, c);
    memkind_free(k, a);
}

// ---- seed functions ------------------------------------------------------------------------------------------------

TEST(Seed, GetMmapFlagsIsMapShared)
{
    PmemKind k(test_dir(), 0);
    ASSERT_EQ(0, k.err);
    int flags = -1;
    EXPECT_EQ(0, memkind_pmem_get_mmap_flags(k, &flags));
    EXPECT_EQ(MAP_SHARED, flags);
}

// /proc/self/maps entry that contains addr: "start-end perms offset dev inode path"
static bool mapping_of(void *addr, std::string &perms, unsigned long &offset, unsigned long &inode, unsigned long &len)
{
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        unsigned long start, end, off, ino;
        char pr[8], dev[16];
        if (sscanf(line.c_str(), "%lx-%lx %7s %lx %15s %lu", &start, &end, pr, &off, dev, &ino) != 6) continue;
        if ((uintptr_t)addr >= start && (uintptr_t)addr < end) {
            perms = pr;
            offset = off + ((uintptr_t)addr - start);
            inode = ino;
            len = end - (uintptr_t)addr;
            return true;
        }
    }
    return false;
}

extern "C" {
int memkind_pmem_create(memkind_t kind, void *ops, const char *name);
int memkind_pmem_destroy(memkind_t kind);
}

TEST(Seed, PmemCreateAndDestroyOnACallerOwnedStruct)
{
    // memkind_pmem_create is the create operation of MEMKIND_PMEM_OPS: it sets up a struct memkind the caller owns
    // (ops, name, priv) but not priv's fd or dir (memkind_create_pmem fills those in afterwards, so they are set here
    // before destroy). The ops pointer is taken from a real pmem kind.
    memkind_t ref = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), 0, &ref));
    const int fds = baseline_fds();
    mk_layout_kind *k = static_cast<mk_layout_kind *>(calloc(1, sizeof(mk_layout_kind)));
    ASSERT_NE(nullptr, k);
    EXPECT_EQ(0, memkind_pmem_create(reinterpret_cast<memkind_t>(k), K(ref)->ops, "seedtest"));
    EXPECT_STREQ("seedtest", k->name);
    EXPECT_EQ(K(ref)->ops, k->ops);
    ASSERT_NE(nullptr, k->priv);
    mk_layout_pmem *priv = static_cast<mk_layout_pmem *>(k->priv);
    priv->fd = -1;
    priv->dir = nullptr;
    EXPECT_EQ(0, memkind_pmem_destroy(reinterpret_cast<memkind_t>(k)));
    free(k);
    EXPECT_EQ(fds, count_open_fds());
    void *p = memkind_malloc(ref, 100);
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(ref, memkind_detect_kind(p));
    memkind_free(ref, p);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(ref));
}

class SeedMmap : public ::testing::TestWithParam<const char *>
{};

TEST_P(SeedMmap, MapsReservedSpaceOfTheKindsFile)
{
    const char *dir = strcmp(GetParam(), "TESTDIR") == 0 ? test_dir() : GetParam();
    PmemKind k(dir, 32 * MiB);
    ASSERT_EQ(0, k.err);
    struct stat st;
    ASSERT_EQ(0, fstat(P(k)->fd, &st));
    std::vector<std::pair<void *, size_t>> maps;
    size_t cur = P(k)->current_size;
    const size_t sizes[] = {2 * MiB, 4 * MiB, 2 * MiB};
    for (size_t size : sizes) {
        void *m = memkind_pmem_mmap(k, nullptr, size);
        ASSERT_NE(MAP_FAILED, m) << size;
        ASSERT_NE(nullptr, m);
        EXPECT_EQ(cur + size, P(k)->current_size) << "current_size grows by the mapped size";
        cur = P(k)->current_size;
        std::string perms;
        unsigned long off = 0, ino = 0, len = 0;
        ASSERT_TRUE(mapping_of(m, perms, off, ino, len));
        EXPECT_EQ(st.st_ino, (ino_t)ino) << "the mapping is of the kind's file";
        EXPECT_EQ('s', perms[3]) << "shared mapping: " << perms;
        EXPECT_EQ("rw", perms.substr(0, 2));
        // The file space is reserved before mmap returns: the file is at least as long as the mapping's end and
        // has blocks for it (posix_fallocate), so writing all of it cannot SIGBUS.
        ASSERT_EQ(0, fstat(P(k)->fd, &st));
        EXPECT_GE((unsigned long)st.st_size, off + size);
        EXPECT_GE((unsigned long)st.st_blocks * 512, (unsigned long)size);
        memset(m, 0xcd, size);
        maps.push_back({m, size});
    }
    // Two mappings never share file offsets: what was written to the first is still there.
    for (auto &m : maps) {
        const unsigned char *b = static_cast<const unsigned char *>(m.first);
        EXPECT_EQ(0xcd, b[0]);
        EXPECT_EQ(0xcd, b[m.second - 1]);
    }
    // 8 of 32 MiB mapped: 24 MiB more fits, then the limit.
    void *big = memkind_pmem_mmap(k, nullptr, 24 * MiB);
    ASSERT_NE(MAP_FAILED, big);
    EXPECT_EQ(32 * MiB, P(k)->current_size);
    maps.push_back({big, 24 * MiB});
    EXPECT_EQ(MAP_FAILED, memkind_pmem_mmap(k, nullptr, 2 * MiB)) << "over max_size";
    EXPECT_EQ(32 * MiB, P(k)->current_size) << "a refused mmap reserves nothing";
    for (auto &m : maps) EXPECT_EQ(0, munmap(m.first, m.second));
}

TEST_P(SeedMmap, OverMaxSizeIsMapFailed)
{
    const char *dir = strcmp(GetParam(), "TESTDIR") == 0 ? test_dir() : GetParam();
    PmemKind k(dir, 16 * MiB);
    ASSERT_EQ(0, k.err);
    size_t cur = P(k)->current_size;
    EXPECT_EQ(MAP_FAILED, memkind_pmem_mmap(k, nullptr, 18 * MiB));
    EXPECT_EQ(cur, P(k)->current_size);
    // The kind still allocates normally.
    void *p = memkind_malloc(k, 1 * MiB);
    EXPECT_NE(nullptr, p);
    memkind_free(k, p);
}

INSTANTIATE_TEST_SUITE_P(Dirs, SeedMmap, ::testing::Values("TESTDIR", "/dev/shm"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                             return std::string(i.index == 0 ? "TestDir" : "DevShm");
                         });
