using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Medallion.DuckDb.Internal;

/// <summary>
/// Native memory handed out in order and taken back all at once: the string bytes of one appender chunk, which DuckDB
/// copies when the chunk is appended, or of a whole <see cref="DuckDbChunkTable"/>. Blocks of the usual size are kept
/// across <see cref="Reset"/>; larger ones are freed then, so a value of unusual length does not keep its memory.
/// </summary>
internal sealed unsafe class NativeArena : IDisposable
{
    private const int BlockBytes = 256 * 1024;

    private readonly List<(IntPtr Start, int Size)> _blocks = [];
    private int _current = -1;
    private int _used;

    /// <summary>Room for <paramref name="bytes"/> bytes at the next free place; <see cref="Commit"/> keeps what was written.</summary>
    public byte* Reserve(int bytes)
    {
        if (_current < 0 || _used + bytes > _blocks[_current].Size)
        {
            NextBlock(bytes);
        }

        return (byte*)_blocks[_current].Start + _used;
    }

    /// <summary>Keeps the first <paramref name="bytes"/> bytes of the last reservation; returns where they start.</summary>
    public byte* Commit(int bytes)
    {
        byte* start = (byte*)_blocks[_current].Start + _used;
        _used += bytes;
        return start;
    }

    /// <summary>
    /// Makes all the memory free again; nothing handed out before may be used after this. Blocks of the usual size
    /// are kept for the next round; larger ones are freed.
    /// </summary>
    public void Reset()
    {
        for (int i = _blocks.Count - 1; i >= 0; i--)
        {
            if (_blocks[i].Size > BlockBytes)
            {
                NativeMemory.Free((void*)_blocks[i].Start);
                _blocks.RemoveAt(i);
            }
        }

        _current = -1;
        _used = 0;
    }

    public void Dispose()
    {
        foreach ((IntPtr start, _) in _blocks)
        {
            NativeMemory.Free((void*)start);
        }

        _blocks.Clear();
        _current = -1;
        _used = 0;
    }

    // The next kept block when it has room, else a new one after the current block.
    private void NextBlock(int bytes)
    {
        _used = 0;
        if (_current + 1 < _blocks.Count && _blocks[_current + 1].Size >= bytes)
        {
            _current++;
            return;
        }

        int size = Math.Max(BlockBytes, bytes);
        _blocks.Insert(++_current, ((IntPtr)NativeMemory.Alloc((nuint)size), size));
    }
}
