using System.Runtime.CompilerServices;

// The fast paths take the address of a local (ThreadHeaps.Find) and stackalloc buffers that the C library fills:
// zeroing them first is wasted work on every call.
[module: SkipLocalsInit]
