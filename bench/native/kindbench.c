// kindbench: the C ABI benchmark of bench/native (see README.md there and docs/benchmarks.md, section
// "C ABI: libmemkind.so.0 vs Debian's memkind"). One binary, compiled once against memkind.h and linked -lmemkind
// (DT_NEEDED libmemkind.so.0, no rpath); run.sh runs it once on Debian's libmemkind.so.0 and once on ours
// (LD_LIBRARY_PATH), alternately.
//
// Usage: kindbench WORKLOAD DIR ROUNDS
//   WORKLOAD  pair | mix | xthread | create | large | default-pair
//   DIR       directory of the pmem kind (memkind_create_pmem(DIR, 0, &kind)); ignored by default-pair
//   ROUNDS    measured rounds (one unreported warm-up round runs first)
//
// Output, one record a line, tab-separated:
//   lib     <path of the libmemkind.so.0 mapped into this process, from /proc/self/maps>
//   version <memkind_get_version()>
//   result  <series> <round> <ns per operation> <operations in the round> <CPU ns per operation, or - >
//           (ns: CLOCK_MONOTONIC over the round; CPU: CLOCK_THREAD_CPUTIME_ID, single-thread workloads only)
//   pinned  <threads of xthread pinned to a CPU of their own: 2, or 0 with fewer than 2 CPUs allowed>
//   checked <blocks whose contents were checked>
// Exit codes: 0 ok, 2 usage, 3 a block had wrong contents, 4 an allocation or kind call failed.
//
// Series: pair (64 B memkind_malloc+memkind_free on the pmem kind) and glibc-pair (malloc+free, the reference, in
// alternating chunks of 10,000 pairs in each round of the same process); mix (1,000 live blocks of 16-1024 B: free a
// random one, allocate a random size in its slot; ns per free+malloc) and glibc-mix (the same with malloc/free, its own
// live set, alternate order every round); xthread (a producer thread allocates 64 B blocks into a bounded lock-free
// ring, a consumer thread frees them: every free cross-thread; ns per block), glibc-xthread (the same with
// malloc/free) and queue-xthread (the queue alone, blocks from a fixed pool, nothing allocated or freed: the queue's
// own cost); create (memkind_create_pmem + malloc 64 B + free + memkind_destroy_kind; ns per kind);
// large-64k/-256k/-1m/-8m (malloc, write one byte every 4 KiB, free; 2048, 512, 64, 4 blocks per round; ns per
// block); default-pair (the pair on MEMKIND_DEFAULT) with glibc-pair.
// Every block's contents are written and checked before it is freed (first and last 8 bytes, or the touched bytes of a
// sampled set of pages for large blocks), so that no contender can skip work.
#define _GNU_SOURCE
#include <memkind.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static memkind_t g_kind;
static long g_checked;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

// CPU time of the calling thread (user + system, page faults included; time spent waiting for a CPU excluded).
static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die_alloc(const char *what, size_t size)
{
    fprintf(stderr, "kindbench: %s(%zu) failed: %s\n", what, size, strerror(errno));
    exit(4);
}

static void die_contents(const char *series, const void *p, size_t size, uint64_t want, uint64_t got)
{
    fprintf(stderr, "kindbench: BLOCK CONTENTS WRONG in %s: block %p of %zu bytes: expected %#llx, found %#llx\n",
            series, p, size, (unsigned long long)want, (unsigned long long)got);
    exit(3);
}

// cpu < 0: not measured (the producer/consumer, whose CPU time is two threads', spinning included).
static void report(const char *series, int round, double ns, long ops, double cpu)
{
    if (round <= 0) return;
    if (cpu >= 0) printf("result\t%s\t%d\t%.3f\t%ld\t%.3f\n", series, round, ns / (double)ops, ops, cpu / (double)ops);
    else printf("result\t%s\t%d\t%.3f\t%ld\t-\n", series, round, ns / (double)ops, ops);
}

