// The 26 static kinds of memkind 1.14 as C data, so that a program can read MEMKIND_DEFAULT and the others before
// its first call into the library (the .NET runtime starts only on the first exported call). Each global is a
// load-time pointer to a 120-byte struct laid out like memkind's `struct memkind`; the managed side finds the
// structs through memkinds_static_kinds() (128-byte slots indexed by memkind's partition numbers).
#include <pthread.h>
#include <stddef.h>

struct memkind {
    void *ops;                   // 0
    unsigned int partition;      // 8
    char name[64];               // 12
    int init_once;               // 76
    unsigned int arena_map_len;  // 80
    unsigned int *arena_map;     // 88
    unsigned int arena_key;      // 96
    void *priv;                  // 104
    unsigned int arena_map_mask; // 112
    unsigned int arena_zero;     // 116
};

_Static_assert(sizeof(struct memkind) == 120, "struct memkind must be 120 bytes, as in memkind 1.14");
_Static_assert(offsetof(struct memkind, name) == 12, "name at 12");
_Static_assert(offsetof(struct memkind, priv) == 104, "priv at 104");
_Static_assert(offsetof(struct memkind, arena_zero) == 116, "arena_zero at 116");

#define EXPORT __attribute__((visibility("default")))

// memkind 1.14's ops table (21 function pointers). The library dispatches on the partition, not through these, but
// programs that read kind->ops find memkind's layout, filled with the library's own entry points.
struct memkind_ops {
    int (*create)(struct memkind *kind, struct memkind_ops *ops, const char *name);
    int (*destroy)(struct memkind *kind);
    void *(*malloc)(struct memkind *kind, size_t size);
    void *(*calloc)(struct memkind *kind, size_t num, size_t size);
    int (*posix_memalign)(struct memkind *kind, void **memptr, size_t alignment, size_t size);
    void *(*realloc)(struct memkind *kind, void *ptr, size_t size);
    void (*free)(struct memkind *kind, void *ptr);
    void *(*mmap)(struct memkind *kind, void *addr, size_t size);
    int (*mbind)(struct memkind *kind, void *ptr, size_t size);
    int (*madvise)(struct memkind *kind, void *addr, size_t size);
    int (*get_mmap_flags)(struct memkind *kind, int *flags);
    int (*get_mbind_mode)(struct memkind *kind, int *mode);
    int (*get_mbind_nodemask)(struct memkind *kind, unsigned long *nodemask, unsigned long maxnode);
    int (*get_arena)(struct memkind *kind, unsigned int *arena, size_t size);
    int (*check_available)(struct memkind *kind);
    void (*init_once)(void);
    int (*finalize)(struct memkind *kind);
    size_t (*malloc_usable_size)(struct memkind *kind, void *ptr);
    int (*update_memory_usage_policy)(struct memkind *kind, int policy);
    int (*get_stat)(struct memkind *kind, int stat, size_t *value);
    void *(*defrag_reallocate)(struct memkind *kind, void *ptr);
};

_Static_assert(sizeof(struct memkind_ops) == 168, "struct memkind_ops must be 168 bytes, as in memkind 1.14");

// The managed entry points (defined by the NativeAOT image this object is linked into).
int memkind_pmem_create(struct memkind *kind, struct memkind_ops *ops, const char *name);
int memkind_pmem_destroy(struct memkind *kind);
void *memkind_pmem_mmap(struct memkind *kind, void *addr, size_t size);
int memkind_pmem_get_mmap_flags(struct memkind *kind, int *flags);
int memkind_destroy_kind(struct memkind *kind);
void *memkind_malloc(struct memkind *kind, size_t size);
void *memkind_calloc(struct memkind *kind, size_t num, size_t size);
int memkind_posix_memalign(struct memkind *kind, void **memptr, size_t alignment, size_t size);
void *memkind_realloc(struct memkind *kind, void *ptr, size_t size);
void memkind_free(struct memkind *kind, void *ptr);
int memkind_check_available(struct memkind *kind);
size_t memkind_malloc_usable_size(struct memkind *kind, void *ptr);
int memkind_get_stat(struct memkind *kind, int stat, size_t *value);
void *memkind_defrag_reallocate(struct memkind *kind, void *ptr);

