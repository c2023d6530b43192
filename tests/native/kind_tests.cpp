// Creating and destroying kinds, the struct fields of a pmem kind, detect_kind, check_dax_path, create_kind,
// create_fixed and get_kind_by_partition. Holds on Debian's libmemkind 1.14 and on ours.
#include "common.h"

#include <sys/statvfs.h>

#include <set>

static std::string real_dir(const char *d)
{
    char buf[PATH_MAX];
    return realpath(d, buf) ? std::string(buf) : std::string(d);
}

static std::string expected_name(int fd)
{
    char buf[32];
    snprintf(buf, sizeof buf, "pmem%08x", fd);
    return buf;
}

// ---- memkind_create_pmem: arguments ---------------------------------------------------------------------------

TEST(CreatePmem, SizeZeroIsUnlimited)
{
    memkind_t kind = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), 0, &kind));
    ASSERT_NE(nullptr, kind);
    EXPECT_EQ(0u, P(kind)->max_size);
    void *p = memkind_malloc(kind, 40 * MiB);
    EXPECT_NE(nullptr, p) << "an unlimited kind serves more than the 16 MiB minimum";
    memkind_free(kind, p);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
}

TEST(CreatePmem, SizeBelowMinimumIsInvalid)
{
    const size_t sizes[] = {1, 4096, 2 * MiB, MEMKIND_PMEM_MIN_SIZE - 1};
    for (size_t s : sizes) {
        memkind_t kind = nullptr;
        int fds = baseline_fds();
        EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_create_pmem(test_dir(), s, &kind)) << "size " << s;
        EXPECT_EQ(fds, count_open_fds()) << "a refused create leaves no descriptor open";
    }
}

TEST(CreatePmem, MinimumSizeIsAccepted)
{
    memkind_t kind = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), MEMKIND_PMEM_MIN_SIZE, &kind));
    EXPECT_EQ((size_t)MEMKIND_PMEM_MIN_SIZE, P(kind)->max_size);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
}

TEST(CreatePmem, MaxSizeIsRoundedUpToTwoMiB)
{
    const size_t sizes[] = {16 * MiB + 1, 17 * MiB, 33 * MiB - 1, 100 * MiB, 100 * MiB + 4096};
    for (size_t s : sizes) {
        PmemKind k(test_dir(), s);
        ASSERT_EQ(MEMKIND_SUCCESS, k.err);
        EXPECT_EQ((s + CHUNK - 1) / CHUNK * CHUNK, P(k)->max_size) << "size " << s;
        EXPECT_EQ((ssize_t)P(k)->max_size, memkind_get_capacity(k)) << "capacity of a limited kind is max_size";
    }
}

TEST(CreatePmem, NonexistentDirectoryFailsWithEnoent)
{
    memkind_t kind = nullptr;
    int fds = baseline_fds();
    errno = 0;
    EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_create_pmem("/nonexistent-memkinds-dir", 0, &kind));
    EXPECT_EQ(ENOENT, errno);
    errno = 0;
    EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_create_pmem("/nonexistent-memkinds-dir", 32 * MiB, &kind));
    EXPECT_EQ(ENOENT, errno);
    EXPECT_EQ(fds, count_open_fds());
}

TEST(CreatePmem, FileInsteadOfDirectoryFailsWithEnotdir)
{
    std::string f = std::string(test_dir()) + "/memkinds-native-notadir-XXXXXX";
    int fd = mkstemp(&f[0]);
    ASSERT_GE(fd, 0);
    close(fd);
    memkind_t kind = nullptr;
    errno = 0;
    EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_create_pmem(f.c_str(), 0, &kind));
    EXPECT_EQ(ENOTDIR, errno);
    unlink(f.c_str());
}

TEST(CreatePmem, TooLongPathIsInvalid)
{
    std::string longdir(PATH_MAX + 100, 'a');
    longdir[0] = '/';
    memkind_t kind = nullptr;
    const int fds = baseline_fds();
    EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_create_pmem(longdir.c_str(), 0, &kind));
    EXPECT_EQ(fds, count_open_fds());
}

// ---- the kind's fields ------------------------------------------------------------------------------------------

class PmemFields : public ::testing::TestWithParam<const char *>
{};

