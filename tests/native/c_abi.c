/* Plain C11 check of the header and the ABI, compiled with -std=c11 -Wall -Wextra -Werror -pedantic against the
 * memkind.h under test and linked with its library.
 *  - Compile time: every function and data symbol of memkind 1.14's public API (memkind.h and memkind_memtier.h) is
 *    redeclared here with its 1.14 type
 *    (a C compiler rejects a redeclaration with an incompatible type), and every constant is checked.
 *  - Run time: the data symbols are read before the first call into the library, then a few calls.
 * Prints "PASS name" or "FAIL name: why" per check; run.sh turns the lines into JUnit test cases. */
#define _GNU_SOURCE
#include <memkind.h>
#include <memkind_memtier.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/* ---- the 28 public functions with memkind 1.14's types ---------------------------------------------------------- */
struct memkind_config *memkind_config_new(void);
void memkind_config_delete(struct memkind_config *cfg);
void memkind_config_set_path(struct memkind_config *cfg, const char *pmem_dir);
void memkind_config_set_size(struct memkind_config *cfg, size_t pmem_size);
void memkind_config_set_memory_usage_policy(struct memkind_config *cfg, memkind_mem_usage_policy policy);
int memkind_create_kind(memkind_memtype_t memtype_flags, memkind_policy_t policy, memkind_bits_t flags,
                        memkind_t *kind);
int memkind_destroy_kind(memkind_t kind);
memkind_t memkind_detect_kind(void *ptr);
int memkind_get_version();
void memkind_error_message(int err, char *msg, size_t size);
int memkind_create_pmem(const char *dir, size_t max_size, memkind_t *kind);
int memkind_create_pmem_with_config(struct memkind_config *cfg, memkind_t *kind);
int memkind_create_fixed(void *addr, size_t size, memkind_t *kind);
int memkind_check_available(memkind_t kind);
ssize_t memkind_get_capacity(memkind_t kind);
int memkind_update_cached_stats(void);
int memkind_get_stat(memkind_t kind, memkind_stat_type stat, size_t *value);
int memkind_stats_print(void (*write_cb)(void *, const char *), void *cbopaque, memkind_stat_print_opt opts);
void *memkind_malloc(memkind_t kind, size_t size);
size_t memkind_malloc_usable_size(memkind_t kind, void *ptr);
void *memkind_calloc(memkind_t kind, size_t num, size_t size);
int memkind_posix_memalign(memkind_t kind, void **memptr, size_t alignment, size_t size);
void *memkind_realloc(memkind_t kind, void *ptr, size_t size);
void memkind_free(memkind_t kind, void *ptr);
void *memkind_defrag_reallocate(memkind_t kind, void *ptr);
int memkind_check_dax_path(const char *pmem_dir);
int memkind_set_bg_threads(bool state);
int memkind_get_kind_by_partition(int partition, memkind_t *kind);

/* ---- the 17 memtier functions of memkind_memtier.h (memtier_free is static inline there) ------------------------ */
struct memtier_builder *memtier_builder_new(memtier_policy_t policy);
void memtier_builder_delete(struct memtier_builder *builder);
int memtier_builder_add_tier(struct memtier_builder *builder, memkind_t kind, unsigned kind_ratio);
struct memtier_memory *memtier_builder_construct_memtier_memory(struct memtier_builder *builder);
void memtier_delete_memtier_memory(struct memtier_memory *memory);
void *memtier_malloc(struct memtier_memory *memory, size_t size);
void *memtier_kind_malloc(memkind_t kind, size_t size);
void *memtier_calloc(struct memtier_memory *memory, size_t num, size_t size);
void *memtier_kind_calloc(memkind_t kind, size_t num, size_t size);
void *memtier_realloc(struct memtier_memory *memory, void *ptr, size_t size);
void *memtier_kind_realloc(memkind_t kind, void *ptr, size_t size);
int memtier_posix_memalign(struct memtier_memory *memory, void **memptr, size_t alignment, size_t size);
int memtier_kind_posix_memalign(memkind_t kind, void **memptr, size_t alignment, size_t size);
size_t memtier_usable_size(void *ptr);
void memtier_kind_free(memkind_t kind, void *ptr);
size_t memtier_kind_allocated_size(memkind_t kind);
int memtier_ctl_set(struct memtier_builder *builder, const char *name, const void *val);

