// Shared helpers for the C ABI tests (tests/native). Compiled against whichever memkind.h is first on the include
// path: ours (LIBDIR/include) from run.sh, or Debian's /usr/include when the suite is run against Debian's library.
#pragma once

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <memkind.h>

#include <gtest/gtest.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <string>
#include <vector>

// ---- v1.14.0 struct layouts (x86-64), defined here on purpose: memkind installs no header with them, and
// memkind's own tests read these fields, so the library must lay them out byte for byte.
struct mk_layout_kind {
    void *ops;                   // @0   struct memkind_ops *
    unsigned int partition;      // @8
    char name[64];               // @12  MEMKIND_NAME_LENGTH_PRIV
    int init_once;               // @76  pthread_once_t
    unsigned int arena_map_len;  // @80
    unsigned int *arena_map;     // @88
    unsigned int arena_key;      // @96  pthread_key_t
    void *priv;                  // @104
    unsigned int arena_map_mask; // @112
    unsigned int arena_zero;     // @116
};
static_assert(sizeof(mk_layout_kind) == 120, "struct memkind is 120 bytes");
static_assert(offsetof(mk_layout_kind, partition) == 8, "partition@8");
static_assert(offsetof(mk_layout_kind, name) == 12, "name@12");
static_assert(offsetof(mk_layout_kind, priv) == 104, "priv@104");
static_assert(offsetof(mk_layout_kind, arena_zero) == 116, "arena_zero@116");

struct mk_layout_pmem {
    int fd;                 // @0
    off_t offset;           // @8
    size_t max_size;        // @16
    char pmem_lock[40];     // @24 pthread_mutex_t
    size_t current_size;    // @64
    char *dir;              // @72
};
static_assert(sizeof(mk_layout_pmem) == 80, "struct memkind_pmem is 80 bytes");
static_assert(offsetof(mk_layout_pmem, max_size) == 16, "max_size@16");
static_assert(offsetof(mk_layout_pmem, current_size) == 64, "current_size@64");
static_assert(offsetof(mk_layout_pmem, dir) == 72, "dir@72");

struct mk_layout_config {
    const char *pmem_dir; // @0
    size_t pmem_size;     // @8
    int policy;           // @16 memkind_mem_usage_policy
};
static_assert(sizeof(mk_layout_config) == 24, "struct memkind_config is 24 bytes");

// struct memkind_ops (memkind/internal/memkind_private.h), 21 function pointers.
struct mk_layout_ops {
    int (*create)(memkind_t, void *, const char *);
    int (*destroy)(memkind_t);
    void *(*malloc)(memkind_t, size_t);
    void *(*calloc)(memkind_t, size_t, size_t);
    int (*posix_memalign)(memkind_t, void **, size_t, size_t);
    void *(*realloc)(memkind_t, void *, size_t);
    void (*free)(memkind_t, void *);
    void *(*mmap)(memkind_t, void *, size_t);
    void *mbind, *madvise;
    int (*get_mmap_flags)(memkind_t, int *);
    void *get_mbind_mode, *get_mbind_nodemask, *get_arena;
    int (*check_available)(memkind_t);
    void *init_once;
    int (*finalize)(memkind_t);
    size_t (*malloc_usable_size)(memkind_t, void *);
    int (*update_memory_usage_policy)(memkind_t, int);
    int (*get_stat)(memkind_t, int, size_t *);
    void *(*defrag_reallocate)(memkind_t, void *);
};
static_assert(sizeof(mk_layout_ops) == 168, "struct memkind_ops is 168 bytes");

static inline mk_layout_kind *K(memkind_t k) { return reinterpret_cast<mk_layout_kind *>(k); }
static inline mk_layout_pmem *P(memkind_t k) { return static_cast<mk_layout_pmem *>(K(k)->priv); }
static inline mk_layout_config *C(struct memkind_config *c) { return reinterpret_cast<mk_layout_config *>(c); }

// ---- the seed functions: exported by Debian's libmemkind.so.0 (internal memkind_pmem.h), declared by no installed
// header.
extern "C" {
int memkind_pmem_get_mmap_flags(memkind_t kind, int *flags);
void *memkind_pmem_mmap(memkind_t kind, void *addr, size_t size);
}

static const size_t KiB = 1024, MiB = 1024 * 1024;
static const size_t CHUNK = 2 * MiB; // MEMKIND_PMEM_CHUNK_SIZE