TEST_P(PmemFields, PrivAndNameMatchTheV114Layout)
{
    const char *dir = GetParam();
    if (strcmp(dir, "TESTDIR") == 0) dir = test_dir();
    ASSERT_TRUE(dir_exists(dir)) << dir;
    const size_t size = 17 * MiB;
    memkind_t kind = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(dir, size, &kind));
    ASSERT_NE(nullptr, kind);
    mk_layout_kind *k = K(kind);
    mk_layout_pmem *p = P(kind);
    ASSERT_NE(nullptr, k->ops);
    ASSERT_NE(nullptr, p);

    // fd@0: an open descriptor of a file without a name in dir.
    struct stat st;
    ASSERT_EQ(0, fstat(p->fd, &st)) << "priv->fd " << p->fd << " is open";
    EXPECT_TRUE(S_ISREG(st.st_mode));
    std::string link = fd_link(p->fd), rd = real_dir(dir);
    EXPECT_EQ(0u, link.rfind(rd + "/", 0)) << link << " is in " << rd;
    const std::string deleted = " (deleted)";
    EXPECT_TRUE(link.size() > deleted.size() &&
                link.compare(link.size() - deleted.size(), deleted.size(), deleted) == 0)
        << link << " has no name (unlinked or O_TMPFILE)";

    // name@12 is "pmem%08x" of the fd.
    EXPECT_STREQ(expected_name(p->fd).c_str(), k->name);

    // max_size@16, current_size@64
    EXPECT_EQ(18 * MiB, p->max_size);
    EXPECT_LT(p->current_size, CHUNK) << "nothing reserved right after create";
    EXPECT_LE(p->current_size, p->max_size);

    // dir@72 holds a copy of the directory string, as given. memkind 1.14 copies strlen(dir) bytes into a buffer of
    // strlen(dir) + 1 and leaves the last byte as it was, so only the characters are common behaviour; ours_tests
    // checks the terminating NUL.
    ASSERT_NE(nullptr, p->dir);
    EXPECT_EQ(0, strncmp(p->dir, dir, strlen(dir))) << "priv->dir";
    EXPECT_NE(dir, p->dir) << "priv->dir is a copy";

    // current_size grows when storage is needed and stays <= max_size.
    size_t before = p->current_size;
    void *a = memkind_malloc(kind, 1 * MiB);
    ASSERT_NE(nullptr, a);
    memset(a, 1, 1 * MiB);
    EXPECT_GE(p->current_size, before + 1 * MiB);
    EXPECT_LE(p->current_size, p->max_size);
    std::vector<void *> blocks;
    while (void *b = memkind_malloc(kind, 1 * MiB)) {
        blocks.push_back(b);
        EXPECT_LE(p->current_size, p->max_size);
    }
    EXPECT_GE(p->current_size, (blocks.size() + 1) * MiB);
    EXPECT_LE(p->current_size, p->max_size);
    EXPECT_GT(blocks.size(), 8u);
    for (void *b : blocks) memkind_free(kind, b);
    memkind_free(kind, a);
    int fd = p->fd;
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
    EXPECT_EQ(-1, fcntl(fd, F_GETFD)) << "destroy closes the kind's descriptor";
}

INSTANTIATE_TEST_SUITE_P(Dirs, PmemFields, ::testing::Values("TESTDIR", "/dev/shm", "/dev/shm/"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                             return std::string(i.index == 0 ? "TestDir" : i.index == 1 ? "DevShm" : "DevShmSlash");
                         });

TEST(PmemKindFields, NameFollowsTheDescriptorAndIsReusedWithIt)
{
    memkind_t a = nullptr, b = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), 0, &a));
    int fd = P(a)->fd;
    std::string name = K(a)->name;
    EXPECT_EQ(expected_name(fd), name);
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(a));
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), 0, &b));
    EXPECT_EQ(fd, P(b)->fd) << "lowest free descriptor is reused";
    EXPECT_EQ(name, std::string(K(b)->name));
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(b));
}

TEST(PmemKindFields, CapacityOfUnlimitedKindIsTheFileSystemSize)
{
    PmemKind k(test_dir(), 0);
    ASSERT_EQ(MEMKIND_SUCCESS, k.err);
    struct statvfs vfs;
    ASSERT_EQ(0, statvfs(test_dir(), &vfs));
    EXPECT_EQ((ssize_t)(vfs.f_blocks * vfs.f_frsize), memkind_get_capacity(k));
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_check_available(k));
}

