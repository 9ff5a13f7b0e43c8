using System.Linq;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Delta.DeletionVectors;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.Storage;

namespace Medallion.Delta.Tests;

public sealed class DeletionVectorTests
{
    [Fact]
    public async Task Inline_deletion_vector_from_the_protocol_example_decodes_to_its_row_indexes()
    {
        var dv = new DeletionVectorDescriptor("i", "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L", null, 40, 6);

        long[] rows = await DeletionVectorReader.ReadAsync(new LocalObjectStore("/nonexistent"), dv, "f.parquet", default);

        Assert.Equal([3, 4, 7, 11, 18, 29], rows);
    }

    [Fact]
    public async Task Inline_deletion_vector_whose_last_z85_block_is_hash_padded_decodes_its_tail_bytes()
    {
        // From krs-cdf-table-with-dv version 5: 34 bytes, the last two encoded as "##093" (03 00), deleting row 3.
        var dv = new DeletionVectorDescriptor("i", "^Bg9^0rr910000000000iXQKl0rr91000005c8Xg##093", null, 34, 1);

        long[] rows = await DeletionVectorReader.ReadAsync(new LocalObjectStore("/nonexistent"), dv, "f.parquet", default);

        Assert.Equal([3], rows);
    }

    [Fact]
    public void Uuid_deletion_vector_path_is_the_prefix_folder_and_the_canonical_uuid_file_name()
    {
        var dv = new DeletionVectorDescriptor("u", "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6);

        Assert.Equal("ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin", DeletionVectorReader.ResolveKey(new LocalObjectStore("/t"), dv));
    }

    [Fact]
    public async Task On_disk_deletion_vector_is_read_with_its_checksum_and_gives_the_deleted_rows()
    {
        DeltaTable table = Conformance.Open("spark-table-with-dv-small");
        Snapshot s = await table.GetSnapshotAsync(1);

        ScanPlan plan = await table.PlanScanAsync(s);

        Assert.Equal([0L, 9L], Assert.Single(plan.Files).DeletedRowIndexes);
    }

    [Fact]
    public async Task Deletion_vector_with_a_wrong_checksum_fails_naming_the_data_file()
    {
        using var dir = new TempDirectory();
        ConformanceTables.CopyTo("spark-table-with-dv-small", dir.Path);
        string dvFile = System.IO.Path.Combine(dir.Path, "deletion_vector_b6a98cdd-7843-470d-8897-708cdffa38c5.bin");
        byte[] bytes = System.IO.File.ReadAllBytes(dvFile);
        bytes[^1] ^= 0xFF;
        System.IO.File.WriteAllBytes(dvFile, bytes);
        var table = new DeltaTable(new LocalObjectStore(dir.Path));

        var e = await Assert.ThrowsAsync<MedallionException>(async () => await table.PlanScanAsync(await table.GetSnapshotAsync(1)));

        Assert.Equal(ErrorCode.DeltaInvalidDeletionVector, e.Code);
        Assert.StartsWith($"The deletion vector of data file 'r4/part-00000-5521fc5e-6e49-4437-8b2d-ce6a1a94a34a-c000.snappy.parquet' in the Delta table at '{dir.Path}' cannot be read: the checksum", e.Message, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task Large_deletion_vectors_decode_to_their_cardinality()
    {
        DeltaTable table = Conformance.Open("spark-table-with-dv-large");

        ScanPlan plan = await table.PlanScanAsync(await table.GetSnapshotAsync());

        Assert.All(plan.Files, f => Assert.Equal(f.DeletedRecordCount, f.DeletedRowIndexes.Count));
        Assert.Contains(plan.Files, f => f.DeletedRowIndexes.Count > 0);
    }

    [Fact]
    public async Task Same_file_with_different_deletion_vectors_is_reconciled_by_path_and_dv_id()
    {
        Snapshot s = await Conformance.Open("golden-log-replay-dv-key-cases").GetSnapshotAsync();

        Assert.Equal(s.Files.Count, s.Files.Select(f => f.Path).Distinct().Count());
    }
}
