// Threads: allocating in one kind and freeing each other's blocks, first calls from fresh threads, kinds destroyed
// after their threads exited. Holds on Debian's libmemkind 1.14 and on ours.
#include "threads_common.h"

#include <pthread.h>

TEST(Threads, FourThreadsFreeEachOthersBlocksInOnePmemKind)
{
    memkind_t kind = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), 0, &kind));
    producer_consumer(kind, 4, 8000);
    size_t allocated = 1;
    memkind_update_cached_stats();
    EXPECT_EQ(0, memkind_get_stat(kind, MEMKIND_STAT_TYPE_ALLOCATED, &allocated));
    EXPECT_EQ(0u, allocated) << "every block was freed";
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
}

TEST(Threads, FourThreadsFreeEachOthersBlocksInALimitedConservativeKind)
{
    // On the test directory (default /tmp, ext4). The same on tmpfs is in ours_tests: Debian's library crashes there.
    struct memkind_config *cfg = memkind_config_new();
    memkind_config_set_path(cfg, test_dir());
    memkind_config_set_size(cfg, 512 * MiB);
    memkind_config_set_memory_usage_policy(cfg, MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
    memkind_t kind = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem_with_config(cfg, &kind));
    memkind_config_delete(cfg);
    producer_consumer(kind, 4, 1500); // every free punches a hole: slow on ext4 for both libraries
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
}

TEST(Threads, BlocksOfTwoKindsCrossThreadsAndAreFreedWithNullKind)
{
    // Four threads allocate alternately in two kinds (test directory and /dev/shm) and hand their blocks round;
    // the consumers free through the NULL kind (detection) half of the time.
    memkind_t a = nullptr, b = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), 0, &a));
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem("/dev/shm", 256 * MiB, &b));
    struct Item {
        unsigned char *p;
        size_t size;
        unsigned seed;
        memkind_t kind;
    };
    std::mutex m;
    std::vector<std::deque<Item>> q(4);
    std::atomic<long> bad{0}, done{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; t++)
        ts.emplace_back([&, t] {
            for (int i = 0; i < 4000; i++) {
                unsigned seed = (unsigned)(t * 100000 + i);
                memkind_t k = (i % 2) ? a : b;
                size_t size = size_for(seed);
                unsigned char *p = static_cast<unsigned char *>(memkind_malloc(k, size));
                if (!p) {
                    bad++;
                    continue;
                }
                fill_pattern(p, size, seed);
                std::deque<Item> mine;
                {
                    std::lock_guard<std::mutex> l(m);
                    q[(t + 1) % 4].push_back(Item{p, size, seed, k});
                    mine.swap(q[t]);
                }
                for (Item &it : mine) {
                    if (!check_pattern(it.p, it.size, it.seed) || memkind_detect_kind(it.p) != it.kind) bad++;
                    memkind_free((it.seed & 1) ? nullptr : it.kind, it.p);
                    done++;
                }
            }
        });
    for (auto &t : ts) t.join();
    for (auto &dq : q)
        for (Item &it : dq) {
            if (!check_pattern(it.p, it.size, it.seed)) bad++;
            memkind_free(nullptr, it.p);
            done++;
        }
    EXPECT_EQ(0, bad.load());
    EXPECT_EQ(16000, done.load());
    size_t va = 1, vb = 1;
    memkind_update_cached_stats();
    EXPECT_EQ(0, memkind_get_stat(a, MEMKIND_STAT_TYPE_ALLOCATED, &va));
    EXPECT_EQ(0, memkind_get_stat(b, MEMKIND_STAT_TYPE_ALLOCATED, &vb));
    EXPECT_EQ(0u, va);
    EXPECT_EQ(0u, vb);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(a));
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(b));
}

TEST(Threads, DefaultKindAcrossThreads)
{
    producer_consumer(MEMKIND_DEFAULT, 4, 5000);
}

TEST(Threads, FreshThreadsMakeTheirFirstCall)
{
    PmemKind k(test_dir(), 64 * MiB);
    ASSERT_EQ(0, k.err);
    // Many short-lived threads, each calling the library for the first (and only) time; their blocks outlive
    // them and are freed by the main thread.
    std::vector<void *> left(64, nullptr);
    std::atomic<int> failures{0};
    for (int round = 0; round < 4; round++) {
        std::vector<std::thread> ts;
        for (int i = 0; i < 16; i++)
            ts.emplace_back([&, round, i] {
                int slot = round * 16 + i;
                void *p = memkind_malloc(k, 1000 + slot);
                if (!p || memkind_detect_kind(p) != k.kind) {
                    failures++;
                    return;
                }
                fill_pattern(p, 1000 + slot, (unsigned)slot);
                left[slot] = p;
            });
        for (auto &t : ts) t.join();
    }
    EXPECT_EQ(0, failures.load());
    for (int slot = 0; slot < 64; slot++) {
        ASSERT_NE(nullptr, left[slot]);
        EXPECT_TRUE(check_pattern(left[slot], 1000 + slot, (unsigned)slot));
        memkind_free(k, left[slot]);
    }
}

static void *raw_thread(void *arg)
{
    // A plain pthread (not std::thread) whose only call frees a block made elsewhere and allocates one.
    void **slot = static_cast<void **>(arg);
    memkind_free(nullptr, *slot);
    *slot = memkind_malloc(MEMKIND_DEFAULT, 64);
    return nullptr;
}

