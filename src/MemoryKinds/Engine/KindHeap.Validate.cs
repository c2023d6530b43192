namespace MemoryKinds.Engine;

// The heap walker (libvmem's vmem_check): checks every invariant the engine relies on, with all threads held off.
internal sealed unsafe partial class KindHeap
{
    /// <summary>Walks the whole heap and returns every inconsistency found (empty when the heap is sound).</summary>
    public List<string> Validate()
    {
        var problems = new List<string>();
        lock (_lock)
        {
            ThrowIfDisposed();
            bool blocked = BlockHeaps(null);
            try
            {
                long committed = 0, active = 0;
                for (int r = 0; r < _regionCount; r++) ValidateRegion(_regions[r]!, problems, ref committed, ref active);
                if (committed != _committedBytes) problems.Add($"committed bytes {_committedBytes} but slices say {committed}");
                if (active != _activeBytes) problems.Add($"active bytes {_activeBytes} but pages say {active}");
                if (_limit > 0 && _committedBytes > _limit) problems.Add($"committed bytes {_committedBytes} exceed the limit {_limit}");
                for (ThreadHeap* heap = _heaps; heap != null; heap = heap->NextInKind) ValidateHeap(heap, problems);
                if (_shared != null) ValidateHeap(_shared, problems);
            }
            finally
            {
                if (blocked) UnblockHeaps();
            }
        }
        return problems;
    }

    private void ValidateRegion(Region region, List<string> problems, ref long committed, ref long active)
    {
        for (int i = 0; i < region.SliceCount; i++)
        {
            Page* slice = region.Pages + i;
            committed += slice->CommittedBytes;
            if (slice->CommittedBytes > 0 && i >= region.Frontier) problems.Add($"region {region.Index} slice {i} committed beyond the frontier {region.Frontier}");
            if (slice->CommittedBytes < 0 || (nuint)slice->CommittedBytes > SizeClasses.SliceSize || (nuint)slice->CommittedBytes % SizeClasses.CommitUnit != 0)
                problems.Add($"region {region.Index} slice {i} has {slice->CommittedBytes} committed bytes");
        }
        for (int i = 0; i < region.SliceCount;)
        {
            Page* head = region.Pages + i;
            if (head->Head != head) { problems.Add($"region {region.Index} slice {i} should head a span but points elsewhere"); return; }
            int slices = head->Slices;
            if (slices <= 0 || i + slices > region.SliceCount) { problems.Add($"region {region.Index} span at {i} has a bad length {slices}"); return; }
            if (head->State == SliceState.Free)
            {
                if (head[slices - 1].Head != head) problems.Add($"free span at {i} ({slices} slices): tail does not point at the head");
                if (i + slices < region.SliceCount && region.Pages[i + slices].State == SliceState.Free) problems.Add($"free span at {i} is followed by another free span (not coalesced)");
            }
            else
            {
                for (int j = 0; j < slices; j++)
                {
                    if (head[j].Head != head || head[j].State != head->State) problems.Add($"page at {i}: slice {i + j} does not belong to it");
                    active += head[j].CommittedBytes;
                    // A slice in use is written to: if it said "zeros", a zeroed allocation over it after it is freed would skip clearing.
                    if (head[j].Zeroed) problems.Add($"page at {i}: slice {i + j} is in use but marked as reading zeros");
                }
                // Every byte handed out (a large block, a page's carved blocks) must have storage behind it.
                nuint used = head->State == SliceState.Large ? head->BlockSize : (nuint)head->Capacity * head->BlockSize;
                if (CommittedPrefix(head) < used) problems.Add($"page at {i}: {used} bytes handed out but only {CommittedPrefix(head)} committed");
                if (head->State == SliceState.Large) ValidateLarge(head, problems);
                else ValidateSmallPage(head, problems);
            }
            i += slices;
        }
    }

