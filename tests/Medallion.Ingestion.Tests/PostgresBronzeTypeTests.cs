namespace Medallion.Ingestion.Tests;

/// <summary>PostgreSQL tables land in bronze whatever their column types (issue #22).</summary>
public sealed class PostgresBronzeTypeTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_table_with_an_interval_column_loads_into_bronze_as_iso_8601_text()
    {
        await database.ExecuteAsync("CREATE TABLE waits (id int PRIMARY KEY, wait interval); INSERT INTO waits VALUES (1, '1 year 2 mons 3 days 04:05:06.789'), (2, '-1 days -00:00:00.000001'), (3, NULL)");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);

        var source = new PostgresSource(database.ConnectionString, new SourceTableOptions { SourceName = "pg", Table = "waits" });
        await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Equal("VARCHAR", target.Scalar("SELECT typeof(wait) FROM bronze LIMIT 1"));
        Assert.Equal(["P1Y2M3DT4H5M6.789S", "P-1DT-0.000001S", null], target.Column<string?>("SELECT wait FROM bronze ORDER BY id"));
    }
}
