// C++ containers on a pmem kind through memkind's libmemkind::pmem::allocator (pmem_allocator.h from Debian's
// libmemkind-dev). run.sh copies that header next to the build so that its #include "memkind.h" resolves to the
// memkind.h of the library under test: compiling this file also checks that our header is compatible with it.
#include "common.h"

#include "pmem_allocator.h"

#include <algorithm>
#include <list>
#include <map>
#include <numeric>
#include <scoped_allocator>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

using libmemkind::pmem::allocator;

template <typename T> using pvector = std::vector<T, allocator<T>>;
template <typename T> using plist = std::list<T, allocator<T>>;
using pstring = std::basic_string<char, std::char_traits<char>, allocator<char>>;

// The kind that owns ptr is a pmem kind of ours (named "pmem%08x"), not DEFAULT.
static void expect_pmem(const void *ptr)
{
    memkind_t k = memkind_detect_kind(const_cast<void *>(ptr));
    ASSERT_NE(nullptr, k);
    EXPECT_NE(MEMKIND_DEFAULT, k);
    EXPECT_EQ(0, strncmp(K(k)->name, "pmem", 4)) << K(k)->name;
}

TEST(PmemAllocator, VectorOfInt)
{
    allocator<int> alc(test_dir(), 0);
    pvector<int> v(alc);
    for (int i = 0; i < 1000000; i++) v.push_back(i);
    expect_pmem(v.data());
    EXPECT_EQ(1000000u, v.size());
    long long sum = std::accumulate(v.begin(), v.end(), 0LL);
    EXPECT_EQ(999999LL * 1000000 / 2, sum);
    v.resize(10);
    v.shrink_to_fit();
    expect_pmem(v.data());
    EXPECT_EQ(9, v.back());
}

TEST(PmemAllocator, ListAndMapAndString)
{
    allocator<char> alc(test_dir(), 64 * MiB);
    plist<int> l(alc);
    for (int i = 0; i < 10000; i++) l.push_back(i);
    l.sort([](int a, int b) { return a > b; });
    EXPECT_EQ(9999, l.front());
    expect_pmem(&l.front());

    using pmap = std::map<int, pstring, std::less<int>, allocator<std::pair<const int, pstring>>>;
    pmap m(alc);
    for (int i = 0; i < 5000; i++)
        m.emplace(i, pstring("value number " + std::to_string(i) + " long enough for the heap", alc));
    EXPECT_EQ(5000u, m.size());
    EXPECT_EQ("value number 4321 long enough for the heap", std::string(m.at(4321).c_str()));
    expect_pmem(&*m.begin());
    expect_pmem(m.at(17).data());

    pstring s(alc);
    for (int i = 0; i < 100000; i++) s += (char)('a' + i % 26);
    expect_pmem(s.data());
    EXPECT_EQ(100000u, s.size());
    EXPECT_EQ('a' + 99999 % 26, s.back());
}

TEST(PmemAllocator, ScopedAllocatorVectorOfStrings)
{
    using inner = std::scoped_allocator_adaptor<allocator<pstring>>;
    allocator<pstring> alc(test_dir(), 0);
    std::vector<pstring, inner> v{inner(alc)};
    for (int i = 0; i < 2000; i++) v.emplace_back("a string of some length, number " + std::to_string(i));
    expect_pmem(v.data());
    expect_pmem(v[1999].data()); // the strings' buffers come from the same allocator
    EXPECT_EQ("a string of some length, number 1999", std::string(v[1999].c_str()));
}

TEST(PmemAllocator, UnorderedMapRehashes)
{
    using pumap = std::unordered_map<int, int, std::hash<int>, std::equal_to<int>, allocator<std::pair<const int, int>>>;
    allocator<int> alc("/dev/shm", 0, libmemkind::allocation_policy::CONSERVATIVE);
    pumap m(16, std::hash<int>(), std::equal_to<int>(), alc);
    for (int i = 0; i < 100000; i++) m[i] = i * 3;
    for (int i = 0; i < 100000; i += 997) EXPECT_EQ(i * 3, m.at(i));
    for (int i = 0; i < 100000; i += 2) m.erase(i);
    EXPECT_EQ(50000u, m.size());
}

TEST(PmemAllocator, CopiesShareTheKindAndCompareEqual)
{
    allocator<int> a(test_dir(), 0);
    allocator<int> b(a);
    allocator<long> c(a); // rebind copy
    allocator<int> d(test_dir(), 0);
    EXPECT_TRUE(a == b);
    EXPECT_TRUE(a == allocator<int>(c));
    EXPECT_FALSE(a == d);
    EXPECT_TRUE(a != d);
    int *p = a.allocate(10), *q = b.allocate(10);
    EXPECT_EQ(memkind_detect_kind(p), memkind_detect_kind(q));
    int *r = d.allocate(10);
    EXPECT_NE(memkind_detect_kind(p), memkind_detect_kind(r));
    b.deallocate(p, 10); // freed through the other copy
    a.deallocate(q, 10);
    d.deallocate(r, 10);
}

TEST(PmemAllocator, KindLivesAsLongAsTheLastCopy)
{
    const int fds = baseline_fds();
    {
        pvector<int> v{allocator<int>(test_dir(), 0)};
        EXPECT_EQ(fds + 1, count_open_fds()) << "the allocator's kind holds one file";
        v.assign(1000, 7);
        pvector<int> w(v); // copies share the kind
        pvector<int> x(std::move(v));
        EXPECT_EQ(fds + 1, count_open_fds());
        EXPECT_EQ(7, w[999]);
        EXPECT_EQ(7, x[999]);
    }
    EXPECT_EQ(fds, count_open_fds()) << "destroyed with the last allocator";
}

TEST(PmemAllocator, BadArgumentsThrowInvalidArgument)
{
    EXPECT_THROW(allocator<int>(test_dir(), MEMKIND_PMEM_MIN_SIZE - 1), std::invalid_argument);
    EXPECT_THROW(allocator<int>("/nonexistent-memkinds-dir", 0), std::invalid_argument);
    EXPECT_THROW(allocator<int>(test_dir(), 0, libmemkind::allocation_policy::MAX), std::invalid_argument);
    EXPECT_NO_THROW(allocator<int>(std::string(test_dir()), MEMKIND_PMEM_MIN_SIZE));
}

TEST(PmemAllocator, ExhaustedKindThrowsBadAlloc)
{
    allocator<char> alc(test_dir(), MEMKIND_PMEM_MIN_SIZE);
    std::vector<std::unique_ptr<pvector<char>>> keep;
    bool thrown = false;
    try {
        for (int i = 0; i < 100; i++) {
            keep.emplace_back(new pvector<char>(alc));
            keep.back()->resize(1 * MiB);
        }
    } catch (const std::bad_alloc &) {
        thrown = true;
    }
    EXPECT_TRUE(thrown) << "100 MiB do not fit in a 16 MiB kind";
    EXPECT_GT(keep.size(), 5u);
    EXPECT_THROW(pvector<char>(64 * MiB, 'x', alc), std::bad_alloc);
}
