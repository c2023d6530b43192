// memkind_config_* and memkind_create_pmem_with_config. Holds on Debian's libmemkind 1.14 and on ours.
#include "common.h"

TEST(Config, NewReturnsObjectAndDeleteAcceptsIt)
{
    struct memkind_config *cfg = memkind_config_new();
    ASSERT_NE(nullptr, cfg);
    memkind_config_delete(cfg);
}

TEST(Config, SettersWriteTheTwentyFourByteStructFields)
{
    struct memkind_config *cfg = memkind_config_new();
    ASSERT_NE(nullptr, cfg);
    const char *dir = test_dir();
    memkind_config_set_path(cfg, dir);
    EXPECT_EQ(dir, C(cfg)->pmem_dir) << "pmem_dir@0 must be the caller's pointer (memkind stores it, no copy)";
    EXPECT_STREQ(dir, C(cfg)->pmem_dir);

    memkind_config_set_size(cfg, 0);
    EXPECT_EQ(0u, C(cfg)->pmem_size);
    memkind_config_set_size(cfg, 100 * MiB);
    EXPECT_EQ(100 * MiB, C(cfg)->pmem_size);
    memkind_config_set_size(cfg, (size_t)1 << 40);
    EXPECT_EQ((size_t)1 << 40, C(cfg)->pmem_size);

    memkind_config_set_memory_usage_policy(cfg, MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE);
    EXPECT_EQ(MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE, C(cfg)->policy);
    memkind_config_set_memory_usage_policy(cfg, MEMKIND_MEM_USAGE_POLICY_DEFAULT);
    EXPECT_EQ(MEMKIND_MEM_USAGE_POLICY_DEFAULT, C(cfg)->policy);

    // Setting one field leaves the others alone.
    memkind_config_set_size(cfg, 64 * MiB);
    EXPECT_EQ(dir, C(cfg)->pmem_dir);
    EXPECT_EQ(MEMKIND_MEM_USAGE_POLICY_DEFAULT, C(cfg)->policy);
    memkind_config_delete(cfg);
}

TEST(Config, ManyConfigsAreIndependent)
{
    std::vector<struct memkind_config *> cfgs;
    for (int i = 0; i < 100; i++) {
        struct memkind_config *c = memkind_config_new();
        ASSERT_NE(nullptr, c);
        memkind_config_set_size(c, (size_t)i * MiB);
        cfgs.push_back(c);
    }
    for (int i = 0; i < 100; i++) EXPECT_EQ((size_t)i * MiB, C(cfgs[i])->pmem_size);
    for (auto c : cfgs) memkind_config_delete(c);
}

class ConfigCreate : public ::testing::TestWithParam<int>
{};

TEST_P(ConfigCreate, CreatesUsableKindWithEachPolicy)
{
    struct memkind_config *cfg = memkind_config_new();
    ASSERT_NE(nullptr, cfg);
    memkind_config_set_path(cfg, test_dir());
    memkind_config_set_size(cfg, 32 * MiB);
    memkind_config_set_memory_usage_policy(cfg, (memkind_mem_usage_policy)GetParam());
    memkind_t kind = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem_with_config(cfg, &kind));
    memkind_config_delete(cfg); // the kind does not depend on the config afterwards
    ASSERT_NE(nullptr, kind);
    EXPECT_EQ(32 * MiB, P(kind)->max_size);
    void *p = memkind_malloc(kind, 1000);
    ASSERT_NE(nullptr, p);
    memset(p, 0x5a, 1000);
    EXPECT_EQ(kind, memkind_detect_kind(p));
    memkind_free(kind, p);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
}

INSTANTIATE_TEST_SUITE_P(Policies, ConfigCreate,
                         ::testing::Values((int)MEMKIND_MEM_USAGE_POLICY_DEFAULT,
                                           (int)MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE),
                         [](const ::testing::TestParamInfo<int> &i) {
                             return std::string(i.param ? "Conservative" : "Default");
                         });

TEST(Config, UnlimitedSizeWithConfig)
{
    struct memkind_config *cfg = memkind_config_new();
    memkind_config_set_path(cfg, test_dir());
    memkind_config_set_size(cfg, 0);
    memkind_config_set_memory_usage_policy(cfg, MEMKIND_MEM_USAGE_POLICY_DEFAULT);
    memkind_t kind = nullptr;
    ASSERT_EQ(MEMKIND_SUCCESS, memkind_create_pmem_with_config(cfg, &kind));
    EXPECT_EQ(0u, P(kind)->max_size);
    void *p = memkind_malloc(kind, 64 * MiB); // more than the 16 MiB minimum: no limit
    EXPECT_NE(nullptr, p);
    memkind_free(kind, p);
    EXPECT_EQ(MEMKIND_SUCCESS, memkind_destroy_kind(kind));
    memkind_config_delete(cfg);
}

TEST(Config, WrongDirectoryFails)
{
    struct memkind_config *cfg = memkind_config_new();
    memkind_config_set_path(cfg, "/nonexistent-memkinds-dir/sub");
    memkind_config_set_size(cfg, 0);
    memkind_config_set_memory_usage_policy(cfg, MEMKIND_MEM_USAGE_POLICY_DEFAULT);
    memkind_t kind = nullptr;
    errno = 0;
    EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_create_pmem_with_config(cfg, &kind));
    EXPECT_EQ(ENOENT, errno);
    memkind_config_delete(cfg);
}

TEST(Config, TooSmallSizeFails)
{
    struct memkind_config *cfg = memkind_config_new();
    memkind_config_set_path(cfg, test_dir());
    memkind_config_set_size(cfg, MEMKIND_PMEM_MIN_SIZE - 1);
    memkind_config_set_memory_usage_policy(cfg, MEMKIND_MEM_USAGE_POLICY_DEFAULT);
    memkind_t kind = nullptr;
    EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_create_pmem_with_config(cfg, &kind));
    memkind_config_delete(cfg);
}

TEST(Config, InvalidPolicyFails)
{
    // memkind 1.14 creates the kind, then fails in update_memory_usage_policy and returns MEMKIND_ERROR_INVALID
    // (leaking the kind); only the return code is common behaviour.
    struct memkind_config *cfg = memkind_config_new();
    memkind_config_set_path(cfg, test_dir());
    memkind_config_set_size(cfg, 0);
    memkind_config_set_memory_usage_policy(cfg, MEMKIND_MEM_USAGE_POLICY_MAX_VALUE);
    memkind_t kind = nullptr;
    EXPECT_EQ(MEMKIND_ERROR_INVALID, memkind_create_pmem_with_config(cfg, &kind));
    memkind_config_delete(cfg);
}
