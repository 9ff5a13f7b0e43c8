using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Medallion.DuckDb.Internal;

/// <summary>
/// Native memory handed out in order and taken back all at once: the string bytes of one appender chunk, which DuckDB
/// copies when the chunk is appended. The first block is kept across <see cref="Reset"/>; larger or further ones are
/// freed then, so a chunk of unusually long strings does not keep its memory.
/// </summary>
internal sealed unsafe class NativeArena : IDisposable
{
    private const int BlockBytes = 256 * 1024;

    private readonly List<(IntPtr Start, int Size)> _blocks = [];
    private int _used;

    /// <summary>Room for <paramref name="bytes"/> bytes at the next free place; <see cref="Commit"/> keeps what was written.</summary>
    public byte* Reserve(int bytes)
    {
        if (_blocks.Count == 0 || _used + bytes > _blocks[^1].Size)
        {
            int size = Math.Max(BlockBytes, bytes);
            _blocks.Add(((IntPtr)NativeMemory.Alloc((nuint)size), size));
            _used = 0;
        }

        return (byte*)_blocks[^1].Start + _used;
    }

    /// <summary>Keeps the first <paramref name="bytes"/> bytes of the last reservation; returns where they start.</summary>
    public byte* Commit(int bytes)
    {
        byte* start = (byte*)_blocks[^1].Start + _used;
        _used += bytes;
        return start;
    }

    /// <summary>Makes all the memory free again; nothing handed out before may be used after this.</summary>
    public void Reset()
    {
        for (int i = _blocks.Count - 1; i >= 1; i--)
        {
            NativeMemory.Free((void*)_blocks[i].Start);
            _blocks.RemoveAt(i);
        }

        if (_blocks.Count == 1 && _blocks[0].Size > BlockBytes)
        {
            NativeMemory.Free((void*)_blocks[0].Start);
            _blocks.Clear();
        }

        _used = 0;
    }

    public void Dispose()
    {
        foreach ((IntPtr start, _) in _blocks)
        {
            NativeMemory.Free((void*)start);
        }

        _blocks.Clear();
    }
}