    private static void ValidateLarge(Page* span, List<string> problems)
    {
        if (span->BlockSize > (nuint)span->Slices << SizeClasses.SliceShift || span->BlockSize <= (nuint)(span->Slices - 1) << SizeClasses.SliceShift) problems.Add($"large block at 0x{(nuint)span->Start:x}: size {span->BlockSize} does not match its {span->Slices} slices");
        if ((span->Bits[0] & 1) == 0) problems.Add($"large block at 0x{(nuint)span->Start:x} is not marked allocated");
        if (CountBits(span, 1, span->BlockSize) != 0) problems.Add($"large block at 0x{(nuint)span->Start:x} has allocation bits inside it");
    }

    private static void ValidateSmallPage(Page* page, List<string> problems)
    {
        string where = $"page of {page->BlockSize}-byte blocks at 0x{(nuint)page->Start:x}";
        if (page->Owner == null) problems.Add($"{where} has no owner");
        if (page->Capacity > page->MaxBlocks || page->Used < 0 || page->Used > page->Capacity) problems.Add($"{where}: used {page->Used}, capacity {page->Capacity}, max {page->MaxBlocks}");
        nuint bytes = (nuint)page->Slices << SizeClasses.SliceShift;
        int allocated = 0, pending = 0;
        for (nuint offset = 0; offset < bytes; offset += 16)
        {
            ulong* word = BlockBits.AllocatedWord(page->Bits, offset);
            ulong mask = BlockBits.Mask(offset);
            bool isAllocated = (word[0] & mask) != 0, isPending = (word[1] & mask) != 0;
            if (!isAllocated && !isPending) continue;
            if (offset % page->BlockSize != 0 || offset / page->BlockSize >= (nuint)page->Capacity) { problems.Add($"{where}: a block bit is set at offset {offset}, which is not a carved block start"); continue; }
            if (isAllocated) allocated++;
            if (isPending) pending++;
            if (isPending && !isAllocated) problems.Add($"{where}: block at offset {offset} is pending a remote free but not allocated");
        }
        int free = CountList(page, page->Free, where, problems, out bool freeListBroken);
        if (pending > 0 && Volatile.Read(ref page->HasPending) == 0) problems.Add($"{where}: {pending} pending bits but the page's HasPending flag is down");
        if (allocated != page->Used) problems.Add($"{where}: {allocated} allocated bits but used is {page->Used}");
        if (!freeListBroken && free + page->Used != page->Capacity) problems.Add($"{where}: {free} free + {page->Used} used != {page->Capacity} carved");
    }

    /// <summary>Counts a block list, checking every block lies on a block boundary of the page and the list ends.</summary>
    private static int CountList(Page* page, Block* list, string where, List<string> problems, out bool broken)
    {
        int count = 0;
        broken = false;
        for (Block* block = list; block != null; block = block->Next)
        {
            nuint offset = (nuint)block - (nuint)page->Start;
            if (offset >= (nuint)page->Capacity * page->BlockSize || offset % page->BlockSize != 0 || ++count > page->Capacity)
            {
                problems.Add($"{where}: a free list holds 0x{(nuint)block:x}, which is not a free block of the page (corrupted link or a cycle)");
                broken = true;
                break;
            }
        }
        return count;
    }

    private static int CountBits(Page* page, nuint from, nuint to)
    {
        int count = 0;
        for (nuint offset = (from + 15) & ~(nuint)15; offset < to; offset += 16)
            if ((*BlockBits.AllocatedWord(page->Bits, offset) & BlockBits.Mask(offset)) != 0) count++;
        return count;
    }

    private void ValidateHeap(ThreadHeap* heap, List<string> problems)
    {
        for (int bin = 0; bin < SizeClasses.BinCount; bin++)
        {
            for (Page* page = (Page*)heap->Direct[bin]; page != EmptyPage && page != null; page = page->Next)
                if (page->Owner != heap || page->Bin != bin || page->IsFull != 0) problems.Add($"heap list of bin {bin} holds a page that is not its own, of another bin, or marked full");
            for (Page* page = (Page*)heap->Full[bin]; page != null; page = page->Next)
                if (page->Owner != heap || page->Bin != bin || page->IsFull == 0) problems.Add($"full list of bin {bin} holds a page that is not its own, of another bin, or not marked full");
        }
    }
}
