/* The drop-in program. run.sh compiles it ONCE against Debian's libmemkind-dev (/usr/include, -lmemkind, no rpath)
 * and runs the same binary twice: on Debian's libmemkind.so.0, and with LD_LIBRARY_PATH=LIBDIR on ours. It prints one
 * line per answer on stdout; run.sh diffs the two outputs. Nothing that legitimately differs is printed there
 * (pointers, descriptors, exact usable sizes, fill counts, jemalloc's stats text), and neither is behaviour where
 * memkind 1.14 has a bug we fixed (the 512-kind limit, calloc overflow on pmem kinds, detect_kind of foreign
 * pointers, leaking kinds on an invalid policy). The library actually loaded is printed on stderr ("LIB path").
 *
 * Usage: dropin [DIR]   (DIR: directory for pmem kinds, default $MEMKINDS_TEST_DIR or /tmp)
 */
#define _GNU_SOURCE
#include <memkind.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Exported by libmemkind.so.0 1.14 (internal memkind_pmem.h), declared by no installed header. Looked up with
 * dlsym, so that a library without them shows up as a differing line instead of a "symbol lookup error". */
typedef int (*get_mmap_flags_fn)(memkind_t kind, int *flags);
typedef void *(*pmem_mmap_fn)(memkind_t kind, void *addr, size_t size);

#define MiB ((size_t)1 << 20)

static const char *dir;

static void line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static const char *yesno(int b)
{
    return b ? "yes" : "no";
}

static const char *err_name(int e)
{
    switch (e) {
        case 0: return "0";
        case EINVAL: return "EINVAL";
        case ENOMEM: return "ENOMEM";
        case ENOENT: return "ENOENT";
        case ENOTDIR: return "ENOTDIR";
        case EXDEV: return "EXDEV(untouched)";
        default: {
            static char buf[32];
            snprintf(buf, sizeof buf, "errno%d", e);
            return buf;
        }
    }
}

#define SK(n) {"MEMKIND_" #n, &MEMKIND_##n}
static const struct {
    const char *name;
    memkind_t *kind;
} statics[] = {
    SK(DEFAULT), SK(REGULAR), SK(HUGETLB), SK(INTERLEAVE), SK(HBW), SK(HBW_ALL), SK(HBW_PREFERRED), SK(HBW_HUGETLB),
    SK(HBW_ALL_HUGETLB), SK(HBW_PREFERRED_HUGETLB), SK(HBW_INTERLEAVE), SK(HBW_GBTLB), SK(HBW_PREFERRED_GBTLB),
    SK(GBTLB), SK(DAX_KMEM), SK(DAX_KMEM_ALL), SK(DAX_KMEM_PREFERRED), SK(DAX_KMEM_INTERLEAVE), SK(HIGHEST_CAPACITY),
    SK(HIGHEST_CAPACITY_PREFERRED), SK(HIGHEST_CAPACITY_LOCAL), SK(HIGHEST_CAPACITY_LOCAL_PREFERRED),
    SK(LOWEST_LATENCY_LOCAL), SK(LOWEST_LATENCY_LOCAL_PREFERRED), SK(HIGHEST_BANDWIDTH_LOCAL),
    SK(HIGHEST_BANDWIDTH_LOCAL_PREFERRED)};
#define NSTATIC ((int)(sizeof statics / sizeof statics[0]))

/* A kind as a name: a static kind's symbol, "pmemA"/"pmemB"/"fixed" for the ones this program made, NULL. */
static memkind_t pmem_a, pmem_b, fixed_kind;
static const char *kind_name(memkind_t k)
{
    if (!k) return "NULL";
    if (k == pmem_a) return "pmemA";
    if (k == pmem_b) return "pmemB";
    if (k == fixed_kind) return "fixed";
    for (int i = 0; i < NSTATIC; i++)
        if (*statics[i].kind == k) return statics[i].name;
    return "other";
}

static int pattern_ok(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 13)) return 0;
    return 1;
}
static void pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed + i * 13);
}

static void data_symbols_before_first_call(void)
{
    /* Read before any function of the library was called: they must be load-time values. */
    int nonnull = 1, distinct = 1;
    for (int i = 0; i < NSTATIC; i++) {
        if (!*statics[i].kind) nonnull = 0;
        for (int j = 0; j < i; j++)
            if (*statics[i].kind == *statics[j].kind) distinct = 0;
    }
    line("data symbols non-NULL before the first call: %s", yesno(nonnull));
    line("data symbols distinct: %s", yesno(distinct));
}

