// The syscall floor of a Conservative kind's alloc+free pair that empties its page: reserve one OS page of a mapped
// file (fallocate KEEP_SIZE), write a byte into it, give it back (fallocate PUNCH_HOLE). Median of 11 batches of 2,000,
// in µs per pair; compare with `bench/run.sh --only conservative` on the same file system.
// Build and run: cc -O2 -o /tmp/conservative-floor bench/floor/conservative-floor.c && /tmp/conservative-floor /dev/shm && /tmp/conservative-floor /tmp
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { PAIRS = 2000, BATCHES = 11, PAGE = 4096, LENGTH = 1 << 20 };

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, LENGTH) != 0) { perror(dir); return 1; }
    char *map = mmap(NULL, LENGTH, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) { perror("mmap"); return 1; }
    madvise(map, LENGTH, MADV_RANDOM);
    double us[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        double start = now_us();
        for (int i = 0; i < PAIRS; i++) {
            if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, PAGE) != 0) { perror("fallocate"); return 1; }
            map[0] = (char)i;
            if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PAGE) != 0) { perror("punch"); return 1; }
        }
        us[b] = (now_us() - start) / PAIRS;
    }
    qsort(us, BATCHES, sizeof us[0], by_value);
    printf("%s: reserve + write + punch one 4 KiB page: %.1f us per pair (median of %d batches of %d)\n", dir, us[BATCHES / 2], BATCHES, PAIRS);
    return 0;
}