#define COMMON_OPS                                                                                                    \
    .malloc = memkind_malloc, .calloc = memkind_calloc, .posix_memalign = memkind_posix_memalign,                   \
    .realloc = memkind_realloc, .free = memkind_free, .check_available = memkind_check_available,                   \
    .malloc_usable_size = memkind_malloc_usable_size, .get_stat = memkind_get_stat,                                  \
    .defrag_reallocate = memkind_defrag_reallocate

EXPORT struct memkind_ops MEMKIND_DEFAULT_OPS = {.destroy = memkind_destroy_kind, COMMON_OPS};
EXPORT struct memkind_ops MEMKIND_PMEM_OPS = {.create = memkind_pmem_create, .destroy = memkind_pmem_destroy,
                                              .mmap = memkind_pmem_mmap,
                                              .get_mmap_flags = memkind_pmem_get_mmap_flags, COMMON_OPS};
EXPORT struct memkind_ops MEMKIND_FIXED_OPS = {.destroy = memkind_destroy_kind, COMMON_OPS};

// 0: the default (DRAM) ops, 1: pmem, 2: fixed.
struct memkind_ops *memkinds_ops(int which)
{
    return which == 1 ? &MEMKIND_PMEM_OPS : which == 2 ? &MEMKIND_FIXED_OPS : &MEMKIND_DEFAULT_OPS;
}

// The static kinds sit in one array of 128-byte slots, in partition order, so that the managed side can tell a
// static memkind_t from any other pointer by its address alone, before it reads the struct.
struct kind_slot {
    struct memkind kind;
    char pad[128 - sizeof(struct memkind)];
};

_Static_assert(sizeof(struct kind_slot) == 128, "kind slots are 128 bytes");

#define STATIC_KIND(PARTITION, TEXT) [PARTITION] = {.kind = {.ops = &MEMKIND_DEFAULT_OPS, .partition = PARTITION, .name = TEXT}}

static struct kind_slot s_static_kinds[26] __attribute__((aligned(128))) = {
    STATIC_KIND(0, "memkind_default"),
    STATIC_KIND(1, "memkind_hbw"),
    STATIC_KIND(2, "memkind_hbw_hugetlb"),
    STATIC_KIND(3, "memkind_hbw_preferred"),
    STATIC_KIND(4, "memkind_hbw_preferred_hugetlb"),
    STATIC_KIND(5, "memkind_hugetlb"),
    STATIC_KIND(6, "memkind_hbw_gbtlb"),
    STATIC_KIND(7, "memkind_hbw_preferred_gbtlb"),
    STATIC_KIND(8, "memkind_gbtlb"),
    STATIC_KIND(9, "memkind_hbw_interleave"),
    STATIC_KIND(10, "memkind_interleave"),
    STATIC_KIND(11, "memkind_regular"),
    STATIC_KIND(12, "memkind_hbw_all"),
    STATIC_KIND(13, "memkind_hbw_all_hugetlb"),
    STATIC_KIND(14, "memkind_dax_kmem"),
    STATIC_KIND(15, "memkind_dax_kmem_all"),
    STATIC_KIND(16, "memkind_dax_kmem_preferred"),
    STATIC_KIND(17, "memkind_dax_kmem_interleave"),
    STATIC_KIND(18, "memkind_highest_capacity"),
    STATIC_KIND(19, "memkind_highest_capacity_preferred"),
    STATIC_KIND(20, "memkind_highest_capacity_local"),
    STATIC_KIND(21, "memkind_highest_capacity_local_preferred"),
    STATIC_KIND(22, "memkind_lowest_latency_local"),
    STATIC_KIND(23, "memkind_lowest_latency_local_preferred"),
    STATIC_KIND(24, "memkind_highest_bandwidth_local"),
    STATIC_KIND(25, "memkind_highest_bandwidth_local_preferred"),
};

