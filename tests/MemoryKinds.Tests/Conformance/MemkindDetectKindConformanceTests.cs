using System.Runtime.InteropServices;
using static MemoryKinds.Tests.Conformance.MemkindConformance;

namespace MemoryKinds.Tests.Conformance;

/// <summary>
/// Ports of memkind's test/memkind_detect_kind_tests.cpp: memkind_detect_kind -> <see cref="MemoryKind.Detect"/>.
/// MEMKIND_REGULAR has no equivalent and maps to <see cref="MemoryKind.Default"/>, as MEMKIND_DEFAULT does. All cases are ported.
/// </summary>
public sealed unsafe class MemkindDetectKindConformanceTests
{
    // memkind DetectKindNullPtr: detect(NULL) == NULL; also a pointer no kind owns (memkind crashes on it, issue #634) -> null.
    [Fact]
    public void DetectKindNullPtr()
    {
        Assert.Null(MemoryKind.Detect(null));
        void* foreign = NativeMemory.Alloc(64);
        try
        {
            Assert.Null(MemoryKind.Detect(foreign));
        }
        finally
        {
            NativeMemory.Free(foreign);
        }
    }

    // memkind DetectKindPmemKind: unlimited pmem kind, malloc 512 -> detected as that kind.
    [Fact]
    public void DetectKindPmemKind()
    {
        using PmemKind kind = PmemKind.Create(TestDirectories.Tmpfs, 0);
        void* p = kind.TryAlloc(512);
        Assert.True(p != null);
        Assert.Same(kind, MemoryKind.Detect(p));
        kind.Free(p);
    }

    // memkind DetectKindRegularKind: MEMKIND_REGULAR -> MemoryKind.Default (no regular kind here).
    [Fact]
    public void DetectKindRegularKind()
    {
        void* p = MemoryKind.Default.TryAlloc(512);
        Assert.True(p != null);
        Assert.Same(MemoryKind.Default, MemoryKind.Detect(p));
        MemoryKind.Default.Free(p);
    }

    // memkind DetectDefaultSmallSizeKind: MEMKIND_DEFAULT 512 B -> Default.
    [Fact]
    public void DetectDefaultSmallSizeKind()
    {
        void* p = MemoryKind.Default.TryAlloc(512);
        Assert.True(p != null);
        Assert.Same(MemoryKind.Default, MemoryKind.Detect(p));
        MemoryKind.Default.Free(p);
    }

    // memkind DetectDefaultBigSizeKind: MEMKIND_DEFAULT 8 MiB -> Default.
    [Fact]
    public void DetectDefaultBigSizeKind()
    {
        void* p = MemoryKind.Default.TryAlloc((nuint)(8 * MB));
        Assert.True(p != null);
        Assert.Same(MemoryKind.Default, MemoryKind.Detect(p));
        MemoryKind.Default.Free(p);
    }

    // memkind DetectKindMixKind: unlimited and 16 MiB pmem kinds + DEFAULT + REGULAR (-> Default), 512 B each, each pointer detected as its own kind.
    [Fact]
    public void DetectKindMixKind()
    {
        using PmemKind unlimited = PmemKind.Create(TestDirectories.Tmpfs, 0);
        using PmemKind limited = PmemKind.Create(TestDirectories.Tmpfs, PmemKind.MinSize);
        void* p1 = unlimited.TryAlloc(512);
        void* p2 = limited.TryAlloc(512);
        void* pDefault = MemoryKind.Default.TryAlloc(512);
        void* pRegular = MemoryKind.Default.TryAlloc(512);
        Assert.True(p1 != null && p2 != null && pDefault != null && pRegular != null);
        Assert.Same(MemoryKind.Default, MemoryKind.Detect(pDefault));
        Assert.Same(unlimited, MemoryKind.Detect(p1));
        Assert.Same(MemoryKind.Default, MemoryKind.Detect(pRegular));
        Assert.Same(limited, MemoryKind.Detect(p2));
        unlimited.Free(p1);
        limited.Free(p2);
        MemoryKind.Default.Free(pDefault);
        MemoryKind.Default.Free(pRegular);
    }
}
