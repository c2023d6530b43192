// File space given back after free (hole punching) on the test directory and on /dev/shm, for both memory usage
// policies. Holds on Debian's libmemkind 1.14 and on ours.
#include "common.h"

#include <chrono>
#include <thread>

static memkind_t create_with_policy(const char *dir, memkind_mem_usage_policy policy)
{
    struct memkind_config *cfg = memkind_config_new();
    memkind_config_set_path(cfg, dir);
    memkind_config_set_size(cfg, 0);
    memkind_config_set_memory_usage_policy(cfg, policy);
    memkind_t kind = nullptr;
    int err = memkind_create_pmem_with_config(cfg, &kind);
    memkind_config_delete(cfg);
    return err == 0 ? kind : nullptr;
}

struct SpaceParam {
    const char *dir; // "TESTDIR" = MEMKINDS_TEST_DIR or /tmp
    memkind_mem_usage_policy policy;
};

class Space : public ::testing::TestWithParam<SpaceParam>
{
protected:
    const char *dir() const { return strcmp(GetParam().dir, "TESTDIR") == 0 ? test_dir() : GetParam().dir; }
};

class SpaceDir : public ::testing::TestWithParam<const char *>
{
protected:
    const char *dir() const { return strcmp(GetParam(), "TESTDIR") == 0 ? test_dir() : GetParam(); }
};

