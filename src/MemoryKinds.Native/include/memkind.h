/*
 * memkind.h - the public C API of memkind 1.14, as served by MemoryKinds' libmemkind.so.0.
 *
 * Written for MemoryKinds; declaration for declaration and value for value it matches memkind 1.14.0's public
 * header, so programs built against either run on either library. Kinds are opaque here: the layout of
 * struct memkind and of a pmem kind's private data is described in docs/design.md (section "The C ABI").
 */
#pragma once
#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifndef MEMKIND_MALLOC_USABLE_SIZE_CONST
#define MEMKIND_MALLOC_USABLE_SIZE_CONST
#endif

/* Memory types for memkind_create_kind (bit flags). */
typedef enum memkind_memtype_t {
    MEMKIND_MEMTYPE_DEFAULT = 1ull << 0,        /* ordinary DRAM */
    MEMKIND_MEMTYPE_HIGH_BANDWIDTH = 1ull << 1, /* high-bandwidth memory */
} memkind_memtype_t;

/* Placement policies for memkind_create_kind. */
typedef enum memkind_policy_t {
    MEMKIND_POLICY_BIND_LOCAL = 0,
    MEMKIND_POLICY_BIND_ALL,
    MEMKIND_POLICY_PREFERRED_LOCAL,
    MEMKIND_POLICY_INTERLEAVE_LOCAL,
    MEMKIND_POLICY_INTERLEAVE_ALL,
    MEMKIND_POLICY_MAX_VALUE
} memkind_policy_t;

/* Flags for memkind_create_kind: bits 0-7 hold log2 of the page size (0 = the default page size). */
typedef enum memkind_bits_t {
    MEMKIND_MASK_PAGE_SIZE_2MB = 21ull,
} memkind_bits_t;

/* A kind: returned by the create calls and the MEMKIND_* globals, passed to every allocation call. */
typedef struct memkind *memkind_t;

enum memkind_const {
    MEMKIND_MAX_KIND = 512,                       /* memkind's limit of live kinds (MemoryKinds has none) */
    MEMKIND_ERROR_MESSAGE_SIZE = 128,             /* buffer size that holds any memkind_error_message text */
    MEMKIND_PMEM_MIN_SIZE = (1024 * 1024 * 16),   /* smallest non-zero max_size of a pmem kind */
};

/* Status codes. */
enum {
    MEMKIND_SUCCESS = 0,
    MEMKIND_ERROR_UNAVAILABLE = -1,           /* the kind is not available on this machine */
    MEMKIND_ERROR_MBIND = -2,
    MEMKIND_ERROR_MMAP = -3,
    MEMKIND_ERROR_MALLOC = -6,
    MEMKIND_ERROR_ENVIRON = -12,
    MEMKIND_ERROR_INVALID = -13,              /* an argument is invalid */
    MEMKIND_ERROR_TOOMANY = -15,
    MEMKIND_ERROR_BADOPS = -17,
    MEMKIND_ERROR_HUGETLB = -18,
    MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE = -20,
    MEMKIND_ERROR_OPERATION_FAILED = -21,
    MEMKIND_ERROR_ARENAS_CREATE = -22,        /* the kind's heap could not be created */
    MEMKIND_ERROR_RUNTIME = -255,
};

/* How eagerly a pmem kind gives freed file space back. */
typedef enum memkind_mem_usage_policy {
    MEMKIND_MEM_USAGE_POLICY_DEFAULT = 0,      /* speed first: space goes back a few seconds after it is freed */
    MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE = 1, /* space first: an emptied page's space goes back before free returns */
    MEMKIND_MEM_USAGE_POLICY_MAX_VALUE
} memkind_mem_usage_policy;

/* Figures for memkind_get_stat. */
typedef enum memkind_stat_type {
    MEMKIND_STAT_TYPE_RESIDENT = 0,  /* bytes backed by storage now */
    MEMKIND_STAT_TYPE_ACTIVE = 1,    /* bytes of the pages that hold blocks */
    MEMKIND_STAT_TYPE_ALLOCATED = 2, /* bytes of the blocks allocated now */
    MEMKIND_STAT_TYPE_MAX_VALUE
} memkind_stat_type;

/* Options for memkind_stats_print (bit flags). */
typedef enum memkind_stat_print_opt {
    MEMKIND_STAT_PRINT_ALL = 0,
    MEMKIND_STAT_PRINT_JSON_FORMAT = 1U << 0,
    MEMKIND_STAT_PRINT_OMIT_GENERAL = 1U << 1,
    MEMKIND_STAT_PRINT_OMIT_MERGED_ARENA = 1U << 2,
    MEMKIND_STAT_PRINT_OMIT_DESTROYED_MERGED_ARENA = 1U << 3,
    MEMKIND_STAT_PRINT_OMIT_PER_ARENA = 1U << 4,
    MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_BINS = 1U << 5,
    MEMKIND_STAT_PRINT_OMIT_PER_SIZE_CLASS_LARGE = 1U << 6,
    MEMKIND_STAT_PRINT_OMIT_MUTEX = 1U << 7,
    MEMKIND_STAT_PRINT_OMIT_EXTENT = 1U << 8,
} memkind_stat_print_opt;

/* ---- configuration of a pmem kind: {const char *pmem_dir; size_t pmem_size; memkind_mem_usage_policy policy;} */
struct memkind_config;