TEST(Threads, FirstCallIsAFreeOnARawPthread)
{
    PmemKind k("/dev/shm", 0);
    ASSERT_EQ(0, k.err);
    for (int i = 0; i < 20; i++) {
        void *slot = memkind_malloc(k, 5000);
        ASSERT_NE(nullptr, slot);
        pthread_t t;
        ASSERT_EQ(0, pthread_create(&t, nullptr, raw_thread, &slot));
        ASSERT_EQ(0, pthread_join(t, nullptr));
        ASSERT_NE(nullptr, slot);
        EXPECT_EQ(MEMKIND_DEFAULT, memkind_detect_kind(slot));
        memkind_free(MEMKIND_DEFAULT, slot);
    }
    size_t allocated = 1;
    memkind_update_cached_stats();
    EXPECT_EQ(0, memkind_get_stat(k, MEMKIND_STAT_TYPE_ALLOCATED, &allocated));
    EXPECT_EQ(0u, allocated);
}

TEST(Threads, KindDestroyedAfterItsThreadsExited)
{
    int fds = baseline_fds();
    for (int round = 0; round < 5; round++) {
        memkind_t kind = nullptr;
        ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(round % 2 ? "/dev/shm" : test_dir(), 0, &kind));
        std::vector<std::thread> ts;
        std::atomic<int> failures{0};
        for (int t = 0; t < 4; t++)
            ts.emplace_back([&, t] {
                std::vector<void *> mine;
                for (int i = 0; i < 2000; i++) {
                    void *p = memkind_malloc(kind, size_for((unsigned)(t * 2000 + i)));
                    if (!p) failures++;
                    else mine.push_back(p);
                }
                // Free half; leave the rest live in the kind when the thread exits.
                for (size_t i = 0; i < mine.size(); i += 2) memkind_free(kind, mine[i]);
            });
        for (auto &t : ts) t.join();
        EXPECT_EQ(0, failures.load());
        EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
    }
    EXPECT_EQ(fds, count_open_fds());
}

TEST(Threads, KindsCreatedAndDestroyedConcurrently)
{
    int fds = baseline_fds();
    std::atomic<int> failures{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; t++)
        ts.emplace_back([&, t] {
            for (int i = 0; i < 25; i++) {
                memkind_t kind = nullptr;
                if (memkind_create_pmem(t % 2 ? "/dev/shm" : test_dir(), 16 * MiB, &kind) != 0) {
                    failures++;
                    continue;
                }
                void *p = memkind_malloc(kind, 100 + i);
                if (!p || memkind_detect_kind(p) != kind) failures++;
                memkind_free(kind, p);
                if (memkind_destroy_kind(kind) != 0) failures++;
            }
        });
    for (auto &t : ts) t.join();
    EXPECT_EQ(0, failures.load());
    EXPECT_EQ(fds, count_open_fds());
}

TEST(Threads, ThirtyTwoThreadsAtOnce)
{
    PmemKind k("/dev/shm", 0);
    ASSERT_EQ(0, k.err);
    std::atomic<int> bad{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> ts;
    for (int t = 0; t < 32; t++)
        ts.emplace_back([&, t] {
            while (!go.load()) std::this_thread::yield();
            std::vector<void *> mine;
            for (int i = 0; i < 1000; i++) {
                size_t s = size_for((unsigned)(t * 1000 + i)) % 5000 + 1;
                unsigned char *p = static_cast<unsigned char *>(memkind_malloc(i % 3 ? k.kind : MEMKIND_DEFAULT, s));
                if (!p) {
                    bad++;
                    continue;
                }
                fill_pattern(p, s, (unsigned)(t * 1000 + i));
                mine.push_back(p);
            }
            for (size_t i = 0; i < mine.size(); i++) {
                size_t s = size_for((unsigned)(t * 1000 + i)) % 5000 + 1;
                if (!check_pattern(mine[i], s, (unsigned)(t * 1000 + i))) bad++;
                memkind_free(nullptr, mine[i]);
            }
        });
    go = true;
    for (auto &t : ts) t.join();
    EXPECT_EQ(0, bad.load());
    size_t v = 1;
    memkind_update_cached_stats();
    EXPECT_EQ(0, memkind_get_stat(k, MEMKIND_STAT_TYPE_ALLOCATED, &v));
    EXPECT_EQ(0u, v);
}

TEST(Threads, SpaceOfExitedThreadsIsReused)
{
    // Each round a new thread fills 8 MiB of a 16 MiB kind and exits; the main thread frees its blocks. Fifteen rounds
    // need 120 MiB: only reuse of what the exited threads held makes that fit. (On /dev/shm: under the Conservative
    // policy every free punches a hole, which ext4 makes slow.)
    for (int policy = 0; policy < 2; policy++) {
        struct memkind_config *cfg = memkind_config_new();
        memkind_config_set_path(cfg, "/dev/shm");
        memkind_config_set_size(cfg, 16 * MiB);
        memkind_config_set_memory_usage_policy(cfg, (memkind_mem_usage_policy)policy);
        memkind_t kind = nullptr;
        ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem_with_config(cfg, &kind));
        memkind_config_delete(cfg);
        for (int round = 0; round < 15; round++) {
            std::vector<void *> blocks;
            int failed = 0;
            std::thread t([&] {
                for (int i = 0; i < 2000; i++) {
                    void *p = memkind_malloc(kind, 4096);
                    if (!p) {
                        failed++;
                        continue;
                    }
                    memset(p, round, 4096);
                    blocks.push_back(p);
                }
            });
            t.join();
            ASSERT_EQ(0, failed) << "round " << round << " policy " << policy;
            for (void *p : blocks) memkind_free(kind, p);
        }
        EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
    }
}
