using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Delta.DeletionVectors;
using Medallion.Storage;

namespace Medallion.Delta.Tests;

public sealed class DeletionVectorWriteTests
{
    /// <summary>Every deletion vector of every DV file in the conformance suite (written by Spark and delta-rs), as (file, offset, bitmap).</summary>
    public static TheoryData<string> ConformanceDvFiles()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.EnumerateFiles(ConformanceTables.Root, "deletion_vector_*.bin", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(ConformanceTables.Root, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ConformanceDvFiles))]
    public void Encoding_the_rows_of_a_conformance_deletion_vector_gives_back_its_exact_bytes(string relativePath)
    {
        byte[] file = File.ReadAllBytes(Path.Combine(ConformanceTables.Root, relativePath));
        Assert.Equal(1, file[0]);
        int entries = 0;
        for (int pos = 1; pos < file.Length; entries++)
        {
            int size = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(pos));
            byte[] bitmap = file.AsSpan(pos + 4, size).ToArray();
            long[] rows = RoaringBitmapArray.Decode(bitmap);

            Assert.Equal(Convert.ToHexString(bitmap), Convert.ToHexString(RoaringBitmapArray.Encode(rows)));
            pos += size + 8;
        }

        Assert.True(entries > 0, $"{relativePath} holds no deletion vector");
    }

    [Theory]
    [InlineData(new long[] { 0 })]
    [InlineData(new long[] { 3, 4, 7, 11, 18, 29 })]
    [InlineData(new long[] { 65535, 65536, 65537, 1L << 32, (1L << 32) + 1, 5L << 40 })]
    public void Encoded_bitmaps_decode_to_the_same_rows(long[] rows)
    {
        Assert.Equal(rows, RoaringBitmapArray.Decode(RoaringBitmapArray.Encode(rows)));
    }

    [Fact]
    public void Dense_scattered_and_clustered_containers_round_trip()
    {
        var rows = new List<long>();
        rows.AddRange(Enumerable.Range(0, 30_000).Select(i => (long)i * 2));          // > 4096 per container: bitmaps
        rows.AddRange(Enumerable.Range(200_000, 50_000).Select(i => (long)i));        // one long run
        rows.AddRange(Enumerable.Range(0, 100).Select(i => 400_000L + (i * 7)));      // a small array
        long[] expected = [.. rows];

        byte[] encoded = RoaringBitmapArray.Encode(expected);

        Assert.Equal(expected, RoaringBitmapArray.Decode(encoded));
    }

    [Fact]
    public void Encoding_refuses_rows_out_of_order()
    {
        Assert.Throws<ArgumentException>(() => RoaringBitmapArray.Encode([5, 3]));
    }

    [Fact]
    public void Z85_encoding_of_the_protocol_example_uuid_gives_its_path_text()
    {
        byte[] uuid = Guid.Parse("d2c639aa-8816-431a-aaf6-d3fe2512ff61").ToByteArray(bigEndian: true);

        Assert.Equal("^-aqEH.-t@S}K{vb[*k^", Z85.Encode(uuid));
    }

    [Fact]
    public async Task A_written_deletion_vector_file_is_read_back_through_its_descriptors()
    {
        using var dir = new TempDirectory();
        var store = new LocalObjectStore(dir.Path);
        var builder = new DeletionVectorFileBuilder();
        DeletionVectorDescriptor first = builder.Add([1, 2, 3]);
        DeletionVectorDescriptor second = builder.Add([0, 100_000, 5_000_000_000]);

        await builder.WriteAsync(store, default);

        Assert.Equal(1, first.Offset);
        Assert.Equal(builder.Key, DeletionVectorReader.ResolveKey(store, second));
        long[] firstRows = await DeletionVectorReader.ReadAsync(store, first, "a.parquet", default);
        long[] secondRows = await DeletionVectorReader.ReadAsync(store, second, "b.parquet", default);
        Assert.Equal(new long[] { 1, 2, 3 }, firstRows);
        Assert.Equal(new long[] { 0, 100_000, 5_000_000_000 }, secondRows);
    }
}