// Tags: first and last 8 bytes of a block of at least 16 bytes.
static inline void tag_block(unsigned char *p, size_t size, uint64_t tag)
{
    uint64_t inv = ~tag;
    memcpy(p, &tag, 8);
    memcpy(p + size - 8, &inv, 8);
}

static inline void check_block(const char *series, unsigned char *p, size_t size, uint64_t tag)
{
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, p + size - 8, 8);
    if (__builtin_expect(a != tag, 0)) die_contents(series, p, size, tag, a);
    if (__builtin_expect(b != ~tag, 0)) die_contents(series, p, size, ~tag, b);
}

// The allocators, as inline functions so that each loop below is specialised for one of them (no indirect call).
enum { A_KIND, A_GLIBC, A_NONE };

static inline __attribute__((always_inline)) void *al(int a, size_t n)
{
    return a == A_KIND ? memkind_malloc(g_kind, n) : malloc(n);
}

static inline __attribute__((always_inline)) void fr(int a, void *p)
{
    if (a == A_KIND) memkind_free(g_kind, p);
    else free(p);
}

// ---- pair -------------------------------------------------------------------------------------------------------

enum { PAIR_OPS = 200000, PAIR_SIZE = 64, PAIR_CHUNKS = 20, PAIR_CHUNK = PAIR_OPS / PAIR_CHUNKS };

// One chunk of pairs; adds its wall and CPU time to *wall and *cpu.
static inline __attribute__((always_inline)) void pair_chunk(int a, const char *series, uint64_t first, double *wall, double *cpu)
{
    double c0 = cpu_ns(), t0 = now_ns();
    for (uint64_t i = first; i < first + PAIR_CHUNK; i++) {
        unsigned char *p = al(a, PAIR_SIZE);
        if (__builtin_expect(p == NULL, 0)) die_alloc(series, PAIR_SIZE);
        tag_block(p, PAIR_SIZE, i * 0x9E3779B97F4A7C15ull + 1);
        ESCAPE(p);
        check_block(series, p, PAIR_SIZE, i * 0x9E3779B97F4A7C15ull + 1);
        fr(a, p);
    }
    *wall += now_ns() - t0;
    *cpu += cpu_ns() - c0;
}

static __attribute__((noinline)) void pair_kind(const char *series, uint64_t first, double *wall, double *cpu)
{
    pair_chunk(A_KIND, series, first, wall, cpu);
}

static __attribute__((noinline)) void pair_glibc(uint64_t first, double *wall, double *cpu)
{
    pair_chunk(A_GLIBC, "glibc-pair", first, wall, cpu);
}

// A round: 20 chunks of 10,000 pairs on the kind and 20 of 10,000 with glibc, alternating (which goes first changes
// every chunk), so that the load of other processes falls on both alike; each one's time is the sum of its chunks.
static void run_pair(const char *series, int rounds)
{
    uint64_t n = 0;
    for (int r = 0; r <= rounds; r++) {
        double kw = 0, kc = 0, gw = 0, gc = 0;
        for (int c = 0; c < PAIR_CHUNKS; c++, n += PAIR_CHUNK) {
            if ((r + c) & 1) { pair_kind(series, n, &kw, &kc); pair_glibc(n, &gw, &gc); }
            else { pair_glibc(n, &gw, &gc); pair_kind(series, n, &kw, &kc); }
        }
        g_checked += 2 * PAIR_OPS;
        report(series, r, kw, PAIR_OPS, kc);
        report("glibc-pair", r, gw, PAIR_OPS, gc);
    }
}

// ---- random-size mix ----------------------------------------------------------------------------------------------

enum { MIX_LIVE = 1000, MIX_STEPS = 65536, MIX_OPS = 200000 };

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return *s = x;
}

// One allocator's live set of the mix (the kind's and glibc's run side by side in one process).
struct mix_state {
    unsigned char *live[MIX_LIVE];
    size_t size[MIX_LIVE];
    uint64_t tag[MIX_LIVE];
    uint64_t next_tag;
    int step;
};