/* ---- the 26 data symbols ---------------------------------------------------------------------------------------- */
extern memkind_t MEMKIND_REGULAR, MEMKIND_DEFAULT, MEMKIND_HUGETLB, MEMKIND_HBW, MEMKIND_HBW_ALL,
    MEMKIND_HBW_PREFERRED, MEMKIND_HBW_HUGETLB, MEMKIND_HBW_ALL_HUGETLB, MEMKIND_HBW_PREFERRED_HUGETLB,
    MEMKIND_HBW_INTERLEAVE, MEMKIND_INTERLEAVE, MEMKIND_DAX_KMEM, MEMKIND_DAX_KMEM_ALL, MEMKIND_DAX_KMEM_PREFERRED,
    MEMKIND_DAX_KMEM_INTERLEAVE, MEMKIND_HIGHEST_CAPACITY, MEMKIND_HIGHEST_CAPACITY_PREFERRED,
    MEMKIND_HIGHEST_CAPACITY_LOCAL, MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED, MEMKIND_LOWEST_LATENCY_LOCAL,
    MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED, MEMKIND_HIGHEST_BANDWIDTH_LOCAL,
    MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED, MEMKIND_HBW_GBTLB, MEMKIND_HBW_PREFERRED_GBTLB, MEMKIND_GBTLB;

/* ---- constants ---------------------------------------------------------------------------------------------------- */
#define EQ(a, b) _Static_assert((long long)(a) == (long long)(b), #a " == " #b)
EQ(MEMKIND_SUCCESS, 0);
EQ(MEMKIND_ERROR_UNAVAILABLE, -1);
EQ(MEMKIND_ERROR_MBIND, -2);
EQ(MEMKIND_ERROR_MMAP, -3);
EQ(MEMKIND_ERROR_MALLOC, -6);
EQ(MEMKIND_ERROR_ENVIRON, -12);
EQ(MEMKIND_ERROR_INVALID, -13);
EQ(MEMKIND_ERROR_TOOMANY, -15);
EQ(MEMKIND_ERROR_BADOPS, -17);
EQ(MEMKIND_ERROR_HUGETLB, -18);
EQ(MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, -20);
EQ(MEMKIND_ERROR_OPERATION_FAILED, -21);
EQ(MEMKIND_ERROR_ARENAS_CREATE, -22);
EQ(MEMKIND_ERROR_RUNTIME, -255);
EQ(MEMKIND_MAX_KIND, 512);
EQ(MEMKIND_ERROR_MESSAGE_SIZE, 128);
EQ(MEMKIND_PMEM_MIN_SIZE, 16 * 1024 * 1024);
EQ(MEMKIND_MEM_USAGE_POLICY_DEFAULT, 0);
EQ(MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE, 1);
EQ(MEMKIND_MEM_USAGE_POLICY_MAX_VALUE, 2);
EQ(MEMKIND_STAT_TYPE_RESIDENT, 0);
EQ(MEMKIND_STAT_TYPE_ACTIVE, 1);
EQ(MEMKIND_STAT_TYPE_ALLOCATED, 2);
EQ(MEMKIND_STAT_TYPE_MAX_VALUE, 3);
EQ(MEMKIND_STAT_PRINT_ALL, 0);
EQ(MEMKIND_STAT_PRINT_JSON_FORMAT, 1);
EQ(MEMKIND_STAT_PRINT_OMIT_GENERAL, 2);
EQ(MEMKIND_STAT_PRINT_OMIT_MERGED_ARENA, 4);
EQ(MEMKIND_STAT_PRINT_OMIT_DESTROYED_MERGED_ARENA, 8);
EQ(MEMKIND_STAT_PRINT_OMIT_PER_ARENA, 16);
EQ(MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_BINS, 32);
EQ(MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_LARGE, 64);
EQ(MEMKIND_STAT_PRINT_OMIT_MUTEX, 128);
EQ(MEMKIND_STAT_PRINT_OMIT_EXTENT, 256);
EQ(MEMKIND_MEMTYPE_DEFAULT, 1);
EQ(MEMKIND_MEMTYPE_HIGH_BANDWIDTH, 2);
EQ(MEMKIND_POLICY_BIND_LOCAL, 0);
EQ(MEMKIND_POLICY_BIND_ALL, 1);
EQ(MEMKIND_POLICY_PREFERRED_LOCAL, 2);
EQ(MEMKIND_POLICY_INTERLEAVE_LOCAL, 3);
EQ(MEMKIND_POLICY_INTERLEAVE_ALL, 4);
EQ(MEMKIND_POLICY_MAX_VALUE, 5);
EQ(MEMKIND_MASK_PAGE_SIZE_2MB, 21);
EQ(MEMKIND_PARTITION_DEFAULT, 0);
EQ(MEMKIND_PARTITION_REGULAR, 11);
EQ(MEMKIND_PARTITION_HIGHEST_BANDWIDTH_LOCAL_PREFERRED, 25);
EQ(MEMKIND_NUM_BASE_KIND, 26);
EQ(sizeof(memkind_mem_usage_policy), sizeof(int));
EQ(sizeof(memkind_stat_type), sizeof(int));
EQ(sizeof(memkind_stat_print_opt), sizeof(int));
EQ(sizeof(memkind_memtype_t), sizeof(int));
EQ(sizeof(memkind_policy_t), sizeof(int));
EQ(sizeof(memkind_bits_t), sizeof(int));
EQ(sizeof(memkind_t), sizeof(void *));
EQ(MEMTIER_POLICY_STATIC_RATIO, 0);
EQ(MEMTIER_POLICY_DYNAMIC_THRESHOLD, 1);
EQ(MEMTIER_POLICY_MAX_VALUE, 2);
EQ(sizeof(memtier_policy_t), sizeof(int));

