// memkind 1.14.0 (Debian libmemkind0) crash, found by bench/MemoryKinds.Workloads: two pmem kinds in one process,
// alternately malloc 16 MiB, touch every page, free, in each. Segfaults inside libmemkind.so.0 every time here (also with
// both kinds in /dev/shm); one kind, or 1 MiB blocks, run clean.
// Build: gcc -O1 -o repro memkind-two-pmem-kinds.c /usr/lib/x86_64-linux-gnu/libmemkind.so.0 && ./repro
#include <stddef.h>
typedef struct memkind *memkind_t;
int memkind_create_pmem(const char *dir, size_t max_size, memkind_t *kind);
void *memkind_malloc(memkind_t kind, size_t size);
void memkind_free(memkind_t kind, void *ptr);
#include <stdio.h>
#include <string.h>
int main(void) {
    memkind_t k[2];
    if (memkind_create_pmem("/dev/shm", 0, &k[0]) || memkind_create_pmem("/tmp", 0, &k[1])) { puts("create failed"); return 1; }
    for (int i = 0; i < 200; i++) {
        for (int j = 0; j < 2; j++) {
            char *p = memkind_malloc(k[j], 16u << 20);
            if (!p) { puts("NULL"); return 1; }
            for (size_t o = 0; o < (16u << 20); o += 4096) p[o] = (char)i;
            memkind_free(k[j], p);
        }
    }
    puts("ok");
    return 0;
}