TEST_P(SpaceDir, FreedSmallBlocksGiveTheirFileSpaceBackConservative)
{
    // Conservative: the space is returned before free returns (memkind: dirty_decay_ms = 0, and its extent
    // hook punches holes with madvise(MADV_REMOVE)). This is memkind's own config test, on 24 MiB of 300 B blocks.
    // (The Default policy's small blocks are given back within 10 s only by ours: see ours_tests.)
    memkind_t kind = create_with_policy(dir(), MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
    ASSERT_NE(nullptr, kind);
    const long start = file_blocks(P(kind)->fd);
    const size_t n = 24 * MiB / 300;
    std::vector<void *> blocks(n);
    for (size_t i = 0; i < n; i++) {
        blocks[i] = memkind_malloc(kind, 300);
        ASSERT_NE(nullptr, blocks[i]);
        memset(blocks[i], 0x77, 300);
    }
    const long full = file_blocks(P(kind)->fd);
    EXPECT_GE(full - start, (long)(n * 300 / 512)) << "the file holds the blocks";
    for (void *p : blocks) memkind_free(kind, p);
    const long after = file_blocks(P(kind)->fd);
    EXPECT_LT(after, full / 4) << "st_blocks " << full << " -> " << after << " right after free";
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
}

TEST_P(SpaceDir, SingleFreeGivesSpaceBackConservative)
{
    // memkind's test: one 1 KiB block, freed; st_blocks drops.
    memkind_t kind = create_with_policy(dir(), MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
    ASSERT_NE(nullptr, kind);
    void *p = memkind_malloc(kind, 1 * KiB);
    ASSERT_NE(nullptr, p);
    memset(p, 1, KiB);
    const long before = file_blocks(P(kind)->fd);
    memkind_free(kind, p);
    EXPECT_LT(file_blocks(P(kind)->fd), before);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
}

TEST_P(Space, FreedLargeBlockGivesItsFileSpaceBack)
{
    memkind_t kind = create_with_policy(dir(), GetParam().policy);
    ASSERT_NE(nullptr, kind);
    void *keep = memkind_malloc(kind, 100); // the kind is not empty
    ASSERT_NE(nullptr, keep);
    void *p = memkind_malloc(kind, 40 * MiB);
    ASSERT_NE(nullptr, p);
    memset(p, 0x12, 40 * MiB);
    const long full = file_blocks(P(kind)->fd);
    EXPECT_GE(full, (long)(40 * MiB / 512));
    memkind_free(kind, p);
    long after = file_blocks(P(kind)->fd);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(12);
    while (GetParam().policy == MEMKIND_MEM_USAGE_POLICY_DEFAULT && after > full / 2 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        after = file_blocks(P(kind)->fd);
    }
    EXPECT_LE(after, full / 2) << "st_blocks " << full << " -> " << after;
    memkind_free(kind, keep);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
}

INSTANTIATE_TEST_SUITE_P(Dirs, Space,
                         ::testing::Values(SpaceParam{"TESTDIR", MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE},
                                           SpaceParam{"/dev/shm", MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE},
                                           SpaceParam{"TESTDIR", MEMKIND_MEM_USAGE_POLICY_DEFAULT},
                                           SpaceParam{"/dev/shm", MEMKIND_MEM_USAGE_POLICY_DEFAULT}),
                         [](const ::testing::TestParamInfo<SpaceParam> &i) {
                             std::string d = strcmp(i.param.dir, "TESTDIR") == 0 ? "TestDir" : "DevShm";
                             return d + (i.param.policy ? "Conservative" : "Default");
                         });

INSTANTIATE_TEST_SUITE_P(Dirs, SpaceDir, ::testing::Values("TESTDIR", "/dev/shm"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                             return std::string(i.index == 0 ? "TestDir" : "DevShm");
                         });

// ---- a full file system: no SIGBUS, NULL with ENOMEM ------------------------------------------------------------
// Needs root (mount(2)); a machine without it fails here with the reason, it does not skip.

#include <sys/mount.h>

class FullFs : public ::testing::Test
{
protected:
    std::string dir;
    bool mounted = false;
    void SetUp() override
    {
        char tmpl[] = "/tmp/memkinds-fullfs-XXXXXX";
        ASSERT_NE(nullptr, mkdtemp(tmpl));
        dir = tmpl;
        ASSERT_EQ(0, mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64m"))
            << "mount -t tmpfs -o size=64m on " << dir << " failed: " << strerror(errno) << " (needs root)";
        mounted = true;
    }
    void TearDown() override
    {
        if (mounted) {
            EXPECT_EQ(0, umount2(dir.c_str(), MNT_DETACH)) << strerror(errno);
        }
        rmdir(dir.c_str());
    }
};

TEST_F(FullFs, UnlimitedKindFillsTheFileSystemAndGetsNull)
{
    for (size_t bs : {(size_t)1 * MiB, (size_t)300, (size_t)5 * MiB}) {
        memkind_t kind = nullptr;
        ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(dir.c_str(), 0, &kind));
        std::vector<void *> blocks;
        errno = 0;
        while (void *p = memkind_malloc(kind, bs)) {
            memset(p, 0x5c, bs); // every byte written: a page without storage would SIGBUS here
            blocks.push_back(p);
            ASSERT_LT(blocks.size() * bs, 65 * MiB) << "more than the file system holds";
        }
        EXPECT_EQ(ENOMEM, errno) << bs;
        EXPECT_GE(blocks.size() * bs, 32 * MiB) << "most of the 64 MiB was usable, block " << bs;
        // Still alive, and freeing makes room again.
        for (size_t i = 0; i < blocks.size(); i += 2) memkind_free(kind, blocks[i]);
        for (size_t i = 1; i < blocks.size(); i += 2) {
            memset(blocks[i], 0x11, bs);
            memkind_free(kind, blocks[i]);
        }
        EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
    }
}

TEST_F(FullFs, KindGetsNullWhenAnotherFileTookTheSpace)
{
    memkind_t kind = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem(dir.c_str(), 0, &kind));
    void *early = memkind_malloc(kind, 100);
    ASSERT_NE(nullptr, early);
    // Another file takes every free block.
    std::string filler = dir + "/filler";
    int fd = open(filler.c_str(), O_CREAT | O_RDWR, 0600);
    ASSERT_GE(fd, 0);
    std::vector<char> buf(1 * MiB, 'f');
    while (write(fd, buf.data(), buf.size()) > 0) {
    }
    errno = 0;
    void *p = memkind_malloc(kind, 4 * MiB);
    EXPECT_EQ(nullptr, p);
    EXPECT_EQ(ENOMEM, errno);
    if (p) memset(p, 1, 4 * MiB); // would SIGBUS without storage
    memset(early, 2, 100);
    // Space comes back when the other file goes.
    close(fd);
    unlink(filler.c_str());
    p = memkind_malloc(kind, 4 * MiB);
    EXPECT_NE(nullptr, p);
    if (p) {
        memset(p, 3, 4 * MiB);
        memkind_free(kind, p);
    }
    memkind_free(kind, early);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
}

TEST(ReadOnlyFs, CreateFailsWithErofs)
{
    char tmpl[] = "/tmp/memkinds-rofs-XXXXXX";
    ASSERT_NE(nullptr, mkdtemp(tmpl));
    ASSERT_EQ(0, mount("tmpfs", tmpl, "tmpfs", MS_RDONLY, "size=16m"))
        << "mount -t tmpfs -o ro on " << tmpl << " failed: " << strerror(errno) << " (needs root)";
    memkind_t kind = nullptr;
    errno = 0;
    EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_create_pmem(tmpl, 0, &kind));
    EXPECT_EQ(EROFS, errno);
    EXPECT_EQ(MEMKIND_ERROR_RUNTIME, memkind_check_dax_path(tmpl)) << "no temporary file can be made there";
    EXPECT_EQ(0, umount2(tmpl, MNT_DETACH)) << strerror(errno);
    rmdir(tmpl);
}