static int failures;

static void check(int ok, const char *name, const char *why)
{
    if (ok) printf("PASS %s\n", name);
    else {
        printf("FAIL %s: %s\n", name, why);
        failures++;
    }
}

static const char *first_name_before_call;

int main(void)
{
    /* Before any call: the data symbols are load-time values pointing at kinds whose name field is set. */
    memkind_t before[26] = {MEMKIND_REGULAR, MEMKIND_DEFAULT, MEMKIND_HUGETLB, MEMKIND_HBW, MEMKIND_HBW_ALL,
                            MEMKIND_HBW_PREFERRED, MEMKIND_HBW_HUGETLB, MEMKIND_HBW_ALL_HUGETLB,
                            MEMKIND_HBW_PREFERRED_HUGETLB, MEMKIND_HBW_INTERLEAVE, MEMKIND_INTERLEAVE,
                            MEMKIND_DAX_KMEM, MEMKIND_DAX_KMEM_ALL, MEMKIND_DAX_KMEM_PREFERRED,
                            MEMKIND_DAX_KMEM_INTERLEAVE, MEMKIND_HIGHEST_CAPACITY, MEMKIND_HIGHEST_CAPACITY_PREFERRED,
                            MEMKIND_HIGHEST_CAPACITY_LOCAL, MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED,
                            MEMKIND_LOWEST_LATENCY_LOCAL, MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED,
                            MEMKIND_HIGHEST_BANDWIDTH_LOCAL, MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED,
                            MEMKIND_HBW_GBTLB, MEMKIND_HBW_PREFERRED_GBTLB, MEMKIND_GBTLB};
    int nonnull = 1, distinct = 1;
    for (int i = 0; i < 26; i++) {
        if (!before[i]) nonnull = 0;
        for (int j = 0; j < i; j++)
            if (before[i] == before[j]) distinct = 0;
    }
    check(nonnull, "c_data_symbols_set_before_first_call", "a MEMKIND_* pointer is NULL before the first call");
    check(distinct, "c_data_symbols_distinct", "two MEMKIND_* pointers are equal");
    /* struct memkind: name[64] at offset 12 */
    first_name_before_call = MEMKIND_DEFAULT ? (const char *)MEMKIND_DEFAULT + 12 : "";
    check(strcmp(first_name_before_call, "memkind_default") == 0, "c_default_kind_name_before_first_call",
          "MEMKIND_DEFAULT->name is not \"memkind_default\" before the first call");

    /* Calls, from C. */
    check(memkind_get_version() == 1014000, "c_version", "memkind_get_version() != 1014000");
    memkind_t kind = NULL;
    int err = memkind_create_pmem("/tmp", 0, &kind);
    check(err == 0 && kind, "c_create_pmem", "memkind_create_pmem(\"/tmp\", 0) failed");
    if (kind) {
        char *p = memkind_malloc(kind, 100);
        check(p && memkind_detect_kind(p) == kind, "c_malloc_detect", "malloc/detect on the new kind");
        if (p) {
            memset(p, 1, 100);
            check(memkind_malloc_usable_size(kind, p) >= 100, "c_usable_size", "usable size < 100");
        }
        memkind_free(NULL, p);
        check(memkind_destroy_kind(kind) == 0, "c_destroy", "memkind_destroy_kind != 0");
    }
    errno = 0;
    err = memkind_create_pmem("/nonexistent-memkinds-c", 0, &kind);
    check(err == MEMKIND_ERROR_INVALID && errno == ENOENT, "c_create_pmem_enoent",
          "nonexistent directory: not MEMKIND_ERROR_INVALID with ENOENT");
    char msg[MEMKIND_ERROR_MESSAGE_SIZE];
    memkind_error_message(MEMKIND_ERROR_INVALID, msg, sizeof msg);
    check(strncmp(msg, "<memkind>", 9) == 0, "c_error_message", "message does not start with <memkind>");
    memkind_t k0 = NULL;
    check(memkind_get_kind_by_partition(0, &k0) == 0 && k0 == MEMKIND_DEFAULT, "c_get_kind_by_partition",
          "partition 0 is not MEMKIND_DEFAULT");
    struct memkind_config *cfg = memkind_config_new();
    check(cfg != NULL, "c_config_new", "memkind_config_new returned NULL");
    memkind_config_set_path(cfg, "/dev/shm");
    memkind_config_set_size(cfg, 32 << 20);
    memkind_config_set_memory_usage_policy(cfg, MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
    kind = NULL;
    check(memkind_create_pmem_with_config(cfg, &kind) == 0 && kind, "c_create_pmem_with_config", "failed");
    memkind_config_delete(cfg);
    if (kind) memkind_destroy_kind(kind);

    /* memtier from C: a 1:1 memory over MEMKIND_DEFAULT and a pmem kind, the inline memtier_free. */
    kind = NULL;
    struct memtier_builder *builder = memtier_builder_new(MEMTIER_POLICY_STATIC_RATIO);
    struct memtier_memory *memory = NULL;
    if (builder && memkind_create_pmem("/tmp", 0, &kind) == 0 && memtier_builder_add_tier(builder, MEMKIND_DEFAULT, 1) == 0
        && memtier_builder_add_tier(builder, kind, 1) == 0)
        memory = memtier_builder_construct_memtier_memory(builder);
    check(memory != NULL, "c_memtier_construct", "building a STATIC_RATIO memory of two tiers failed");
    if (builder) memtier_builder_delete(builder);
    if (memory) {
        void *a = memtier_malloc(memory, 65536), *b = memtier_malloc(memory, 65536);
        check(a && b && memkind_detect_kind(a) != memkind_detect_kind(b), "c_memtier_two_tiers",
              "two 64 KiB blocks of a 1:1 memory are not in different tiers");
        check(memtier_kind_allocated_size(MEMKIND_DEFAULT) + memtier_kind_allocated_size(kind)
                  == memtier_usable_size(a) + memtier_usable_size(b),
              "c_memtier_allocated_size", "the tiers' counts are not the blocks' usable sizes");
        memtier_free(a);
        memtier_free(b);
        check(memtier_kind_allocated_size(MEMKIND_DEFAULT) + memtier_kind_allocated_size(kind) == 0, "c_memtier_free",
              "the counts are not 0 after memtier_free");
        memtier_delete_memtier_memory(memory);
    }
    if (kind) memkind_destroy_kind(kind);
    return failures ? 1 : 0;
}