TEST(PmemKindFields, DistinctKindsHaveDistinctDescriptorsAndPartitions)
{
    std::vector<memkind_t> kinds;
    std::set<int> fds;
    std::set<unsigned> parts;
    for (int i = 0; i < 20; i++) {
        memkind_t k = nullptr;
        ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(i % 2 ? "/dev/shm" : test_dir(), 0, &k));
        kinds.push_back(k);
        fds.insert(P(k)->fd);
        parts.insert(K(k)->partition);
    }
    EXPECT_EQ(20u, fds.size());
    EXPECT_EQ(20u, parts.size());
    for (memkind_t k : kinds) {
        EXPECT_GE(K(k)->partition, (unsigned)MEMKIND_NUM_BASE_KIND) << "dynamic kinds come after the 26 static ones";
        memkind_t found = nullptr;
        EXPECT_EQ(MEMKIND_SUCCESS, memkind_get_kind_by_partition((int)K(k)->partition, &found));
        EXPECT_EQ(k, found);
    }
    for (memkind_t k : kinds) EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(k));
}

TEST(DestroyKind, ClosesTheFileAndFreesDescriptors)
{
    int fds = baseline_fds();
    for (int i = 0; i < 50; i++) {
        memkind_t k = nullptr;
        ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), 16 * MiB, &k));
        void *p = memkind_malloc(k, 4096);
        ASSERT_NE(nullptr, p);
        memkind_free(k, p);
        ASSERT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(k));
    }
    EXPECT_EQ(fds, count_open_fds());
}

TEST(DestroyKind, LiveBlocksDoNotPreventDestroy)
{
    memkind_t k = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), 0, &k));
    for (int i = 0; i < 100; i++) ASSERT_NE(nullptr, memkind_malloc(k, 100 + i * 1000));
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(k));
}

// ---- memkind_detect_kind ----------------------------------------------------------------------------------------

TEST(DetectKind, PmemDefaultRegularAndNull)
{
    PmemKind a(test_dir(), 0), b("/dev/shm", 0);
    ASSERT_EQ(0, a.err);
    ASSERT_EQ(0, b.err);
    const size_t sizes[] = {1, 16, 100, 4096, 100000, 3 * MiB};
    for (size_t s : sizes) {
        void *pa = memkind_malloc(a, s), *pb = memkind_malloc(b, s);
        void *pd = memkind_malloc(MEMKIND_DEFAULT, s), *pr = memkind_malloc(MEMKIND_REGULAR, s);
        ASSERT_TRUE(pa && pb && pd && pr) << s;
        EXPECT_EQ(a.kind, memkind_detect_kind(pa)) << s;
        EXPECT_EQ(b.kind, memkind_detect_kind(pb)) << s;
        EXPECT_EQ(MEMKIND_DEFAULT, memkind_detect_kind(pd)) << s;
        EXPECT_EQ(MEMKIND_REGULAR, memkind_detect_kind(pr)) << s;
        memkind_free(a, pa);
        memkind_free(b, pb);
        memkind_free(MEMKIND_DEFAULT, pd);
        memkind_free(MEMKIND_REGULAR, pr);
    }
    EXPECT_EQ(nullptr, memkind_detect_kind(nullptr));
}

TEST(DetectKind, AvailableStaticKindsAreDetected)
{
    memkind_t kinds[] = {MEMKIND_INTERLEAVE, MEMKIND_HIGHEST_CAPACITY, MEMKIND_HIGHEST_CAPACITY_LOCAL,
                         MEMKIND_HIGHEST_CAPACITY_PREFERRED, MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED};
    for (memkind_t k : kinds) {
        void *p = memkind_malloc(k, 200);
        ASSERT_NE(nullptr, p) << K(k)->name;
        EXPECT_EQ(k, memkind_detect_kind(p)) << K(k)->name;
        memkind_free(nullptr, p);
    }
}

TEST(DetectKind, InteriorPointerOfALiveBlock)
{
    // memkind (jemalloc) looks up the extent, so an address inside a live block maps to its kind.
    PmemKind a(test_dir(), 0);
    ASSERT_EQ(0, a.err);
    char *p = static_cast<char *>(memkind_malloc(a, 10000));
    ASSERT_NE(nullptr, p);
    EXPECT_EQ(a.kind, memkind_detect_kind(p + 5000));
    memkind_free(a, p);
}

// ---- memkind_check_dax_path ---------------------------------------------------------------------------------------