static void version_and_misc(void)
{
    line("memkind_get_version: %d", memkind_get_version());
    line("memkind_set_bg_threads(true): %d", memkind_set_bg_threads(true));
    line("memkind_set_bg_threads(false): %d", memkind_set_bg_threads(false));
    line("memkind_update_cached_stats: %d", memkind_update_cached_stats());
}

static void static_kinds(void)
{
    for (int i = 0; i < NSTATIC; i++) {
        memkind_t k = *statics[i].kind;
        int avail = memkind_check_available(k);
        ssize_t cap = memkind_get_capacity(k);
        line("check_available %s: %d", statics[i].name, avail);
        line("get_capacity %s: %s", statics[i].name, cap < 0 ? "-1" : cap == 0 ? "0" : ">0");
        if (avail) {
            errno = 0;
            void *p = memkind_malloc(k, 100);
            line("malloc on unavailable %s: %s errno %s", statics[i].name, p ? "block" : "NULL", err_name(errno));
        } else {
            void *p = memkind_malloc(k, 100);
            line("malloc on available %s: %s, detect %s", statics[i].name, p ? "block" : "NULL",
                 p ? kind_name(memkind_detect_kind(p)) : "-");
            memkind_free(k, p);
        }
    }
    for (int part = -1; part <= 27; part++) {
        memkind_t k = (memkind_t)0x1;
        int rc = memkind_get_kind_by_partition(part, &k);
        line("get_kind_by_partition %d: %d %s", part, rc, kind_name(k));
    }
    memkind_t k = (memkind_t)0x1;
    int rc = memkind_get_kind_by_partition(MEMKIND_MAX_KIND, &k);
    line("get_kind_by_partition MAX_KIND: %d %s", rc, kind_name(k));
}

static void create_kind_combos(void)
{
    static const int memtypes[] = {0, 1, 2, 3, 4};
    for (int m = 0; m < 5; m++)
        for (int pol = -1; pol <= MEMKIND_POLICY_MAX_VALUE; pol++)
            for (int f = 0; f < 3; f++) {
                int flags = f == 0 ? 0 : f == 1 ? MEMKIND_MASK_PAGE_SIZE_2MB : 1;
                memkind_t k = NULL;
                int rc = memkind_create_kind((memkind_memtype_t)memtypes[m], (memkind_policy_t)pol,
                                             (memkind_bits_t)flags, &k);
                line("create_kind memtype %d policy %d flags %d: %d %s", memtypes[m], pol, flags, rc,
                     rc == 0 ? kind_name(k) : "-");
            }
    line("create_kind NULL out: %d",
         memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_PREFERRED_LOCAL, (memkind_bits_t)0, NULL));
}

static void create_pmem_args(void)
{
    static const size_t sizes[] = {0, 1, 4096, MEMKIND_PMEM_MIN_SIZE - 1, MEMKIND_PMEM_MIN_SIZE,
                                   MEMKIND_PMEM_MIN_SIZE + 1, 100 * MiB};
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        memkind_t k = NULL;
        errno = 0;
        int rc = memkind_create_pmem(dir, sizes[i], &k);
        int e = errno;
        line("create_pmem dir size %zu: %d errno %s", sizes[i], rc, err_name(rc ? e : 0));
        if (!rc) {
            ssize_t cap = memkind_get_capacity(k);
            if (sizes[i]) line("  capacity: %zd", cap);
            else line("  capacity > 0: %s", yesno(cap > 0));
            line("  destroy: %d", memkind_destroy_kind(k));
        }
    }
    memkind_t k = NULL;
    errno = 0;
    int rc = memkind_create_pmem("/nonexistent-memkinds-dropin", 0, &k);
    line("create_pmem nonexistent dir: %d errno %s", rc, err_name(errno));
    char file[] = "/tmp/memkinds-dropin-file-XXXXXX";
    int fd = mkstemp(file);
    errno = 0;
    rc = memkind_create_pmem(file, 0, &k);
    line("create_pmem on a file: %d errno %s", rc, err_name(errno));
    close(fd);
    unlink(file);
    line("check_dax_path dir: %d", memkind_check_dax_path(dir));
    line("check_dax_path /dev/shm: %d", memkind_check_dax_path("/dev/shm"));
    line("check_dax_path nonexistent: %d", memkind_check_dax_path("/nonexistent-memkinds-dropin"));
}