static uint16_t g_slot_of[MIX_STEPS], g_size_of[MIX_STEPS];

static inline __attribute__((always_inline)) void mix_fill(int a, const char *series, struct mix_state *m, uint64_t seed)
{
    m->next_tag = 1;
    m->step = 0;
    for (int i = 0; i < MIX_LIVE; i++) {
        size_t n = 16 + xorshift(&seed) % (1024 - 16 + 1);
        m->live[i] = al(a, n);
        if (!m->live[i]) die_alloc(series, n);
        m->size[i] = n;
        m->tag[i] = m->next_tag++ * 0x9E3779B97F4A7C15ull;
        tag_block(m->live[i], n, m->tag[i]);
    }
}

static inline __attribute__((always_inline)) void mix_steps(int a, const char *series, struct mix_state *m, int r)
{
    double c0 = cpu_ns(), t0 = now_ns();
    int step = m->step;
    for (int i = 0; i < MIX_OPS; i++) {
        int s = g_slot_of[step];
        size_t n = g_size_of[step];
        if (++step == MIX_STEPS) step = 0;
        check_block(series, m->live[s], m->size[s], m->tag[s]);
        fr(a, m->live[s]);
        unsigned char *p = al(a, n);
        if (__builtin_expect(p == NULL, 0)) die_alloc(series, n);
        uint64_t t = m->next_tag++ * 0x9E3779B97F4A7C15ull;
        tag_block(p, n, t);
        m->live[s] = p; m->size[s] = n; m->tag[s] = t;
    }
    m->step = step;
    double t = now_ns() - t0, c = cpu_ns() - c0;
    g_checked += MIX_OPS;
    report(series, r, t, MIX_OPS, c);
}

static inline __attribute__((always_inline)) void mix_drain(int a, const char *series, struct mix_state *m)
{
    for (int i = 0; i < MIX_LIVE; i++) {
        check_block(series, m->live[i], m->size[i], m->tag[i]);
        fr(a, m->live[i]);
    }
    g_checked += MIX_LIVE;
}

static __attribute__((noinline)) void mix_kind(struct mix_state *m, int r) { mix_steps(A_KIND, "mix", m, r); }
static __attribute__((noinline)) void mix_glibc(struct mix_state *m, int r) { mix_steps(A_GLIBC, "glibc-mix", m, r); }

// The kind's mix and glibc's (the reference: the loop's own cost, cache misses on the live blocks included) in
// alternate order every round, the same slots and sizes for both.
static void run_mix(int rounds)
{
    static struct mix_state kind_state, glibc_state;
    uint64_t seed = 0x2545F4914F6CDD1Dull;
    for (int i = 0; i < MIX_STEPS; i++) {
        g_slot_of[i] = (uint16_t)(xorshift(&seed) % MIX_LIVE);
        g_size_of[i] = (uint16_t)(16 + xorshift(&seed) % (1024 - 16 + 1));
    }
    mix_fill(A_KIND, "mix", &kind_state, seed);
    mix_fill(A_GLIBC, "glibc-mix", &glibc_state, seed);
    for (int r = 0; r <= rounds; r++) {
        if (r & 1) { mix_kind(&kind_state, r); mix_glibc(&glibc_state, r); }
        else { mix_glibc(&glibc_state, r); mix_kind(&kind_state, r); }
    }
    mix_drain(A_KIND, "mix", &kind_state);
    mix_drain(A_GLIBC, "glibc-mix", &glibc_state);
}

// ---- 2-thread producer/consumer -----------------------------------------------------------------------------------

enum { RING = 1024, XT_OPS = 50000, XT_SIZE = 64, SPINS = 256 };

// A single-producer single-consumer ring. Each side keeps a cached copy of the other side's index, reloaded only when
// the ring looks full (producer) or empty (consumer), and publishes its own index every BATCH steps, before it waits,
// and at the end of a round; so the index lines move between the cores about once per BATCH blocks, not per block.
enum { BATCH = 32 };
static struct {
    _Alignas(64) _Atomic uint64_t head;          // written by the producer
    _Alignas(64) _Atomic uint64_t tail;          // written by the consumer
    _Alignas(64) void *slot[RING];
} g_ring;

