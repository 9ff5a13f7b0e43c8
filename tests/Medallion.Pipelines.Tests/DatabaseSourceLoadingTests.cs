using Medallion.Catalog;
using Medallion.Ingestion;

namespace Medallion.Pipelines.Tests;

public sealed class DatabaseSourceLoadingTests : IDisposable
{
    private const string Settings = """
        name: shop
        connections:
          shop_db:
            type: postgres
            host: localhost
            password: ${SHOP_PASSWORD}
          legacy:
            type: mysql
            host: localhost
        """;

    private readonly TestProject _project = new(Settings + "\n");

    public void Dispose() => _project.Dispose();

    private async Task<MedallionException> LoadFailsAsync(string sources)
    {
        _project.Write("sources/db.yml", sources);
        return await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync(_ => "secret"));
    }

    [Fact]
    public async Task A_database_source_loads_its_connection_tables_modes_and_targets()
    {
        _project.Write("sources/db.yml", """
            sources:
              - name: shop
                connection: shop_db
                mode: incremental
                batch_rows: 500
                tables:
                  - table: public.orders
                    cursor: [updated_at, id]
                  - table: public.customers
                    target: bronze.people
                    mode: cdc
                    slot: people_slot
                  - public.regions
            """);

        MedallionProject project = await _project.LoadAsync(_ => "secret");

        DatabaseSourceDefinition source = Assert.Single(project.DatabaseSources);
        Assert.Equal(("shop", "postgres", "secret"), (source.Name, source.Connection.Type, source.Connection.Settings["password"]));
        Assert.Equal(
            [
                ("public.orders", "bronze.orders", IngestionMode.Incremental, "updated_at,id", (string?)null, 500),
                ("public.customers", "bronze.people", IngestionMode.Cdc, "", "people_slot", 500),
                ("public.regions", "bronze.regions", IngestionMode.Incremental, "", null, 500),
            ],
            source.Tables.Select(t => (t.Table, t.Target.ToString(), t.Mode, string.Join(",", t.CursorColumns), t.Slot, t.BatchRows)));
        Assert.Contains(new TableName("bronze", "people"), project.Tables);
        Assert.Equal(new SourceLocation("sources/db.yml", 2, 5), source.Location);
    }

    [Fact]
    public async Task An_unknown_connection_names_the_file_line_and_the_connections_there_are()
    {
        MedallionException error = await LoadFailsAsync("sources:\n  - connection: shop_bd\n    tables: [orders]\n");

        Assert.Equal(ErrorCode.ProjectFileInvalid, error.Code);
        Assert.Equal("sources/db.yml:2:17: no connection is named 'shop_bd' in medallion.yml. Did you mean 'shop_db'? Expected one of: shop_db, legacy.", error.Message);
    }

    [Fact]
    public async Task An_incremental_table_without_a_cursor_is_refused_at_its_line()
    {
        MedallionException error = await LoadFailsAsync("sources:\n  - connection: shop_db\n    mode: incremental\n    tables:\n      - table: orders\n");

        Assert.Equal("sources/db.yml:5:9: table 'orders' of source 'shop_db' is incremental but has no 'cursor'. Expected e.g. 'cursor: [updated_at, id]'.", error.Message);
    }

    [Fact]
    public async Task A_replication_slot_on_a_mysql_connection_is_refused_at_its_line()
    {
        MedallionException error = await LoadFailsAsync("sources:\n  - connection: legacy\n    tables:\n      - {table: orders, mode: cdc, slot: s1}\n");

        Assert.Equal("sources/db.yml:4:42: 'slot' applies to PostgreSQL's logical replication, but 'legacy' is mysql, whose changes are read from the binlog. Expected no 'slot'.", error.Message);
    }

    [Fact]
    public async Task A_source_parallelism_applies_to_its_full_tables_and_a_table_overrides_it()
    {
        _project.Write("sources/db.yml", """
            sources:
              - connection: shop_db
                parallelism: 3
                tables:
                  - public.orders
                  - {table: public.lines, parallelism: 6}
                  - {table: public.events, mode: incremental, cursor: [id]}
            """);

        MedallionProject project = await _project.LoadAsync(_ => "secret");

        Assert.Equal([3, 6, (int?)null], project.DatabaseSources[0].Tables.Select(t => t.Parallelism));
        Assert.Equal([3, 6, 1], project.DatabaseSources[0].Tables.Select(t => t.ToOptions("shop_db").Parallelism));
    }

    [Fact]
    public async Task A_full_table_without_parallelism_reads_with_half_the_cores()
    {
        _project.Write("sources/db.yml", "sources:\n  - connection: shop_db\n    tables: [public.orders]\n");

        MedallionProject project = await _project.LoadAsync(_ => "secret");

        Assert.Equal(Math.Clamp(Environment.ProcessorCount / 2, 1, 8), project.DatabaseSources[0].Tables[0].ToOptions("shop_db").Parallelism);
    }

    [Theory]
    [InlineData("0", "sources/db.yml:4:38: 'parallelism' must be between 1 and 64, but found 0.")]
    [InlineData("65", "sources/db.yml:4:38: 'parallelism' must be between 1 and 64, but found 65.")]
    [InlineData("two", "sources/db.yml:4:38: 'parallelism' must be a whole number, but found 'two'.")]
    public async Task A_parallelism_out_of_range_is_refused_at_its_line_and_column(string value, string message)
    {
        MedallionException error = await LoadFailsAsync($"sources:\n  - connection: shop_db\n    tables:\n      - {{table: orders, parallelism: {value}}}\n");

        Assert.Equal(ErrorCode.ProjectFileInvalid, error.Code);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public async Task A_parallelism_on_an_incremental_table_is_refused_at_its_line()
    {
        MedallionException error = await LoadFailsAsync("sources:\n  - connection: shop_db\n    tables:\n      - {table: orders, mode: incremental, cursor: [id], parallelism: 2}\n");

        Assert.Equal("sources/db.yml:4:71: 'parallelism' applies to full loads, but table 'orders' is read in mode incremental. Expected 'mode: full', or no 'parallelism'.", error.Message);
    }

    [Fact]
    public async Task A_parallelism_on_a_mysql_source_is_refused_at_its_line()
    {
        MedallionException error = await LoadFailsAsync("sources:\n  - connection: legacy\n    parallelism: 2\n    tables: [orders]\n");

        Assert.Equal("sources/db.yml:3:18: 'parallelism' applies to full loads from PostgreSQL, but 'legacy' is mysql, whose tables are read by one query. Expected no 'parallelism'.", error.Message);
    }

    [Fact]
    public async Task An_unknown_key_of_a_table_suggests_the_closest_one()
    {
        MedallionException error = await LoadFailsAsync("sources:\n  - connection: shop_db\n    tables:\n      - table: orders\n        cursr: [id]\n");

        Assert.StartsWith("sources/db.yml:5:9: unknown key 'cursr' in a table of source 'shop_db'. Did you mean 'cursor'?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_table_and_a_file_source_cannot_land_in_the_same_bronze_table()
    {
        _project.WithSources("orders");

        MedallionException error = await LoadFailsAsync("sources:\n  - connection: shop_db\n    tables: [public.orders]\n");

        Assert.Equal(ErrorCode.ModelDuplicate, error.Code);
        Assert.StartsWith("sources/db.yml:3:14: table bronze.orders is defined twice (first at sources/files.yml:2:5)", error.Message, StringComparison.Ordinal);
    }
}
