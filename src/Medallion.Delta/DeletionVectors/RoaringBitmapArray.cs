using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace Medallion.Delta.DeletionVectors;

/// <summary>
/// Decodes Delta's <c>RoaringBitmapArray</c> (PROTOCOL.md "Deletion Vector Format"): a little-endian magic
/// number followed by a 64-bit Roaring bitmap in the portable format, i.e. a count of 32-bit buckets, each a
/// 32-bit high key and a standard 32-bit Roaring bitmap (https://github.com/RoaringBitmap/RoaringFormatSpec).
/// </summary>
internal static class RoaringBitmapArray
{
    public const int MagicNumber = 1681511377;

    // The older "native" layout (big-endian magic 1681511376, then a big-endian bitmap count and, per
    // 32-bit bitmap, its big-endian byte size; the bitmap index is the high key). The inline example in
    // PROTOCOL.md uses it, so readers meet it in the wild.
    private const int NativeMagicNumber = 1681511376;
    private const int SerialCookieNoRunContainer = 12346;
    private const int SerialCookie = 12347;
    private const int NoOffsetThreshold = 4;
    private const int ArrayContainerMaxCardinality = 4096;

    /// <summary>Decodes the bitmap into its row indexes, ascending.</summary>
    /// <exception cref="FormatException">The bytes are not a valid RoaringBitmapArray.</exception>
    public static long[] Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 8 && BinaryPrimitives.ReadInt32BigEndian(data) == NativeMagicNumber)
        {
            return DecodeNative(data);
        }

        if (data.Length < 12 || BinaryPrimitives.ReadInt32LittleEndian(data) != MagicNumber)
        {
            throw new FormatException("the deletion vector does not start with the RoaringBitmapArray magic number 1681511377");
        }

        var rows = new List<long>();
        int pos = 4;
        long buckets = BinaryPrimitives.ReadInt64LittleEndian(data[pos..]);
        pos += 8;
        if (buckets < 0 || buckets > int.MaxValue)
        {
            throw new FormatException($"the deletion vector claims {buckets} buckets");
        }

        for (long b = 0; b < buckets; b++)
        {
            uint high = BinaryPrimitives.ReadUInt32LittleEndian(data[pos..]);
            pos += 4;
            pos += Decode32(data[pos..], (long)high << 32, rows);
        }

        return rows.ToArray();
    }

    private static long[] DecodeNative(ReadOnlySpan<byte> data)
    {
        var rows = new List<long>();
        int bitmaps = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
        int pos = 8;
        for (int i = 0; i < bitmaps; i++)
        {
            int size = BinaryPrimitives.ReadInt32BigEndian(data[pos..]);
            pos += 4;
            Decode32(data.Slice(pos, size), (long)i << 32, rows);
            pos += size;
        }

        return rows.ToArray();
    }

    /// <summary>Decodes one standard 32-bit Roaring bitmap; returns the bytes consumed.</summary>
    private static int Decode32(ReadOnlySpan<byte> data, long high, List<long> rows)
    {
        int pos = 0;
        uint cookie = BinaryPrimitives.ReadUInt32LittleEndian(data);
        pos += 4;
        int containers;
        ReadOnlySpan<byte> runFlags = default;
        bool hasRuns = (cookie & 0xFFFF) == SerialCookie;
        if (hasRuns)
        {
            containers = (int)(cookie >> 16) + 1;
            int flagBytes = (containers + 7) / 8;
            runFlags = data.Slice(pos, flagBytes);
            pos += flagBytes;
        }
        else if (cookie == SerialCookieNoRunContainer)
        {
            containers = BinaryPrimitives.ReadInt32LittleEndian(data[pos..]);
            pos += 4;
        }
        else
        {
            throw new FormatException($"unknown Roaring cookie {cookie}");
        }

        var keys = new ushort[containers];
        var cardinalities = new int[containers];
        for (int i = 0; i < containers; i++)
        {
            keys[i] = BinaryPrimitives.ReadUInt16LittleEndian(data[pos..]);
            cardinalities[i] = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 2)..]) + 1;
            pos += 4;
        }

        if (!hasRuns || containers >= NoOffsetThreshold)
        {
            pos += 4 * containers; // the offset header; containers follow each other anyway
        }

        for (int i = 0; i < containers; i++)
        {
            long baseValue = high | ((long)keys[i] << 16);
            bool isRun = hasRuns && (runFlags[i / 8] & (1 << (i % 8))) != 0;
            if (isRun)
            {
                int runs = BinaryPrimitives.ReadUInt16LittleEndian(data[pos..]);
                pos += 2;
                for (int r = 0; r < runs; r++)
                {
                    int start = BinaryPrimitives.ReadUInt16LittleEndian(data[pos..]);
                    int length = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 2)..]);
                    pos += 4;
                    for (int v = start; v <= start + length; v++)
                    {
                        rows.Add(baseValue | (long)v);
                    }
                }
            }
            else if (cardinalities[i] > ArrayContainerMaxCardinality)
            {
                for (int w = 0; w < 1024; w++)
                {
                    ulong word = BinaryPrimitives.ReadUInt64LittleEndian(data[(pos + (w * 8))..]);
                    while (word != 0)
                    {
                        int bit = System.Numerics.BitOperations.TrailingZeroCount(word);
                        rows.Add(baseValue | (long)((w * 64) + bit));
                        word &= word - 1;
                    }
                }

                pos += 8192;
            }
            else
            {
                for (int v = 0; v < cardinalities[i]; v++)
                {
                    rows.Add(baseValue | BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + (v * 2))..]));
                }

                pos += 2 * cardinalities[i];
            }
        }

        return pos;
    }
}
