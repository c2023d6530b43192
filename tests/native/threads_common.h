// Producer/consumer threads over one kind: each thread allocates blocks and hands them to the next thread, which
// checks their contents and frees them. Used by thread_tests.cpp and ours_tests.cpp.
#pragma once

#include "common.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace
{
struct Block {
    unsigned char *p;
    size_t size;
    unsigned seed;
};

// A bounded queue: producers wait when it is full, so memory stays bounded.
class Queue
{
public:
    void push(Block b)
    {
        std::unique_lock<std::mutex> l(m_);
        not_full_.wait(l, [&] { return q_.size() < 256; });
        q_.push_back(b);
        not_empty_.notify_one();
    }
    bool pop(Block &b)
    {
        std::unique_lock<std::mutex> l(m_);
        not_empty_.wait(l, [&] { return !q_.empty() || closed_; });
        if (q_.empty()) return false;
        b = q_.front();
        q_.pop_front();
        not_full_.notify_one();
        return true;
    }
    void close()
    {
        std::lock_guard<std::mutex> l(m_);
        closed_ = true;
        not_empty_.notify_all();
    }

private:
    std::mutex m_;
    std::condition_variable not_empty_, not_full_;
    std::deque<Block> q_;
    bool closed_ = false;
};

inline size_t size_for(unsigned i)
{
    static const size_t sizes[] = {8, 24, 100, 300, 1000, 4096, 5000, 20000, 70000, 300000};
    return sizes[(i * 2654435761u >> 7) % 10];
}
} // namespace

static inline void producer_consumer(memkind_t kind, int threads, int per_thread)
{
    std::vector<Queue> queues(threads);
    std::atomic<long> bad{0}, wrong_kind{0}, alloc_fail{0}, consumed{0};
    std::vector<std::thread> producers, consumers;
    for (int t = 0; t < threads; t++) {
        // Thread t consumes queue t: blocks made by thread t-1, freed here.
        consumers.emplace_back([&, t] {
            Block b;
            while (queues[t].pop(b)) {
                if (!check_pattern(b.p, b.size, b.seed)) bad++;
                if (memkind_detect_kind(b.p) != kind) wrong_kind++;
                memkind_free((b.seed & 1) ? kind : nullptr, b.p);
                consumed++;
            }
        });
        producers.emplace_back([&, t] {
            Queue &out = queues[(t + 1) % threads];
            for (int i = 0; i < per_thread; i++) {
                unsigned seed = (unsigned)(t * per_thread + i);
                size_t size = size_for(seed);
                unsigned char *p = static_cast<unsigned char *>(memkind_malloc(kind, size));
                if (!p) {
                    alloc_fail++;
                    continue;
                }
                fill_pattern(p, size, seed);
                out.push({p, size, seed});
            }
        });
    }
    for (auto &p : producers) p.join();
    for (auto &q : queues) q.close();
    for (auto &c : consumers) c.join();
    EXPECT_EQ(0, alloc_fail.load());
    EXPECT_EQ(0, bad.load()) << "blocks whose contents changed between threads";
    EXPECT_EQ(0, wrong_kind.load());
    EXPECT_EQ((long)threads * per_thread, consumed.load());
}

