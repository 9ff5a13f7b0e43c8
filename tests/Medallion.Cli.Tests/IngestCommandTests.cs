using Medallion.Ingestion.Tests;

namespace Medallion.Cli.Tests;

public sealed class IngestCommandTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Ingest_lands_a_table_in_bronze_and_a_second_pass_reads_only_what_is_new()
    {
        await database.ExecuteAsync("CREATE TABLE orders (id int PRIMARY KEY, updated_at int); INSERT INTO orders VALUES (1, 1), (2, 2)");
        using var project = new IngestProject(database, "public.orders", "        mode: incremental\n        cursor: [updated_at]");

        Cli.Result first = await Cli.RunAsync("ingest", "--project", project.Directory);
        await database.ExecuteAsync("INSERT INTO orders VALUES (3, 3)");
        Cli.Result second = await Cli.RunAsync("ingest", "--project", project.Directory);

        Assert.Equal((0, ""), (first.ExitCode, first.Error));
        Assert.Equal("shop: public.orders -> bronze.orders: 2 rows in 1 batches, version 0\n", first.Output);
        Assert.Equal("shop: public.orders -> bronze.orders: 1 rows in 1 batches, version 1\n", second.Output);
        Assert.Equal(["1", "2", "3"], await project.QueryAsync("SELECT id FROM bronze.orders ORDER BY id"));
    }

    [Fact]
    public async Task Selecting_a_source_the_project_does_not_have_names_the_ones_it_has()
    {
        using var project = new IngestProject(database, "public.missing", "");

        Cli.Result result = await Cli.RunAsync("ingest", "--select", "shops", "--project", project.Directory);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Error MDL6001: --select names no database source 'shops'.\nHelp: the project's database sources are shop.\n", result.Error);
    }

    [Fact]
    public async Task A_cdc_table_without_a_full_replica_identity_gets_a_warning()
    {
        await database.ExecuteAsync("CREATE TABLE plain (id int PRIMARY KEY)");
        using var project = new IngestProject(database, "public.plain", $"        mode: cdc\n        slot: {database.Name}_plain");

        Cli.Result result = await Cli.RunAsync("ingest", "--project", project.Directory);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("warning: Source shop: table public.plain has REPLICA IDENTITY DEFAULT, so deletes carry only the key columns (the other columns land as NULL) and updates carry no before-image; run ALTER TABLE public.plain REPLICA IDENTITY FULL for full rows\n", result.Error);
    }
}