EXPORT struct memkind *MEMKIND_DEFAULT = &s_static_kinds[0].kind;
EXPORT struct memkind *MEMKIND_HBW = &s_static_kinds[1].kind;
EXPORT struct memkind *MEMKIND_HBW_HUGETLB = &s_static_kinds[2].kind;
EXPORT struct memkind *MEMKIND_HBW_PREFERRED = &s_static_kinds[3].kind;
EXPORT struct memkind *MEMKIND_HBW_PREFERRED_HUGETLB = &s_static_kinds[4].kind;
EXPORT struct memkind *MEMKIND_HUGETLB = &s_static_kinds[5].kind;
EXPORT struct memkind *MEMKIND_HBW_GBTLB = &s_static_kinds[6].kind;
EXPORT struct memkind *MEMKIND_HBW_PREFERRED_GBTLB = &s_static_kinds[7].kind;
EXPORT struct memkind *MEMKIND_GBTLB = &s_static_kinds[8].kind;
EXPORT struct memkind *MEMKIND_HBW_INTERLEAVE = &s_static_kinds[9].kind;
EXPORT struct memkind *MEMKIND_INTERLEAVE = &s_static_kinds[10].kind;
EXPORT struct memkind *MEMKIND_REGULAR = &s_static_kinds[11].kind;
EXPORT struct memkind *MEMKIND_HBW_ALL = &s_static_kinds[12].kind;
EXPORT struct memkind *MEMKIND_HBW_ALL_HUGETLB = &s_static_kinds[13].kind;
EXPORT struct memkind *MEMKIND_DAX_KMEM = &s_static_kinds[14].kind;
EXPORT struct memkind *MEMKIND_DAX_KMEM_ALL = &s_static_kinds[15].kind;
EXPORT struct memkind *MEMKIND_DAX_KMEM_PREFERRED = &s_static_kinds[16].kind;
EXPORT struct memkind *MEMKIND_DAX_KMEM_INTERLEAVE = &s_static_kinds[17].kind;
EXPORT struct memkind *MEMKIND_HIGHEST_CAPACITY = &s_static_kinds[18].kind;
EXPORT struct memkind *MEMKIND_HIGHEST_CAPACITY_PREFERRED = &s_static_kinds[19].kind;
EXPORT struct memkind *MEMKIND_HIGHEST_CAPACITY_LOCAL = &s_static_kinds[20].kind;
EXPORT struct memkind *MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED = &s_static_kinds[21].kind;
EXPORT struct memkind *MEMKIND_LOWEST_LATENCY_LOCAL = &s_static_kinds[22].kind;
EXPORT struct memkind *MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED = &s_static_kinds[23].kind;
EXPORT struct memkind *MEMKIND_HIGHEST_BANDWIDTH_LOCAL = &s_static_kinds[24].kind;
EXPORT struct memkind *MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED = &s_static_kinds[25].kind;

// The slots' base: slot p holds the static kind of partition p (0-25).
struct memkind *memkinds_static_kinds(void)
{
    return &s_static_kinds[0].kind;
}

// fork(): the child has only the forking thread, none of the runtime's, and the heaps' file mappings are
// MADV_DONTFORK, so managed code must not allocate there. The child handler raises a flag that every entry point
// checks before it touches a heap; the call then fails cleanly instead of crashing or hanging.
static int s_forked_child;

static void mark_forked_child(void)
{
    s_forked_child = 1;
}

__attribute__((constructor)) static void install_fork_handler(void)
{
    pthread_atfork(NULL, NULL, mark_forked_child);
}

const int *memkinds_forked_child_flag(void)
{
    return &s_forked_child;
}
