// The 26 static kinds: data symbols, partitions and names, memkind_check_available, memkind_get_capacity, and
// allocation on unavailable ones. Expectations are what Debian's libmemkind 1.14 returns on a machine without
// huge pages, high-bandwidth memory or DAX KMEM nodes (this one); the test refuses to run its table elsewhere.
#include "common.h"

#include <fstream>
#include <glob.h>

struct StaticKind {
    const char *symbol;
    memkind_t *kind;
    int partition;
    int available; // memkind_check_available on this machine
    int capacity;  // 1: total NUMA memory, 0: 0 (hugetlb pool, none configured), -1: -1 (not supported)
};

#define SK(name, avail, cap) {"MEMKIND_" #name, &MEMKIND_##name, MEMKIND_PARTITION_##name, avail, cap}

static const StaticKind kStatic[] = {
    SK(DEFAULT, 0, 1),
    SK(REGULAR, 0, 1),
    SK(HUGETLB, MEMKIND_ERROR_HUGETLB, 0),
    SK(INTERLEAVE, 0, 1),
    SK(HBW, MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, -1),
    SK(HBW_ALL, MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, -1),
    SK(HBW_PREFERRED, MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, -1),
    SK(HBW_HUGETLB, MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, -1),
    SK(HBW_ALL_HUGETLB, MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, -1),
    SK(HBW_PREFERRED_HUGETLB, MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, -1),
    SK(HBW_INTERLEAVE, MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, -1),
    SK(HBW_GBTLB, MEMKIND_ERROR_HUGETLB, -1),
    SK(HBW_PREFERRED_GBTLB, MEMKIND_ERROR_HUGETLB, -1),
    SK(GBTLB, MEMKIND_ERROR_HUGETLB, 0),
    SK(DAX_KMEM, MEMKIND_ERROR_UNAVAILABLE, -1),
    SK(DAX_KMEM_ALL, MEMKIND_ERROR_UNAVAILABLE, -1),
    SK(DAX_KMEM_PREFERRED, MEMKIND_ERROR_UNAVAILABLE, -1),
    SK(DAX_KMEM_INTERLEAVE, MEMKIND_ERROR_UNAVAILABLE, -1),
    SK(HIGHEST_CAPACITY, 0, 1),
    SK(HIGHEST_CAPACITY_PREFERRED, 0, -1),
    SK(HIGHEST_CAPACITY_LOCAL, 0, 1),
    SK(HIGHEST_CAPACITY_LOCAL_PREFERRED, 0, -1),
    SK(LOWEST_LATENCY_LOCAL, MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, -1),
    SK(LOWEST_LATENCY_LOCAL_PREFERRED, MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, -1),
    SK(HIGHEST_BANDWIDTH_LOCAL, MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, -1),
    SK(HIGHEST_BANDWIDTH_LOCAL_PREFERRED, MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, -1),
};

static long read_long(const char *path)
{
    std::ifstream f(path);
    long v = -1;
    f >> v;
    return v;
}

// Sum of MemTotal of /sys/devices/system/node/node*: what numa_node_size64 reports per node.
static long long numa_total_bytes()
{
    glob_t g;
    long long total = 0;
    if (glob("/sys/devices/system/node/node[0-9]*/meminfo", 0, nullptr, &g) != 0) return -1;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        std::ifstream f(g.gl_pathv[i]);
        std::string line;
        while (std::getline(f, line)) {
            size_t at = line.find("MemTotal:");
            if (at != std::string::npos) total += atoll(line.c_str() + at + 9) * 1024;
        }
    }
    globfree(&g);
    return total;
}

static bool machine_matches_table()
{
    return read_long("/proc/sys/vm/nr_hugepages") == 0 && read_long("/proc/sys/vm/nr_overcommit_hugepages") == 0 &&
           access("/sys/bus/dax/devices/dax0.0", F_OK) != 0;
}

TEST(StaticKinds, TwentySixDistinctDataSymbols)
{
    ASSERT_EQ(26u, sizeof kStatic / sizeof kStatic[0]);
    for (size_t i = 0; i < 26; i++) {
        ASSERT_NE(nullptr, *kStatic[i].kind) << kStatic[i].symbol;
        for (size_t j = 0; j < i; j++) EXPECT_NE(*kStatic[i].kind, *kStatic[j].kind) << kStatic[i].symbol;
    }
}