/* A new configuration (malloc'ed; NULL when out of memory). Free it with memkind_config_delete. */
struct memkind_config *memkind_config_new(void);
void memkind_config_delete(struct memkind_config *cfg);
/* The directory of the kind's file; the string is referenced, not copied. */
void memkind_config_set_path(struct memkind_config *cfg, const char *pmem_dir);
/* The most file space the kind may use: 0 for no limit but the file system, else at least MEMKIND_PMEM_MIN_SIZE. */
void memkind_config_set_size(struct memkind_config *cfg, size_t pmem_size);
void memkind_config_set_memory_usage_policy(struct memkind_config *cfg, memkind_mem_usage_policy policy);

/* ---- kinds */
/* A static kind for a memory type, policy and flags; MEMKIND_ERROR_INVALID or _MEMTYPE_NOT_AVAILABLE on failure. */
int memkind_create_kind(memkind_memtype_t memtype_flags, memkind_policy_t policy, memkind_bits_t flags,
                        memkind_t *kind);
/* Destroys a created kind and everything allocated in it; 0 on success. */
int memkind_destroy_kind(memkind_t kind);
/* The kind that owns ptr; NULL for NULL. */
memkind_t memkind_detect_kind(void *ptr);

#include "memkind_deprecated.h"

/* The static kinds. */
extern memkind_t MEMKIND_REGULAR;
extern memkind_t MEMKIND_DEFAULT;
extern memkind_t MEMKIND_HUGETLB;
extern memkind_t MEMKIND_HBW;
extern memkind_t MEMKIND_HBW_ALL;
extern memkind_t MEMKIND_HBW_PREFERRED;
extern memkind_t MEMKIND_HBW_HUGETLB;
extern memkind_t MEMKIND_HBW_ALL_HUGETLB;
extern memkind_t MEMKIND_HBW_PREFERRED_HUGETLB;
extern memkind_t MEMKIND_HBW_INTERLEAVE;
extern memkind_t MEMKIND_INTERLEAVE;
extern memkind_t MEMKIND_DAX_KMEM;
extern memkind_t MEMKIND_DAX_KMEM_ALL;
extern memkind_t MEMKIND_DAX_KMEM_PREFERRED;
extern memkind_t MEMKIND_DAX_KMEM_INTERLEAVE;
extern memkind_t MEMKIND_HIGHEST_CAPACITY;
extern memkind_t MEMKIND_HIGHEST_CAPACITY_PREFERRED;
extern memkind_t MEMKIND_HIGHEST_CAPACITY_LOCAL;
extern memkind_t MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED;
extern memkind_t MEMKIND_LOWEST_LATENCY_LOCAL;
extern memkind_t MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED;
extern memkind_t MEMKIND_HIGHEST_BANDWIDTH_LOCAL;
extern memkind_t MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED;

/* ---- miscellaneous */
/* major * 1000000 + minor * 1000 + patch: 1014000. */
int memkind_get_version();
/* The text of a status code, written into msg (at most size bytes, NUL-terminated). */
void memkind_error_message(int err, char *msg, size_t size);

/* ---- file-backed (pmem) kinds */
/* A kind whose memory lives in a temporary file in dir (max_size 0: no limit but the file system). */
int memkind_create_pmem(const char *dir, size_t max_size, memkind_t *kind);
int memkind_create_pmem_with_config(struct memkind_config *cfg, memkind_t *kind);
/* A kind over [addr, addr + size), memory the caller owns and keeps mapped while the kind lives. */
int memkind_create_fixed(void *addr, size_t size, memkind_t *kind);
/* 0 if the kind can allocate on this machine, else a MEMKIND_ERROR_* code. */
int memkind_check_available(memkind_t kind);
/* The bytes the kind can hold at most; -1 when it cannot tell. */
ssize_t memkind_get_capacity(memkind_t kind);

/* ---- statistics */
int memkind_update_cached_stats(void);
/* One figure of a kind, or of all kinds together for a NULL kind. */
int memkind_get_stat(memkind_t kind, memkind_stat_type stat, size_t *value);
/* Hands a report of every kind to write_cb (standard error when NULL). */
int memkind_stats_print(void (*write_cb)(void *, const char *), void *cbopaque, memkind_stat_print_opt opts);

/* ---- heap */
/* size bytes of the kind; NULL with errno ENOMEM when it is full, NULL for size 0. */
void *memkind_malloc(memkind_t kind, size_t size);
/* The usable size of a block (kind NULL: find the owner). */
size_t memkind_malloc_usable_size(memkind_t kind, MEMKIND_MALLOC_USABLE_SIZE_CONST void *ptr);
/* num * size zeroed bytes; NULL with errno ENOMEM when full or when the product overflows. */
void *memkind_calloc(memkind_t kind, size_t num, size_t size);
/* An aligned block in *memptr; returns 0, EINVAL (alignment not a power of two multiple of sizeof(void *)) or ENOMEM. */
int memkind_posix_memalign(memkind_t kind, void **memptr, size_t alignment, size_t size);
/* Resizes a block (ptr NULL: malloc; size 0: free and return NULL; kind NULL: find the owner). */
void *memkind_realloc(memkind_t kind, void *ptr, size_t size);
/* Frees a block (kind NULL: find the owner; ptr NULL: nothing). */
void memkind_free(memkind_t kind, void *ptr);
/* Moves a block out of a sparsely used page; the new pointer, or NULL when it stays (kind NULL: find the owner). */
void *memkind_defrag_reallocate(memkind_t kind, void *ptr);
/* 0 if pmem_dir is on a DAX file system, MEMKIND_ERROR_MMAP if not, MEMKIND_ERROR_RUNTIME if no file can be made there. */
int memkind_check_dax_path(const char *pmem_dir);
/* Background purging is always on in MemoryKinds; both states return 0. */
int memkind_set_bg_threads(bool state);

#ifdef __cplusplus
}
#endif
