namespace MemoryKinds;

/// <summary>What a kind has done so far, from <see cref="MemoryKind.GetCounters"/>.</summary>
/// <param name="Allocations">Blocks handed out (every successful allocation; a moving <see cref="MemoryKind.Realloc"/> counts as one allocation and one free).</param>
/// <param name="Frees">Blocks freed into the kind, from any thread.</param>
/// <param name="FailedAllocations">Allocations the kind could not satisfy (<see cref="MemoryKind.AllocationFailures"/>).</param>
/// <param name="PeakActive">The highest <see cref="KindStats.Active"/> since the kind was made or <see cref="MemoryKind.ResetPeaks"/> was called.</param>
/// <param name="PeakResident">The highest <see cref="KindStats.Resident"/> since then.</param>
public readonly record struct KindCounters(long Allocations, long Frees, long FailedAllocations, long PeakActive, long PeakResident);