// Directory for pmem kinds: $MEMKINDS_TEST_DIR, default /tmp.
static inline const char *test_dir()
{
    const char *d = getenv("MEMKINDS_TEST_DIR");
    return (d && *d) ? d : "/tmp";
}

static inline bool dir_exists(const char *d)
{
    struct stat st;
    return stat(d, &st) == 0 && S_ISDIR(st.st_mode);
}

static inline int count_open_fds()
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    while (struct dirent *e = readdir(d))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1; // the DIR's own descriptor
}

// count_open_fds() after the library is warmed up: the first calls into a library may open descriptors of its own
// (a runtime starting lazily, a background thread's timer), which are not leaks of the call under test.
static inline int baseline_fds()
{
    static bool warmed = false;
    if (!warmed) {
        warmed = true;
        for (const char *d : {test_dir(), "/dev/shm"}) {
            memkind_t k = nullptr;
            if (memkind_create_pmem(d, 0, &k) == 0) {
                void *p = memkind_malloc(k, 100);
                memkind_free(k, p);
                memkind_destroy_kind(k);
            }
        }
        memkind_free(MEMKIND_DEFAULT, memkind_malloc(MEMKIND_DEFAULT, 100));
    }
    return count_open_fds();
}

static inline std::string fd_link(int fd)
{
    char path[64], buf[PATH_MAX + 1];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, buf, PATH_MAX);
    if (n < 0) return std::string();
    buf[n] = 0;
    return std::string(buf);
}

static inline long file_blocks(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    return (long)st.st_blocks;
}

static inline std::string fmt_ptr(const void *p)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%p", p);
    return std::string(buf);
}

// Redirects fd 2 to a temporary file between construction and finish(); finish() returns what was written.
class StderrCapture
{
public:
    StderrCapture()
    {
        fflush(stderr);
        char name[] = "/tmp/mkn-stderr-XXXXXX";
        tmp_ = mkstemp(name);
        if (tmp_ >= 0) unlink(name);
        saved_ = dup(2);
        if (tmp_ >= 0) dup2(tmp_, 2);
    }
    std::string finish()
    {
        if (saved_ < 0) return text_;
        fflush(stderr);
        dup2(saved_, 2);
        close(saved_);
        saved_ = -1;
        if (tmp_ >= 0) {
            off_t len = lseek(tmp_, 0, SEEK_END);
            text_.assign((size_t)(len > 0 ? len : 0), '\0');
            if (len > 0) (void)!pread(tmp_, &text_[0], (size_t)len, 0);
            close(tmp_);
            tmp_ = -1;
        }
        return text_;
    }
    ~StderrCapture() { finish(); }

private:
    int tmp_ = -1, saved_ = -1;
    std::string text_;
};

/* Everything written to the file behind errfd (a child's stderr redirected there), then errfd closed. */
static inline std::string read_all_and_close(int errfd)
{
    off_t len = lseek(errfd, 0, SEEK_END);
    std::string text((size_t)(len > 0 ? len : 0), '\0');
    if (len > 0) (void)!pread(errfd, &text[0], (size_t)len, 0);
    close(errfd);
    return text;
}

static inline int count_lines(const std::string &s)
{
    int n = 0;
    for (char c : s)
        if (c == '\n') n++;
    if (!s.empty() && s.back() != '\n') n++;
    return n;
}

// A pmem kind that is destroyed at scope exit (unless released).
struct PmemKind {
    memkind_t kind = nullptr;
    int err = 0;
    PmemKind(const char *dir, size_t max) { err = memkind_create_pmem(dir, max, &kind); }
    ~PmemKind()
    {
        if (kind && err == 0) memkind_destroy_kind(kind);
    }
    operator memkind_t() const { return kind; }
};

// The tests build with -O0 (fast to compile); the byte loops that fill and check blocks are optimized regardless.
#if defined(__GNUC__) && !defined(__clang__)
#define MKN_FAST __attribute__((optimize("O2")))
#else
#define MKN_FAST
#endif

MKN_FAST static inline void fill_pattern(void *p, size_t n, unsigned seed)
{
    unsigned char *b = static_cast<unsigned char *>(p);
    for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(seed * 31u + i * 7u);
}

MKN_FAST static inline bool check_pattern(const void *p, size_t n, unsigned seed)
{
    const unsigned char *b = static_cast<const unsigned char *>(p);
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)(seed * 31u + i * 7u)) return false;
    return true;
}
