// The kernel's share of a pmem kind's life on this machine, without any allocator: the syscalls MemoryKinds makes for
// create + first 64-byte alloc + destroy (seen with strace): open(O_TMPFILE), reserve 64 MiB PROT_NONE, fallocate 64 KiB,
// mmap it MAP_FIXED|MAP_SHARED and touch it, munmap the 64 MiB, close. Prints the median of 500 of each step.
// Build and run: cc -O2 -o /tmp/syscall-floor bench/floor/syscall-floor.c && /tmp/syscall-floor /dev/shm && /tmp/syscall-floor /tmp
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { N = 500, STEPS = 7 };
static const char *names[STEPS] = {"open", "reserve", "fallocate", "mmap+touch", "munmap", "close", "TOTAL"};

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/dev/shm";
    const size_t reserve = 64u << 20, chunk = 64u << 10;
    static double t[STEPS][N];
    for (int i = 0; i < N; i++) {
        double t0 = now_us();
        int fd = open(dir, O_RDWR | O_EXCL | O_CLOEXEC | O_TMPFILE, 0600);
        if (fd < 0) { perror(dir); return 1; }
        double t1 = now_us();
        char *base = mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        double t2 = now_us();
        if (fallocate(fd, 0, 0, chunk) != 0) { perror("fallocate"); return 1; }
        double t3 = now_us();
        char *p = mmap(base, chunk, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        p[0] = 1;
        p[4096] = 1;
        double t4 = now_us();
        munmap(base, reserve);
        double t5 = now_us();
        close(fd);
        double t6 = now_us();
        double s[STEPS] = {t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t6 - t0};
        for (int k = 0; k < STEPS; k++) t[k][i] = s[k];
    }
    printf("%s, median of %d (us):", dir, N);
    for (int k = 0; k < STEPS; k++) {
        qsort(t[k], N, sizeof(double), cmp);
        printf(" %s %.1f", names[k], t[k][N / 2]);
    }
    printf(" (TOTAL min %.1f)\n", t[STEPS - 1][0]);
    return 0;
}