TEST(CheckDaxPath, NonDaxDirectoriesAreRefused)
{
    // /tmp (ext4 here) and tmpfs refuse MAP_SYNC: MEMKIND_ERROR_MMAP. A directory that cannot take a temporary
    // file: MEMKIND_ERROR_RUNTIME.
    EXPECT_EQ(MEMKIND_ERROR_MMAP, memkind_check_dax_path(test_dir()));
    EXPECT_EQ(MEMKIND_ERROR_MMAP, memkind_check_dax_path("/dev/shm"));
    EXPECT_EQ(MEMKIND_ERROR_RUNTIME, memkind_check_dax_path("/nonexistent-memkinds-dir"));
    int fds = baseline_fds();
    for (int i = 0; i < 10; i++) EXPECT_NE(0, memkind_check_dax_path("/dev/shm"));
    EXPECT_EQ(fds, count_open_fds()) << "check_dax_path leaves no descriptor open";
}

// ---- memkind_create_kind ------------------------------------------------------------------------------------------

TEST(CreateKind, DefaultMemtypeSupportedCombinations)
{
    memkind_t k = nullptr;
    EXPECT_EQ(MEMKIND_SUCCESS,
              memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_PREFERRED_LOCAL, (memkind_bits_t)0, &k));
    EXPECT_EQ(MEMKIND_DEFAULT, k);
    // DEFAULT + 2 MiB pages is MEMKIND_HUGETLB; without huge pages PREFERRED falls back to MEMKIND_DEFAULT.
    k = nullptr;
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_PREFERRED_LOCAL,
                                                   MEMKIND_MASK_PAGE_SIZE_2MB, &k));
    EXPECT_EQ(memkind_check_available(MEMKIND_HUGETLB) == 0 ? MEMKIND_HUGETLB : MEMKIND_DEFAULT, k);
    k = nullptr;
    EXPECT_EQ(MEMKIND_SUCCESS,
              memkind_create_kind((memkind_memtype_t)(MEMKIND_MEMTYPE_DEFAULT | MEMKIND_MEMTYPE_HIGH_BANDWIDTH),
                                  MEMKIND_POLICY_INTERLEAVE_ALL, (memkind_bits_t)0, &k));
    EXPECT_EQ(MEMKIND_INTERLEAVE, k);
    void *p = memkind_malloc(k, 100);
    EXPECT_NE(nullptr, p);
    memkind_free(k, p);
}

TEST(CreateKind, HighBandwidthWithoutHbmMemory)
{
    // No high-bandwidth memory on this machine: the bound policies report MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
    // PREFERRED_LOCAL falls back to MEMKIND_DEFAULT.
    ASSERT_NE(0, memkind_check_available(MEMKIND_HBW)) << "machine has HBW memory; expectations below assume none";
    memkind_t k = (memkind_t)0x1;
    EXPECT_EQ(MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
              memkind_create_kind(MEMKIND_MEMTYPE_HIGH_BANDWIDTH, MEMKIND_POLICY_BIND_LOCAL, (memkind_bits_t)0, &k));
    EXPECT_EQ(MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE,
              memkind_create_kind(MEMKIND_MEMTYPE_HIGH_BANDWIDTH, MEMKIND_POLICY_BIND_ALL, (memkind_bits_t)0, &k));
    EXPECT_EQ(MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, memkind_create_kind(MEMKIND_MEMTYPE_HIGH_BANDWIDTH,
                                                                     MEMKIND_POLICY_BIND_LOCAL,
                                                                     MEMKIND_MASK_PAGE_SIZE_2MB, &k));
    EXPECT_EQ(MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE, memkind_create_kind(MEMKIND_MEMTYPE_HIGH_BANDWIDTH,
                                                                     MEMKIND_POLICY_INTERLEAVE_ALL,
                                                                     (memkind_bits_t)0, &k));
    k = nullptr;
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_create_kind(MEMKIND_MEMTYPE_HIGH_BANDWIDTH, MEMKIND_POLICY_PREFERRED_LOCAL,
                                                   (memkind_bits_t)0, &k));
    EXPECT_EQ(MEMKIND_DEFAULT, k);
    k = nullptr;
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_create_kind(MEMKIND_MEMTYPE_HIGH_BANDWIDTH, MEMKIND_POLICY_PREFERRED_LOCAL,
                                                   MEMKIND_MASK_PAGE_SIZE_2MB, &k));
    EXPECT_EQ(MEMKIND_DEFAULT, k);
}

