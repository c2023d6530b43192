/*
 * memkind_memtier.h - memkind 1.14's memory tiering API (libmemtier), as served by MemoryKinds' libmemkind.so.0.
 *
 * Written for MemoryKinds; declaration for declaration it matches memkind 1.14.0's memkind_memtier.h, so programs
 * built against either header run on either library. A memtier memory places each allocation in one of its tiers
 * (kinds) by a policy; here it is a MemoryKinds TieredMemory (docs/design.md, sections "The C ABI" and "Tiered
 * memory" say how the calls map and where placement differs from memkind's).
 */
#pragma once
#ifdef __cplusplus
extern "C" {
#endif

#include <memkind.h>
#include <stdlib.h>

/* Opaque: made by memtier_builder_new and memtier_builder_construct_memtier_memory. */
struct memtier_builder;
struct memtier_memory;

/* How a memtier memory picks the tier of an allocation. */
typedef enum memtier_policy_t {
    MEMTIER_POLICY_STATIC_RATIO = 0,      /* keep the tiers' bytes in the proportion of their ratios */
    MEMTIER_POLICY_DYNAMIC_THRESHOLD = 1, /* size thresholds between adjacent tiers, moved to keep the ratios */
    MEMTIER_POLICY_MAX_VALUE
} memtier_policy_t;

/* ---- building a memtier memory ---- */

/* A new builder for the policy; NULL for an unknown policy. */
struct memtier_builder *memtier_builder_new(memtier_policy_t policy);

/* Frees a builder (memories constructed from it stay). */
void memtier_builder_delete(struct memtier_builder *builder);

/* Adds a tier: kind with its ratio (the tiers' bytes are meant to be in the proportion of the ratios). 0 on success. */
int memtier_builder_add_tier(struct memtier_builder *builder, memkind_t kind, unsigned kind_ratio);

/* A memtier memory with the builder's tiers and settings; NULL when they do not make one. */
struct memtier_memory *memtier_builder_construct_memtier_memory(struct memtier_builder *builder);

/* Frees a memtier memory; its blocks stay valid and are freed with memtier_free. */
void memtier_delete_memtier_memory(struct memtier_memory *memory);

/* ---- allocating: in the tier the memory's policy picks (memtier_*), or in a given kind (memtier_kind_*) ---- */

void *memtier_malloc(struct memtier_memory *memory, size_t size);
void *memtier_kind_malloc(memkind_t kind, size_t size);

void *memtier_calloc(struct memtier_memory *memory, size_t num, size_t size);
void *memtier_kind_calloc(memkind_t kind, size_t num, size_t size);

/* Resizes within the block's tier; a NULL ptr allocates, size 0 frees. */
void *memtier_realloc(struct memtier_memory *memory, void *ptr, size_t size);
void *memtier_kind_realloc(memkind_t kind, void *ptr, size_t size);

/* alignment: a power of two and a multiple of sizeof(void *). 0, EINVAL or ENOMEM. */
int memtier_posix_memalign(struct memtier_memory *memory, void **memptr, size_t alignment, size_t size);
int memtier_kind_posix_memalign(memkind_t kind, void **memptr, size_t alignment, size_t size);

/* The usable size of a block allocated with this API. */
size_t memtier_usable_size(void *ptr);

/* Frees a block; with a NULL kind the block's kind is found from the pointer. */
void memtier_kind_free(memkind_t kind, void *ptr);

/* Frees a block allocated with this API. */
static inline void memtier_free(void *ptr)
{
    memtier_kind_free(NULL, ptr);
}

/* The bytes allocated in kind through this API and not freed. */
size_t memtier_kind_allocated_size(memkind_t kind);

/*
 * Sets a DYNAMIC_THRESHOLD parameter of a builder; 0 on success, -1 for an unknown name or a threshold that does
 * not exist yet. Names (val points to the type given):
 *   policy.dynamic_threshold.thresholds[ID].val, .min, .max   size_t   threshold ID is between tier ID and ID + 1
 *   policy.dynamic_threshold.check_cnt                        unsigned allocations between ratio checks
 *   policy.dynamic_threshold.trigger                          float    ratio difference that moves a threshold
 *   policy.dynamic_threshold.degree                           float    fraction by which a threshold moves
 */
int memtier_ctl_set(struct memtier_builder *builder, const char *name, const void *val);

#ifdef __cplusplus
}
#endif