TEST(StaticKinds, PartitionAndNameFields)
{
    for (const StaticKind &s : kStatic) {
        mk_layout_kind *k = K(*s.kind);
        EXPECT_EQ((unsigned)s.partition, k->partition) << s.symbol;
        EXPECT_NE(nullptr, k->ops) << s.symbol;
        // memkind names them after the symbol in lower case: MEMKIND_HBW_ALL -> "memkind_hbw_all".
        std::string lower = s.symbol;
        for (char &c : lower) c = (char)tolower((unsigned char)c);
        EXPECT_STREQ(lower.c_str(), k->name) << s.symbol;
        memkind_t byp = nullptr;
        EXPECT_EQ(MEMKIND_SUCCESS, memkind_get_kind_by_partition(s.partition, &byp)) << s.symbol;
        EXPECT_EQ(*s.kind, byp) << s.symbol;
    }
}

TEST(StaticKinds, CheckAvailable)
{
    ASSERT_TRUE(machine_matches_table()) << "this machine has huge pages or DAX devices; the table assumes none";
    for (const StaticKind &s : kStatic) EXPECT_EQ(s.available, memkind_check_available(*s.kind)) << s.symbol;
}

TEST(StaticKinds, GetCapacity)
{
    ASSERT_TRUE(machine_matches_table()) << "this machine has huge pages or DAX devices; the table assumes none";
    long long total = numa_total_bytes();
    ASSERT_GT(total, 0);
    for (const StaticKind &s : kStatic) {
        ssize_t expect = s.capacity == 1 ? (ssize_t)total : (ssize_t)s.capacity;
        EXPECT_EQ(expect, memkind_get_capacity(*s.kind)) << s.symbol;
    }
}

TEST(StaticKinds, UnavailableKindsAllocateNothingWithEnomem)
{
    for (const StaticKind &s : kStatic) {
        if (memkind_check_available(*s.kind) == 0) continue;
        memkind_t k = *s.kind;
        errno = 0;
        EXPECT_EQ(nullptr, memkind_malloc(k, 100)) << s.symbol;
        EXPECT_EQ(ENOMEM, errno) << s.symbol << " malloc";
        errno = 0;
        EXPECT_EQ(nullptr, memkind_calloc(k, 10, 10)) << s.symbol;
        EXPECT_EQ(ENOMEM, errno) << s.symbol << " calloc";
        errno = 0;
        EXPECT_EQ(nullptr, memkind_realloc(k, nullptr, 100)) << s.symbol;
        EXPECT_EQ(ENOMEM, errno) << s.symbol << " realloc";
        void *p = (void *)0x1;
        EXPECT_EQ(ENOMEM, memkind_posix_memalign(k, &p, 64, 100)) << s.symbol;
        EXPECT_EQ(nullptr, p) << s.symbol << " posix_memalign sets *memptr to NULL";
    }
}

TEST(StaticKinds, AvailableKindsAllocate)
{
    int n = 0;
    for (const StaticKind &s : kStatic) {
        if (memkind_check_available(*s.kind) != 0) continue;
        n++;
        memkind_t k = *s.kind;
        void *a = memkind_malloc(k, 100), *b = memkind_calloc(k, 10, 10), *c = memkind_realloc(k, nullptr, 100);
        void *d = nullptr;
        EXPECT_EQ(0, memkind_posix_memalign(k, &d, 4096, 100)) << s.symbol;
        ASSERT_TRUE(a && b && c && d) << s.symbol;
        EXPECT_EQ(0u, (uintptr_t)d % 4096) << s.symbol;
        for (int i = 0; i < 100; i++) EXPECT_EQ(0, ((char *)b)[i]) << s.symbol;
        memset(a, 1, 100);
        memset(c, 2, 100);
        memset(d, 3, 100);
        EXPECT_GE(memkind_malloc_usable_size(k, a), 100u);
        memkind_free(k, a);
        memkind_free(k, b);
        memkind_free(nullptr, c);
        memkind_free(k, d);
    }
    EXPECT_EQ(7, n) << "DEFAULT, REGULAR, INTERLEAVE and the four HIGHEST_CAPACITY kinds";
}