TEST(CreateKind, InvalidArgumentsAreRefused)
{
    memkind_t k = nullptr;
    // memtype 0, unknown memtype bits
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_kind((memkind_memtype_t)0, MEMKIND_POLICY_PREFERRED_LOCAL, (memkind_bits_t)0, &k));
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_kind((memkind_memtype_t)4, MEMKIND_POLICY_PREFERRED_LOCAL, (memkind_bits_t)0, &k));
    // policy out of range
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_MAX_VALUE, (memkind_bits_t)0, &k));
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT, (memkind_policy_t)-1, (memkind_bits_t)0, &k));
    // flags other than 0 and the 2 MiB page size
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_PREFERRED_LOCAL, (memkind_bits_t)1, &k));
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_PREFERRED_LOCAL, (memkind_bits_t)30, &k));
    // unsupported combinations
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_BIND_LOCAL, (memkind_bits_t)0, &k));
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_INTERLEAVE_ALL, (memkind_bits_t)0, &k));
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_INTERLEAVE_LOCAL, (memkind_bits_t)0, &k));
    // NULL out pointer
    EXPECT_EQ(MEMKIND_ERROR_INVALID,
              memkind_create_kind(MEMKIND_MEMTYPE_DEFAULT, MEMKIND_POLICY_PREFERRED_LOCAL, (memkind_bits_t)0, nullptr));
}

// ---- memkind_create_fixed -----------------------------------------------------------------------------------------

TEST(CreateFixed, AllocatesInsideTheAreaAndLeavesItMapped)
{
    const size_t size = 32 * MiB;
    char *area = static_cast<char *>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(MAP_FAILED, (void *)area);
    memkind_t kind = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_fixed(area, size, &kind));
    ASSERT_NE(nullptr, kind);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_check_available(kind));
    EXPECT_EQ((ssize_t)size, memkind_get_capacity(kind));
    std::vector<char *> blocks;
    const size_t sizes[] = {8, 100, 4096, 70000, 1 * MiB};
    for (int round = 0; round < 3; round++)
        for (size_t s : sizes) {
            char *p = static_cast<char *>(memkind_malloc(kind, s));
            ASSERT_NE(nullptr, p) << s;
            EXPECT_TRUE(p >= area && p + s <= area + size) << "block of " << s << " inside the area";
            EXPECT_EQ(kind, memkind_detect_kind(p));
            memset(p, 0x33, s);
            blocks.push_back(p);
        }
    // Fill the area: it runs out, and says so.
    size_t n = 0;
    errno = 0;
    while (char *p = static_cast<char *>(memkind_malloc(kind, 1 * MiB))) {
        EXPECT_TRUE(p >= area && p + MiB <= area + size);
        blocks.push_back(p);
        n++;
        ASSERT_LT(n, 64u) << "a 32 MiB area cannot hold 64 MiB";
    }
    EXPECT_EQ(ENOMEM, errno);
    EXPECT_GT(n, 10u);
    for (char *p : blocks) memkind_free(kind, p);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
    // The area stays mapped and usable: destroy does not unmap memory it was given.
    memset(area, 0x7e, size);
    EXPECT_EQ(0x7e, area[size - 1]);
    EXPECT_EQ(0, munmap(area, size));
}