static pthread_barrier_t g_start, g_end;
static int g_xt_rounds;
static _Atomic int g_xt_alloc;                   // A_KIND, A_GLIBC or A_NONE, set by main before each round
// A_NONE: the queue alone. The producer tags blocks of a preallocated pool (2 * RING blocks, used round robin: block
// i is written only after block i - RING was popped, so block i - 2 * RING, in the same pool slot, was checked) and the
// consumer checks them and frees nothing.
static unsigned char g_pool[2 * RING][XT_SIZE] __attribute__((aligned(64)));
static _Atomic int g_pinned;

static inline void backoff(int *spins)
{
    if (++*spins >= SPINS) { *spins = 0; sched_yield(); }
    else __builtin_ia32_pause();
}

// Producer side: wait until slot `head` is free.
static inline void wait_space(uint64_t head, uint64_t *tail)
{
    int spins = 0;
    if (head - *tail < RING) return;
    atomic_store_explicit(&g_ring.head, head, memory_order_release);
    for (;;) {
        *tail = atomic_load_explicit(&g_ring.tail, memory_order_acquire);
        if (head - *tail < RING) return;
        backoff(&spins);
    }
}

static inline __attribute__((always_inline)) void produce(int a, uint64_t base)
{
    uint64_t head = atomic_load_explicit(&g_ring.head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&g_ring.tail, memory_order_acquire);
    for (uint64_t i = 0; i < XT_OPS; i++) {
        unsigned char *p;
        if (a == A_NONE) {
            wait_space(head, &tail);
            p = g_pool[head & (2 * RING - 1)];
        } else {
            p = al(a, XT_SIZE);
            if (__builtin_expect(p == NULL, 0)) die_alloc("xthread", XT_SIZE);
        }
        tag_block(p, XT_SIZE, (base + i) * 0x9E3779B97F4A7C15ull + 7);
        wait_space(head, &tail);
        g_ring.slot[head & (RING - 1)] = p;
        if (++head % BATCH == 0) atomic_store_explicit(&g_ring.head, head, memory_order_release);
    }
    atomic_store_explicit(&g_ring.head, head, memory_order_release);
}

static inline __attribute__((always_inline)) void consume(int a, uint64_t base, const char *series)
{
    uint64_t tail = atomic_load_explicit(&g_ring.tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&g_ring.head, memory_order_acquire);
    for (uint64_t i = 0; i < XT_OPS; i++) {
        if (head == tail) {
            int spins = 0;
            atomic_store_explicit(&g_ring.tail, tail, memory_order_release);
            for (;;) {
                head = atomic_load_explicit(&g_ring.head, memory_order_acquire);
                if (head != tail) break;
                backoff(&spins);
            }
        }
        unsigned char *p = g_ring.slot[tail & (RING - 1)];
        if (++tail % BATCH == 0) atomic_store_explicit(&g_ring.tail, tail, memory_order_release);
        check_block(series, p, XT_SIZE, (base + i) * 0x9E3779B97F4A7C15ull + 7);
        if (a != A_NONE) fr(a, p);
    }
    atomic_store_explicit(&g_ring.tail, tail, memory_order_release);
}

// With at least 2 CPUs allowed, the producer runs on the first and the consumer on the second (so that every free
// really comes from another core; unpinned, the scheduler sometimes puts both on one core and the queue gets cheap).
static void pin(int which)
{
    cpu_set_t allowed, one;
    if (sched_getaffinity(0, sizeof allowed, &allowed) || CPU_COUNT(&allowed) < 2) return;
    int seen = 0;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &allowed)) continue;
        if (seen++ == which) {
            CPU_ZERO(&one);
            CPU_SET(c, &one);
            if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0) atomic_fetch_add(&g_pinned, 1);
            return;
        }
    }
}

