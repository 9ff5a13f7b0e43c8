using Medallion.Catalog;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.Running;

/// <summary>A model whose config asks for Delta UniForm (<c>table_properties</c>) gets Iceberg metadata beside its table's log.</summary>
public sealed class UniFormModelTests : IDisposable
{
    private const string UniFormConfig =
        "table_properties:\n  delta.universalFormat.enabledFormats: iceberg\n  delta.enableIcebergCompatV2: true";

    private static readonly TableName s_silver = new("silver", "orders");
    private readonly RunProject _project = new("orders");

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task A_model_with_uniform_table_properties_writes_iceberg_metadata_naming_each_built_version()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10), (2, 20)) t(id, amount)");
        _project.Model("silver.orders", "SELECT id, amount FROM bronze.orders", UniFormConfig);

        RunResult first = await _project.RunAsync();
        await _project.AppendAsync("bronze.orders", "SELECT 3 AS id, 30 AS amount");
        RunResult second = await _project.RunAsync();

        Assert.True(second.Succeeded, second[s_silver].Error);
        Delta.Snapshots.Snapshot snapshot = await _project.SnapshotAsync("silver.orders");
        Assert.Equal("name", snapshot.Metadata.Configuration["delta.columnMapping.mode"]);
        Assert.Contains("icebergCompatV2", snapshot.Protocol.WriterFeatures!);
        var store = new Storage.LocalObjectStore(_project.Location("silver.orders"));
        Delta.Iceberg.IcebergMetadataFile? iceberg = await Delta.Iceberg.IcebergConverter.FindLatestAsync(store);
        Assert.Equal(second[s_silver].CommittedVersion, iceberg!.ConvertedDeltaVersion);
        Assert.NotEqual(first[s_silver].CommittedVersion, second[s_silver].CommittedVersion);
        Assert.Equal(["1|10", "2|20", "3|30"], await _project.QueryAsync("SELECT id, amount FROM silver.orders ORDER BY id"));
    }

    [Fact]
    public async Task A_model_asking_for_uniform_and_deletion_vectors_is_refused_at_its_table_properties()
    {
        _project.Model("silver.orders", "SELECT 1 AS id", UniFormConfig + "\n  delta.enableDeletionVectors: true");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => _project.RunAsync());

        Assert.Equal(ErrorCode.UniFormConfigurationInvalid, error.Code);
        Assert.Equal(
            "models/silver/orders.sql:3:3: UniForm cannot be enabled on this model's table: IcebergCompatV2 and deletion vectors (delta.enableDeletionVectors = true) cannot both be enabled: Iceberg readers would see deleted rows.\nHelp: remove delta.enableDeletionVectors, or UniForm.",
            error.Message);
    }
}
