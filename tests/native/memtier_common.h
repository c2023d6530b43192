// Helpers for the memtier tests (memtier_tests.cpp, memtier_ours_tests.cpp): memkind_memtier.h from the include path
// (ours from LIBDIR/include, or Debian's when the suite runs against Debian's library).
#pragma once

#include "common.h"

#include <memkind_memtier.h>

#include <stdint.h>

// A directory of its own under /dev/shm for the pmem kinds of one test; the test checks it is empty at the end (the
// kinds' files have no name), and the destructor removes it.
struct TempDir {
    std::string path;
    TempDir()
    {
        char name[] = "/dev/shm/mkn-memtier-XXXXXX";
        if (mkdtemp(name)) path = name;
    }
    // The names in the directory (none expected while or after kinds use it).
    std::vector<std::string> entries() const
    {
        std::vector<std::string> names;
        DIR *d = opendir(path.c_str());
        if (!d) return names;
        while (struct dirent *e = readdir(d))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
        closedir(d);
        return names;
    }
    ~TempDir()
    {
        if (!path.empty()) rmdir(path.c_str());
    }
    const char *c_str() const { return path.c_str(); }
};

// A memtier memory built from (kind, ratio) tiers with the given policy, deleted at scope exit.
struct Memtier {
    struct memtier_memory *memory = nullptr;
    Memtier(memtier_policy_t policy, std::initializer_list<std::pair<memkind_t, unsigned>> tiers)
    {
        struct memtier_builder *b = memtier_builder_new(policy);
        if (!b) return;
        bool ok = true;
        for (auto &t : tiers) ok = ok && memtier_builder_add_tier(b, t.first, t.second) == 0;
        if (ok) memory = memtier_builder_construct_memtier_memory(b);
        memtier_builder_delete(b);
    }
    ~Memtier()
    {
        if (memory) memtier_delete_memtier_memory(memory);
    }
    operator struct memtier_memory *() const { return memory; }
};

// Sizes from a fixed sequence (a 64-bit LCG), uniform in [lo, hi].
struct Sizes {
    uint64_t state;
    explicit Sizes(uint64_t seed) : state(seed) {}
    size_t next(size_t lo, size_t hi)
    {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return lo + (size_t)((state >> 33) % (hi - lo + 1));
    }
};

// memtier_kind_allocated_size over several kinds.
static inline size_t tier_total(std::initializer_list<memkind_t> kinds)
{
    size_t sum = 0;
    for (memkind_t k : kinds) sum += memtier_kind_allocated_size(k);
    return sum;
}

// The usable bytes of the blocks in `blocks` that `kind` owns (memkind_detect_kind).
static inline size_t usable_in(const std::vector<void *> &blocks, memkind_t kind)
{
    size_t sum = 0;
    for (void *p : blocks)
        if (memkind_detect_kind(p) == kind) sum += memtier_usable_size(p);
    return sum;
}