static void config(void)
{
    for (int pol = 0; pol <= MEMKIND_MEM_USAGE_POLICY_MAX_VALUE; pol++)
        for (int s = 0; s < 3; s++) {
            size_t size = s == 0 ? 0 : s == 1 ? MEMKIND_PMEM_MIN_SIZE - 1 : 32 * MiB;
            struct memkind_config *cfg = memkind_config_new();
            memkind_config_set_path(cfg, dir);
            memkind_config_set_size(cfg, size);
            memkind_config_set_memory_usage_policy(cfg, (memkind_mem_usage_policy)pol);
            memkind_t k = NULL;
            int rc = memkind_create_pmem_with_config(cfg, &k);
            memkind_config_delete(cfg);
            line("create_pmem_with_config policy %d size %zu: %d", pol, size, rc);
            if (rc == 0) {
                void *p = memkind_malloc(k, 1000);
                line("  malloc: %s, detect matches: %s", p ? "block" : "NULL", yesno(p && memkind_detect_kind(p) == k));
                memkind_free(k, p);
                line("  destroy: %d", memkind_destroy_kind(k));
            }
        }
    struct memkind_config *cfg = memkind_config_new();
    memkind_config_set_path(cfg, "/nonexistent-memkinds-dropin");
    memkind_config_set_size(cfg, 0);
    memkind_config_set_memory_usage_policy(cfg, MEMKIND_MEM_USAGE_POLICY_DEFAULT);
    memkind_t k = NULL;
    errno = 0;
    int rc = memkind_create_pmem_with_config(cfg, &k);
    line("create_pmem_with_config nonexistent dir: %d errno %s", rc, err_name(errno));
    memkind_config_delete(cfg);
}

static void heap(memkind_t k, const char *label)
{
    static const size_t sizes[] = {1, 8, 16, 17, 100, 300, 4096, 5000, 70000, MiB, 3 * MiB + 5};
    errno = EXDEV;
    void *z = memkind_malloc(k, 0);
    line("%s malloc(0): %s errno %s", label, z ? "block" : "NULL", err_name(errno));
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t s = sizes[i];
        unsigned char *p = memkind_malloc(k, s);
        size_t u = p ? memkind_malloc_usable_size(k, p) : 0;
        line("%s malloc(%zu): %s, detect %s, usable >= size %s, usable <= size*5/4+4096 %s, null-kind usable same %s",
             label, s, p ? "block" : "NULL", kind_name(p ? memkind_detect_kind(p) : NULL), yesno(u >= s),
             yesno(u <= s + s / 4 + 4096), yesno(p && memkind_malloc_usable_size(NULL, p) == u));
        if (p) {
            pattern(p, s, (unsigned)i);
            /* Grow below 8 MiB: on Debian's library, freeing a block of 8 MiB or more in one pmem kind makes the
             * first allocation in a kind on tmpfs created before it crash (see ours_tests
             * BigFree.ThenFirstAllocationInAnotherKind). */
            unsigned char *q = memkind_realloc(k, p, s * 2 + 10);
            line("%s realloc grow %zu: %s, contents kept %s, detect %s", label, s, q ? "block" : "NULL",
                 yesno(q && pattern_ok(q, s, (unsigned)i)), kind_name(q ? memkind_detect_kind(q) : NULL));
            if (q) p = q;
            q = memkind_realloc(NULL, p, s / 2 + 1);
            line("%s realloc(NULL kind) shrink %zu: %s, contents kept %s, detect %s", label, s, q ? "block" : "NULL",
                 yesno(q && pattern_ok(q, s / 2 + 1, (unsigned)i)), kind_name(q ? memkind_detect_kind(q) : NULL));
            if (q) p = q;
            errno = EXDEV;
            q = memkind_realloc(k, p, 0);
            line("%s realloc(p, 0): %s errno %s", label, q ? "block" : "NULL", err_name(errno));
        }
    }
    static const size_t huge[] = {(size_t)1 << 50, SIZE_MAX};
    for (unsigned i = 0; i < 2; i++) {
        errno = 0;
        void *p = memkind_malloc(k, huge[i]);
        line("%s malloc(huge %u): %s errno %s", label, i, p ? "block" : "NULL", err_name(errno));
        errno = 0;
        p = memkind_realloc(k, NULL, huge[i]);
        line("%s realloc(NULL, huge %u): %s errno %s", label, i, p ? "block" : "NULL", err_name(errno));
    }
    unsigned char *c = memkind_calloc(k, 1000, 7);
    int zero = c != NULL;
    for (int i = 0; c && i < 7000; i++)
        if (c[i]) zero = 0;
    line("%s calloc(1000, 7) zeroed: %s", label, yesno(zero));
    memkind_free(k, c);
    line("%s calloc(0, 7): %s", label, memkind_calloc(k, 0, 7) ? "block" : "NULL");
    errno = 0;
    void *r = memkind_realloc(k, NULL, 100);
    line("%s realloc(NULL, 100): %s detect %s", label, r ? "block" : "NULL", kind_name(r ? memkind_detect_kind(r) : NULL));
    memkind_free(NULL, r);
    errno = EXDEV;
    r = memkind_realloc(k, NULL, 0);
    line("%s realloc(NULL, 0): %s errno %s", label, r ? "block" : "NULL", err_name(errno));
    errno = 0;
    r = memkind_realloc(NULL, NULL, 100);
    line("realloc(NULL kind, NULL, 100): %s errno %s", r ? "block" : "NULL", err_name(errno));
    for (size_t a = 8; a <= 4 * MiB; a *= 2) {
        void *p = (void *)0x1;
        errno = EXDEV;
        int rc = memkind_posix_memalign(k, &p, a, 100);
        line("%s posix_memalign(%zu, 100): %d errno %s aligned %s detect %s", label, a, rc, err_name(errno),
             yesno(p && ((uintptr_t)p % a) == 0), kind_name(rc == 0 ? memkind_detect_kind(p) : NULL));
        if (rc == 0) memkind_free(k, p);
    }
    static const size_t bad[] = {0, 1, 4, 12, 24, 3 * MiB};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *p = (void *)0x1;
        errno = EXDEV;
        int rc = memkind_posix_memalign(k, &p, bad[i], 100);
        line("%s posix_memalign(bad %zu): %s errno %s", label, bad[i], err_name(rc), err_name(errno));
    }
    void *p = (void *)0x1;
    int rc = memkind_posix_memalign(k, &p, 64, 0);
    line("%s posix_memalign(64, 0): %d %s", label, rc, p ? "block" : "NULL");
    memkind_free(k, NULL);
    memkind_free(NULL, NULL);
    line("%s free(NULL): survived", label);
    line("%s usable_size(NULL): %zu", label, memkind_malloc_usable_size(k, NULL));
    line("%s defrag(NULL): %s", label, memkind_defrag_reallocate(k, NULL) ? "block" : "NULL");
}