static void *producer(void *arg)
{
    (void)arg;
    pin(0);
    for (int r = 0; r < 3 * (g_xt_rounds + 1); r++) {
        pthread_barrier_wait(&g_start);
        int a = atomic_load(&g_xt_alloc);
        if (a == A_KIND) produce(A_KIND, (uint64_t)r * XT_OPS);
        else if (a == A_GLIBC) produce(A_GLIBC, (uint64_t)r * XT_OPS);
        else produce(A_NONE, (uint64_t)r * XT_OPS);
        pthread_barrier_wait(&g_end);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    pin(1);
    for (int r = 0; r < 3 * (g_xt_rounds + 1); r++) {
        pthread_barrier_wait(&g_start);
        int a = atomic_load(&g_xt_alloc);
        if (a == A_KIND) consume(A_KIND, (uint64_t)r * XT_OPS, "xthread");
        else if (a == A_GLIBC) consume(A_GLIBC, (uint64_t)r * XT_OPS, "glibc-xthread");
        else consume(A_NONE, (uint64_t)r * XT_OPS, "queue-xthread");
        pthread_barrier_wait(&g_end);
    }
    return NULL;
}

static void run_xthread(int rounds)
{
    g_xt_rounds = rounds;
    pthread_barrier_init(&g_start, NULL, 3);
    pthread_barrier_init(&g_end, NULL, 3);
    pthread_t pt, ct;
    if (pthread_create(&pt, NULL, producer, NULL) || pthread_create(&ct, NULL, consumer, NULL)) {
        fprintf(stderr, "kindbench: pthread_create failed\n");
        exit(4);
    }
    for (int r = 0; r <= rounds; r++) {
        for (int third = 0; third < 3; third++) {
            int a = (r + third) % 3;             // the order rotates from round to round
            atomic_store(&g_xt_alloc, a);
            pthread_barrier_wait(&g_start);
            double t0 = now_ns();
            pthread_barrier_wait(&g_end);
            double t = now_ns() - t0;
            g_checked += XT_OPS;
            report(a == A_KIND ? "xthread" : a == A_GLIBC ? "glibc-xthread" : "queue-xthread", r, t, XT_OPS, -1);
        }
    }
    pthread_join(pt, NULL);
    pthread_join(ct, NULL);
    printf("pinned\t%d\n", g_pinned);
}

// ---- kind create + destroy ----------------------------------------------------------------------------------------

enum { CREATE_OPS = 10 };

static void run_create(const char *dir, int rounds)
{
    for (int r = 0; r <= rounds; r++) {
        double c0 = cpu_ns(), t0 = now_ns();
        for (int i = 0; i < CREATE_OPS; i++) {
            memkind_t k;
            int err = memkind_create_pmem(dir, 0, &k);
            if (err) {
                char msg[MEMKIND_ERROR_MESSAGE_SIZE];
                memkind_error_message(err, msg, sizeof msg);
                fprintf(stderr, "kindbench: memkind_create_pmem(%s) failed (%d): %s\n", dir, err, msg);
                exit(4);
            }
            unsigned char *p = memkind_malloc(k, 64);
            if (!p) die_alloc("create: memkind_malloc", 64);
            tag_block(p, 64, (uint64_t)r * 1000 + i + 11);
            ESCAPE(p);
            check_block("create", p, 64, (uint64_t)r * 1000 + i + 11);
            memkind_free(k, p);
            err = memkind_destroy_kind(k);
            if (err) {
                fprintf(stderr, "kindbench: memkind_destroy_kind failed (%d)\n", err);
                exit(4);
            }
        }
        double t = now_ns() - t0, c = cpu_ns() - c0;
        g_checked += CREATE_OPS;
        report("create", r, t, CREATE_OPS, c);
    }
}

// ---- large blocks -------------------------------------------------------------------------------------------------

enum { PAGE = 4096 };

static void run_large(int rounds)
{
    static const struct { size_t size; long count; const char *name; } sizes[] = {
        { 64 << 10, 2048, "large-64k" }, { 256 << 10, 512, "large-256k" }, { 1 << 20, 64, "large-1m" }, { 8 << 20, 4, "large-8m" },
    };
    for (int r = 0; r <= rounds; r++) {
        for (int z = 0; z < 4; z++) {
            size_t size = sizes[z].size, pages = size / PAGE;
            long count = sizes[z].count;
            double c0 = cpu_ns(), t0 = now_ns();
            for (long b = 0; b < count; b++) {
                unsigned char *p = memkind_malloc(g_kind, size);
                if (__builtin_expect(p == NULL, 0)) die_alloc(sizes[z].name, size);
                unsigned char v = (unsigned char)(b * 31 + r * 7 + 1);
                for (size_t pg = 0; pg < pages; pg++) p[pg * PAGE] = (unsigned char)(v + pg);
                ESCAPE(p);
                // Check the first, the middle and the last touched byte (the whole block is checked every 16th block).
                size_t step = (b & 15) == 0 ? 1 : pages / 2 > 0 ? pages / 2 : 1;
                for (size_t pg = 0; pg < pages; pg += step) {
                    if (p[pg * PAGE] != (unsigned char)(v + pg)) die_contents(sizes[z].name, p, size, (unsigned char)(v + pg), p[pg * PAGE]);
                }
                if (p[(pages - 1) * PAGE] != (unsigned char)(v + pages - 1))
                    die_contents(sizes[z].name, p, size, (unsigned char)(v + pages - 1), p[(pages - 1) * PAGE]);
                memkind_free(g_kind, p);
            }
            double t = now_ns() - t0, c = cpu_ns() - c0;
            g_checked += count;
            report(sizes[z].name, r, t, count, c);
        }
    }
}

// ---- main ---------------------------------------------------------------------------------------------------------

static void print_lib(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int found = 0;
    if (f) {
        while (fgets(line, sizeof line, f)) {
            char *path = strchr(line, '/');
            if (!path || !strstr(path, "libmemkind")) continue;
            path[strcspn(path, "\n")] = 0;
            printf("lib\t%s\n", path);
            found = 1;
            break;
        }
        fclose(f);
    }
    if (!found) printf("lib\tNOT FOUND\n");
    printf("version\t%d\n", memkind_get_version());
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s pair|mix|xthread|create|large|default-pair DIR ROUNDS\n", argv[0]);
        return 2;
    }
    const char *w = argv[1], *dir = argv[2];
    int rounds = atoi(argv[3]);
    if (rounds < 1) { fprintf(stderr, "kindbench: ROUNDS must be >= 1\n"); return 2; }
    setvbuf(stdout, NULL, _IOLBF, 0);
    print_lib();

    int needs_kind = strcmp(w, "create") != 0 && strcmp(w, "default-pair") != 0;
    if (needs_kind) {
        int err = memkind_create_pmem(dir, 0, &g_kind);
        if (err) {
            char msg[MEMKIND_ERROR_MESSAGE_SIZE];
            memkind_error_message(err, msg, sizeof msg);
            fprintf(stderr, "kindbench: memkind_create_pmem(%s) failed (%d): %s\n", dir, err, msg);
            return 4;
        }
    }
    if (!strcmp(w, "pair")) run_pair("pair", rounds);
    else if (!strcmp(w, "default-pair")) { g_kind = MEMKIND_DEFAULT; run_pair("default-pair", rounds); }
    else if (!strcmp(w, "mix")) run_mix(rounds);
    else if (!strcmp(w, "xthread")) run_xthread(rounds);
    else if (!strcmp(w, "create")) run_create(dir, rounds);
    else if (!strcmp(w, "large")) run_large(rounds);
    else { fprintf(stderr, "kindbench: unknown workload %s\n", w); return 2; }
    if (needs_kind) {
        int err = memkind_destroy_kind(g_kind);
        if (err) { fprintf(stderr, "kindbench: memkind_destroy_kind failed (%d)\n", err); return 4; }
    }
    printf("checked\t%ld\n", g_checked);
    return 0;
}
