using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace Medallion.Delta.DeletionVectors;

/// <summary>
/// Encodes and decodes Delta's <c>RoaringBitmapArray</c> (PROTOCOL.md "Deletion Vector Format"): a little-endian magic
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

    /// <summary>
    /// Encodes ascending, distinct row indexes in the portable format with the magic number. Each 16-bit container
    /// takes the smallest of the three standard encodings (array, bitmap, runs), as Roaring's <c>runOptimize</c> does,
    /// so clustered deletes stay a few bytes.
    /// </summary>
    /// <exception cref="ArgumentException">The rows are not ascending and distinct, or one is negative.</exception>
    public static byte[] Encode(ReadOnlySpan<long> rows)
    {
        var output = new ArrayBufferWriter<byte>(16 + (rows.Length * 2));
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(header, MagicNumber);
        int buckets = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i] < 0 || (i > 0 && rows[i] <= rows[i - 1]))
            {
                throw new ArgumentException($"Row indexes must be ascending, distinct and non-negative; index {i} is {rows[i]}.", nameof(rows));
            }

            if (i == 0 || (rows[i] >> 32) != (rows[i - 1] >> 32))
            {
                buckets++;
            }
        }

        BinaryPrimitives.WriteInt64LittleEndian(header[4..], buckets);
        output.Write(header);
        int start = 0;
        while (start < rows.Length)
        {
            long high = rows[start] >> 32;
            int end = start;
            while (end < rows.Length && (rows[end] >> 32) == high)
            {
                end++;
            }

            BinaryPrimitives.WriteUInt32LittleEndian(output.GetSpan(4), (uint)high);
            output.Advance(4);
            Encode32(rows[start..end], output);
            start = end;
        }

        return output.WrittenSpan.ToArray();
    }

    private enum ContainerKind
    {
        Array,
        Bitmap,
        Run,
    }

    /// <summary>One standard 32-bit Roaring bitmap of the low halves of <paramref name="rows"/> (which share their high half).</summary>
    private static void Encode32(ReadOnlySpan<long> rows, ArrayBufferWriter<byte> output)
    {
        var keys = new List<ushort>();
        var starts = new List<int>();
        for (int i = 0; i < rows.Length; i++)
        {
            ushort key = (ushort)((rows[i] >> 16) & 0xFFFF);
            if (i == 0 || key != keys[^1])
            {
                keys.Add(key);
                starts.Add(i);
            }
        }

        starts.Add(rows.Length);
        int containers = keys.Count;
        var kinds = new ContainerKind[containers];
        var runCounts = new int[containers];
        bool anyRun = false;
        for (int c = 0; c < containers; c++)
        {
            ReadOnlySpan<long> values = rows[starts[c]..starts[c + 1]];
            int runs = 1;
            for (int i = 1; i < values.Length; i++)
            {
                if (values[i] != values[i - 1] + 1)
                {
                    runs++;
                }
            }

            runCounts[c] = runs;
            int arrayOrBitmap = values.Length <= ArrayContainerMaxCardinality ? 2 * values.Length : 8192;
            kinds[c] = 2 + (4 * runs) < arrayOrBitmap ? ContainerKind.Run
                : values.Length <= ArrayContainerMaxCardinality ? ContainerKind.Array : ContainerKind.Bitmap;
            anyRun |= kinds[c] == ContainerKind.Run;
        }

        int headerSize;
        if (anyRun)
        {
            headerSize = 4 + ((containers + 7) / 8) + (4 * containers) + (containers >= NoOffsetThreshold ? 4 * containers : 0);
        }
        else
        {
            headerSize = 8 + (8 * containers);
        }

        var sizes = new int[containers];
        int body = 0;
        for (int c = 0; c < containers; c++)
        {
            int cardinality = starts[c + 1] - starts[c];
            sizes[c] = kinds[c] switch
            {
                ContainerKind.Run => 2 + (4 * runCounts[c]),
                ContainerKind.Array => 2 * cardinality,
                _ => 8192,
            };
            body += sizes[c];
        }

        Span<byte> data = output.GetSpan(headerSize + body)[..(headerSize + body)];
        data.Clear();
        int pos = 0;
        if (anyRun)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data, (uint)(SerialCookie | ((containers - 1) << 16)));
            pos = 4;
            for (int c = 0; c < containers; c++)
            {
                if (kinds[c] == ContainerKind.Run)
                {
                    data[pos + (c / 8)] |= (byte)(1 << (c % 8));
                }
            }

            pos += (containers + 7) / 8;
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data, SerialCookieNoRunContainer);
            BinaryPrimitives.WriteInt32LittleEndian(data[4..], containers);
            pos = 8;
        }

        for (int c = 0; c < containers; c++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(data[pos..], keys[c]);
            BinaryPrimitives.WriteUInt16LittleEndian(data[(pos + 2)..], (ushort)(starts[c + 1] - starts[c] - 1));
            pos += 4;
        }

        if (!anyRun || containers >= NoOffsetThreshold)
        {
            int offset = headerSize;
            for (int c = 0; c < containers; c++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(data[pos..], offset);
                pos += 4;
                offset += sizes[c];
            }
        }

        for (int c = 0; c < containers; c++)
        {
            ReadOnlySpan<long> values = rows[starts[c]..starts[c + 1]];
            switch (kinds[c])
            {
                case ContainerKind.Run:
                    BinaryPrimitives.WriteUInt16LittleEndian(data[pos..], (ushort)runCounts[c]);
                    pos += 2;
                    int runStart = 0;
                    for (int i = 1; i <= values.Length; i++)
                    {
                        if (i == values.Length || values[i] != values[i - 1] + 1)
                        {
                            BinaryPrimitives.WriteUInt16LittleEndian(data[pos..], (ushort)(values[runStart] & 0xFFFF));
                            BinaryPrimitives.WriteUInt16LittleEndian(data[(pos + 2)..], (ushort)(i - 1 - runStart));
                            pos += 4;
                            runStart = i;
                        }
                    }

                    break;
                case ContainerKind.Array:
                    foreach (long v in values)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(data[pos..], (ushort)(v & 0xFFFF));
                        pos += 2;
                    }

                    break;
                default:
                    foreach (long v in values)
                    {
                        int low = (int)(v & 0xFFFF);
                        data[pos + (low >> 3)] |= (byte)(1 << (low & 7));
                    }

                    pos += 8192;
                    break;
            }
        }

        output.Advance(headerSize + body);
    }

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