static void pmem_specific(void)
{
    memkind_t k = NULL;
    memkind_create_pmem(dir, 16 * MiB, &k);
    size_t total = 0;
    int n = 0, over = 0;
    void *blocks[64];
    errno = 0;
    while (n < 64 && (blocks[n] = memkind_malloc(k, MiB)) != NULL) {
        memset(blocks[n], 1, MiB);
        total += memkind_malloc_usable_size(k, blocks[n]);
        n++;
    }
    if (total > 16 * MiB) over = 1;
    line("fill 16 MiB kind with 1 MiB blocks: ends with NULL errno %s, at least 8 blocks %s, within 16 MiB %s",
         err_name(errno), yesno(n >= 8), yesno(!over));
    for (int i = 0; i < n; i++) memkind_free(NULL, blocks[i]);
    line("destroy 16 MiB kind: %d", memkind_destroy_kind(k));

    memkind_create_pmem(dir, 16 * MiB, &k);
    get_mmap_flags_fn get_flags = (get_mmap_flags_fn)dlsym(RTLD_DEFAULT, "memkind_pmem_get_mmap_flags");
    pmem_mmap_fn pmem_mmap = (pmem_mmap_fn)dlsym(RTLD_DEFAULT, "memkind_pmem_mmap");
    line("memkind_pmem_get_mmap_flags exported: %s", yesno(get_flags != NULL));
    line("memkind_pmem_mmap exported: %s", yesno(pmem_mmap != NULL));
    for (const char **f = (const char *[]){"memkind_pmem_create", "memkind_pmem_destroy", NULL}; *f; f++)
        line("%s exported: %s", *f, yesno(dlsym(RTLD_DEFAULT, *f) != NULL));
    int flags = -1;
    int frc = get_flags ? get_flags(k, &flags) : -99;
    line("pmem_get_mmap_flags: %d MAP_SHARED %s", frc, yesno(flags == MAP_SHARED));
    void *m = pmem_mmap ? pmem_mmap(k, NULL, 2 * MiB) : MAP_FAILED;
    line("pmem_mmap 2 MiB: %s", m == MAP_FAILED ? "MAP_FAILED" : "mapping");
    if (m != MAP_FAILED) {
        memset(m, 7, 2 * MiB);
        munmap(m, 2 * MiB);
    }
    m = pmem_mmap ? pmem_mmap(k, NULL, 16 * MiB) : NULL;
    line("pmem_mmap over max_size: %s", m == MAP_FAILED ? "MAP_FAILED" : "mapping");
    line("destroy 16 MiB kind: %d", memkind_destroy_kind(k));

    /* stats */
    memkind_create_pmem(dir, 0, &k);
    size_t v0 = 0, v1 = 0, v = 77;
    memkind_update_cached_stats();
    int rc0 = memkind_get_stat(k, MEMKIND_STAT_TYPE_ALLOCATED, &v0);
    void *big = memkind_malloc(k, 5 * MiB);
    memkind_update_cached_stats();
    int rc1 = memkind_get_stat(k, MEMKIND_STAT_TYPE_ALLOCATED, &v1);
    line("get_stat allocated: %d %d, new kind 0 %s, grows by >= 5 MiB %s", rc0, rc1, yesno(v0 == 0), yesno(v1 >= v0 + 5 * MiB));
    for (int s = 0; s < MEMKIND_STAT_TYPE_MAX_VALUE; s++)
        line("get_stat type %d kind %d global %d", s, memkind_get_stat(k, (memkind_stat_type)s, &v),
             memkind_get_stat(NULL, (memkind_stat_type)s, &v));
    v = 77;
    int bad1 = memkind_get_stat(k, MEMKIND_STAT_TYPE_MAX_VALUE, &v);
    int bad2 = memkind_get_stat(NULL, (memkind_stat_type)-1, &v);
    line("get_stat invalid: %d %d, value untouched %s", bad1, bad2, yesno(v == 77));
    memkind_free(k, big);
    line("destroy: %d", memkind_destroy_kind(k));
}