TEST(CreateFixed, UnalignedAreaIsRespectedToTheByte)
{
    // A 32 MiB area that starts 1 MiB + 4 KiB into a larger mapping: nothing outside it is ever written, calloc
    // zeroes recycled memory, realloc keeps contents.
    const size_t total = 40 * MiB, off = 1 * MiB + 4096, size = 32 * MiB;
    unsigned char *map =
        static_cast<unsigned char *>(mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(MAP_FAILED, (void *)map);
    memset(map, 0xee, total);
    unsigned char *area = map + off;
    memkind_t kind = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_fixed(area, size, &kind));
    std::vector<unsigned char *> blocks;
    const size_t sizes[] = {1, 24, 100, 1000, 4096, 5000, 100000, 1 * MiB};
    for (int round = 0; round < 40; round++) {
        size_t s = sizes[round % 8];
        unsigned char *p = static_cast<unsigned char *>(memkind_malloc(kind, s));
        if (!p) break;
        EXPECT_TRUE(p >= area && p + s <= area + size);
        memset(p, 0xab, memkind_malloc_usable_size(kind, p));
        blocks.push_back(p);
    }
    EXPECT_GT(blocks.size(), 20u);
    for (size_t i = 0; i < blocks.size(); i += 2) memkind_free(kind, blocks[i]);
    // calloc on recycled (dirty) memory is zeroed
    for (int i = 0; i < 10; i++) {
        unsigned char *c = static_cast<unsigned char *>(memkind_calloc(kind, 1, 5000));
        ASSERT_NE(nullptr, c);
        size_t bad = 0;
        for (size_t j = 0; j < 5000; j++) bad += c[j] != 0;
        EXPECT_EQ(0u, bad) << "calloc on a fixed kind";
        EXPECT_TRUE(c >= area && c + 5000 <= area + size);
    }
    unsigned char *r = static_cast<unsigned char *>(memkind_malloc(kind, 100));
    ASSERT_NE(nullptr, r);
    fill_pattern(r, 100, 3);
    r = static_cast<unsigned char *>(memkind_realloc(kind, r, 300000));
    ASSERT_NE(nullptr, r);
    EXPECT_TRUE(check_pattern(r, 100, 3));
    EXPECT_TRUE(r >= area && r + 300000 <= area + size);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
    size_t outside = 0;
    for (size_t i = 0; i < off; i++) outside += map[i] != 0xee;
    for (size_t i = off + size; i < total; i++) outside += map[i] != 0xee;
    EXPECT_EQ(0u, outside) << "bytes written outside the fixed area";
    munmap(map, total);
}

TEST(CreateFixed, TwoFixedKindsAndFreeWithNullKind)
{
    const size_t size = 16 * MiB;
    void *a1 = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *a2 = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(a1 != MAP_FAILED && a2 != MAP_FAILED);
    memkind_t k1 = nullptr, k2 = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_fixed(a1, size, &k1));
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_fixed(a2, size, &k2));
    EXPECT_NE(k1, k2);
    for (int i = 0; i < 100; i++) {
        void *p = memkind_malloc(i % 2 ? k1 : k2, 1000 + i);
        ASSERT_NE(nullptr, p);
        EXPECT_EQ(i % 2 ? k1 : k2, memkind_detect_kind(p));
        memkind_free(nullptr, p);
    }
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(k1));
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(k2));
    munmap(a1, size);
    munmap(a2, size);
}

// ---- memkind_get_kind_by_partition ----------------------------------------------------------------------------------

TEST(GetKindByPartition, StaticPartitionsAndOutOfRange)
{
    memkind_t k = nullptr;
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_get_kind_by_partition(MEMKIND_PARTITION_DEFAULT, &k));
    EXPECT_EQ(MEMKIND_DEFAULT, k);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_get_kind_by_partition(MEMKIND_PARTITION_REGULAR, &k));
    EXPECT_EQ(MEMKIND_REGULAR, k);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_get_kind_by_partition(MEMKIND_PARTITION_INTERLEAVE, &k));
    EXPECT_EQ(MEMKIND_INTERLEAVE, k);
    const int bad[] = {-1, -100, MEMKIND_MAX_KIND, MEMKIND_MAX_KIND + 1, 100000, INT_MAX, INT_MIN};
    for (int part : bad) {
        k = (memkind_t)0x1;
        EXPECT_EQ(MEMKIND_ERROR_UNAVAILABLE, memkind_get_kind_by_partition(part, &k)) << part;
        EXPECT_EQ(nullptr, k) << part;
    }
    // A dynamic partition that nobody holds.
    k = (memkind_t)0x1;
    EXPECT_EQ(MEMKIND_ERROR_UNAVAILABLE, memkind_get_kind_by_partition(MEMKIND_MAX_KIND - 1, &k));
    EXPECT_EQ(nullptr, k);
}

TEST(GetKindByPartition, DestroyedKindsPartitionIsEmpty)
{
    memkind_t a = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(test_dir(), 0, &a));
    int part = (int)K(a)->partition;
    memkind_t k = nullptr;
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_get_kind_by_partition(part, &k));
    EXPECT_EQ(a, k);
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(a));
    k = (memkind_t)0x1;
    EXPECT_EQ(MEMKIND_ERROR_UNAVAILABLE, memkind_get_kind_by_partition(part, &k));
    EXPECT_EQ(nullptr, k);
}
