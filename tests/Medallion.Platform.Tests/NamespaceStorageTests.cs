using Medallion.DuckDb;
using Medallion.Engine.Sessions;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Tests;

namespace Medallion.Platform.Tests;

/// <summary>A project whose bronze lives apart from its other namespaces (<c>storage: {default: ..., bronze: ...}</c>).</summary>
public sealed class NamespaceStorageTests : IDisposable
{
    private readonly TestProject _files = new TestProject("name: split\nstorage:\n  default: lake\n  bronze: raw/bronze-tables\n")
        .Write("sources/files.yml", """
            sources:
              - name: orders
                format: csv
                path: data/orders/*.csv
                target: bronze.orders
            """)
        .Write("models/silver/orders.sql", "SELECT CAST(order_id AS BIGINT) AS order_id, CAST(amount AS DOUBLE) AS amount FROM bronze.orders\n")
        .Write("data/orders/1.csv", "order_id,amount\n1,10\n2,20\n3,30\n");

    public void Dispose() => _files.Dispose();

    private async Task<MedallionProject> RunAsync()
    {
        MedallionProject project = await _files.LoadAsync();
        RunResult result = await ProjectRunner.RunAsync(project, new RunOptions());
        Assert.True(result.Succeeded, $"The run {result.RunId} failed: {string.Join("; ", result.Steps.Select(s => s.Error))}");
        return project;
    }

    [Fact]
    public async Task A_namespace_with_a_location_of_its_own_keeps_its_tables_there_and_the_others_stay_under_the_default()
    {
        await RunAsync();

        Assert.True(Directory.Exists(Path.Combine(_files.Directory, "raw", "bronze-tables", "orders", "_delta_log")));
        Assert.True(Directory.Exists(Path.Combine(_files.Directory, "lake", "silver", "orders", "_delta_log")));
        Assert.False(Directory.Exists(Path.Combine(_files.Directory, "lake", "bronze")));
    }

    [Fact]
    public async Task The_tables_of_every_location_are_listed_and_read_together()
    {
        MedallionProject project = await RunAsync();

        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_files.Directory);
        IReadOnlyList<TableSummary> tables = await lakehouse.ListTablesAsync();
        await using LakehouseSession session = await LakehouseSession.OpenAsync(ProjectCatalog.Tables(project));
        await using DuckDbDataReader reader = await session.ExecuteReaderAsync("SELECT count(*), sum(s.amount) FROM bronze.orders b JOIN silver.orders s ON s.order_id = CAST(b.order_id AS BIGINT)");

        Assert.Equal([("bronze.orders", Path.Combine(_files.Directory, "raw", "bronze-tables", "orders")), ("silver.orders", Path.Combine(_files.Directory, "lake", "silver", "orders"))],
            tables.Select(t => (t.Name.ToString(), t.Location)));
        Assert.True(reader.Read());
        Assert.Equal((3L, 60.0), (reader.GetInt64(0), reader.GetDouble(1)));
    }
}