static void collect(void *opaque, const char *text)
{
    size_t *n = opaque;
    if (*n == 0 && text[0]) n[1] = (unsigned char)text[strspn(text, " \n")];
    n[0] += strlen(text);
}

static void stats_print(void)
{
    static const unsigned opts[] = {0, 1, 2, 0x1ff, 0x200, 0x400, 0xffffffffu};
    for (unsigned i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        size_t acc[2] = {0, 0};
        int rc = memkind_stats_print(collect, acc, (memkind_stat_print_opt)opts[i]);
        line("stats_print opts 0x%x: %d, text %s%s", opts[i], rc, acc[0] ? "yes" : "no",
             (opts[i] & 1) && acc[0] ? (acc[1] == '{' ? ", starts with {" : ", not json") : "");
    }
}

static void error_messages(void)
{
    static const int codes[] = {MEMKIND_ERROR_UNAVAILABLE, MEMKIND_ERROR_MBIND, MEMKIND_ERROR_MMAP,
                                MEMKIND_ERROR_MALLOC, MEMKIND_ERROR_ENVIRON, MEMKIND_ERROR_INVALID,
                                MEMKIND_ERROR_TOOMANY, MEMKIND_ERROR_BADOPS, MEMKIND_ERROR_HUGETLB,
                                MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, MEMKIND_ERROR_OPERATION_FAILED,
                                MEMKIND_ERROR_ARENAS_CREATE, MEMKIND_ERROR_RUNTIME, EINVAL, ENOMEM, -999, 0};
    for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char msg[MEMKIND_ERROR_MESSAGE_SIZE];
        memset(msg, 'X', sizeof msg);
        memkind_error_message(codes[i], msg, sizeof msg);
        int term = memchr(msg, 0, sizeof msg) != NULL;
        char small[8];
        memset(small, 'X', sizeof small);
        memkind_error_message(codes[i], small, 5);
        line("error_message %d: prefix %s, terminated %s, truncated to 4 %s", codes[i],
             yesno(strncmp(msg, "<memkind>", 9) == 0), yesno(term), yesno(small[4] == 0 && strncmp(small, "<mem", 4) == 0));
        memkind_error_message(codes[i], NULL, 0);
    }
    line("error_message NULL 0: survived");
}

static void detect_and_fixed(void)
{
    void *a = memkind_malloc(pmem_a, 100), *b = memkind_malloc(pmem_b, 100);
    void *d = memkind_malloc(MEMKIND_DEFAULT, 100), *r = memkind_malloc(MEMKIND_REGULAR, 100);
    line("detect pmemA block: %s", kind_name(memkind_detect_kind(a)));
    line("detect pmemB block: %s", kind_name(memkind_detect_kind(b)));
    line("detect DEFAULT block: %s", kind_name(memkind_detect_kind(d)));
    line("detect REGULAR block: %s", kind_name(memkind_detect_kind(r)));
    line("detect NULL: %s", kind_name(memkind_detect_kind(NULL)));
    line("detect interior of pmemA block: %s", kind_name(memkind_detect_kind((char *)a + 50)));
    memkind_free(NULL, a);
    memkind_free(NULL, b);
    memkind_free(NULL, d);
    memkind_free(NULL, r);

    size_t size = 32 * MiB;
    char *area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int rc = memkind_create_fixed(area, size, &fixed_kind);
    line("create_fixed 32 MiB: %d", rc);
    line("fixed check_available: %d capacity is size: %s", memkind_check_available(fixed_kind),
         yesno(memkind_get_capacity(fixed_kind) == (ssize_t)size));
    int inside = 1, n = 0;
    char *p;
    errno = 0;
    while (n < 64 && (p = memkind_malloc(fixed_kind, MiB)) != NULL) {
        if (p < area || p + MiB > area + size) inside = 0;
        if (memkind_detect_kind(p) != fixed_kind) inside = 0;
        n++;
    }
    line("fixed fill: blocks inside and detected %s, ends with errno %s, more than 10 %s", yesno(inside), err_name(errno),
         yesno(n > 10));
    line("destroy fixed: %d", memkind_destroy_kind(fixed_kind));
    fixed_kind = NULL;
    memset(area, 1, size);
    line("area usable after destroy: %s", yesno(area[size - 1] == 1));
    munmap(area, size);
}

struct thread_arg {
    memkind_t kind;
    void *blocks[2000];
    int ok;
};

static void *thread_alloc(void *p)
{
    struct thread_arg *a = p;
    a->ok = 1;
    for (int i = 0; i < 2000; i++) {
        a->blocks[i] = memkind_malloc(a->kind, 16 + i * 7);
        if (!a->blocks[i]) a->ok = 0;
        else pattern(a->blocks[i], 16, (unsigned)i);
    }
    return NULL;
}

static void threads(void)
{
    static struct thread_arg args[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        args[i].kind = pmem_a;
        pthread_create(&t[i], NULL, thread_alloc, &args[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    int ok = 1;
    for (int i = 0; i < 4; i++) {
        if (!args[i].ok) ok = 0;
        for (int j = 0; j < 2000; j++) {
            if (args[i].blocks[j] && (!pattern_ok(args[i].blocks[j], 16, (unsigned)j) ||
                                      memkind_detect_kind(args[i].blocks[j]) != pmem_a))
                ok = 0;
            memkind_free(NULL, args[i].blocks[j]); /* freed by another thread than the one that allocated */
        }
    }
    line("4 threads allocate, main thread checks and frees: %s", yesno(ok));
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    data_symbols_before_first_call();
    const char *env = getenv("MEMKINDS_TEST_DIR");
    dir = argc > 1 ? argv[1] : (env && *env) ? env : "/tmp";
    Dl_info info;
    if (dladdr((void *)memkind_malloc, &info) && info.dli_fname) fprintf(stderr, "LIB %s\n", info.dli_fname);

    version_and_misc();
    static_kinds();
    create_kind_combos();
    create_pmem_args();
    config();
    line("create_pmem A: %d", memkind_create_pmem(dir, 0, &pmem_a));
    line("create_pmem B: %d", memkind_create_pmem("/dev/shm", 64 * MiB, &pmem_b));
    heap(pmem_a, "pmemA");
    heap(pmem_b, "pmemB");
    heap(MEMKIND_DEFAULT, "DEFAULT");
    detect_and_fixed();
    threads();
    pmem_specific();
    stats_print();
    error_messages();
    line("destroy A: %d", memkind_destroy_kind(pmem_a));
    line("destroy B: %d", memkind_destroy_kind(pmem_b));
    line("end");
    return 0;
}
