using System.Text;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Tests.ObjectStores;
using Medallion.Engine.Scanning;
using Medallion.Pipelines.Privacy;
using Medallion.Platform.Privacy;

namespace Medallion.Platform.Tests.Privacy;

/// <summary>Data subject requests against a project the real runner built: find, erase, and what is left on disk.</summary>
public sealed class SubjectErasureTests : IDisposable
{
    private static readonly SubjectIdentifier s_person = SubjectIdentifier.Parse(PiiKind.Cpf, PeopleProject.Cpf);
    private readonly PeopleProject _people = new();

    public void Dispose() => _people.Dispose();

    [Fact]
    public async Task Find_reaches_the_person_in_bronze_silver_quarantine_and_gold_through_classifications_and_lineage()
    {
        await _people.BuildAsync();
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory);

        SubjectSearch search = await lakehouse.FindSubjectAsync(SubjectIdentifier.Parse(PiiKind.Cpf, PeopleProject.CpfDigits));

        Assert.Equal(
            [("bronze.customers", 3, "cpf"), ("silver.customers", 1, "cpf"), ("silver.customers_quarantine", 1, "cpf"), ("gold.people", 1, "cpf")],
            search.Tables.Select(t => (t.Table.ToString(), t.Rows.Count, string.Join(",", t.MatchedColumns))));
        SubjectValue email = search.Tables[1].Rows[0].Single(v => v.Column == "email");
        Assert.Equal(("E-mail, lower-cased.", "pii", (object?)PeopleProject.NewEmail), (email.Description, email.Classification, email.Value));
    }

    [Fact]
    public async Task Erase_leaves_no_version_of_any_table_showing_the_person_and_older_versions_fail_naming_the_erasure()
    {
        await _people.BuildAsync();
        ErasureReport report;
        await using (Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory))
        {
            report = await lakehouse.EraseSubjectAsync(s_person, "dpo");
        }

        Assert.Equal(["bronze.customers", "silver.customers", "silver.customers_quarantine", "gold.people"], report.Tables.Select(t => t.Table));
        Assert.Equal(["delete", "delete", "delete", "anonymize"], report.Tables.Select(t => t.Action));
        Assert.Equal([3L, 1L, 1L, 1L], report.Tables.Select(t => t.Rows));
        Assert.All(report.Tables, t => Assert.NotEmpty(t.RemovedFiles));
        Assert.True(File.Exists(Path.Combine(_people.Directory, report.SavedTo!)));

        int unreadable = 0;
        using var connection = new DuckDbConnection();
        connection.Open();
        foreach (string table in new[] { "bronze/customers", "silver/customers", "silver/customers_quarantine", "gold/people" })
        {
            DeltaTable delta = StorageResolver.Default.OpenTable(Path.Combine(_people.Warehouse, table), connection);
            Snapshot latest = await delta.GetSnapshotAsync();
            for (long version = 0; version <= latest.Version; version++)
            {
                try
                {
                    Snapshot snapshot = await delta.GetSnapshotAsync(version);
                    string scan = await DeltaScanSql.BuildAsync(delta, snapshot);
                    Assert.Equal(0L, await CountPersonAsync(connection, $"({scan})"));
                }
                catch (MedallionException e) when (e.Code == ErrorCode.DeltaFileErased)
                {
                    Assert.Contains($"erasure {report.Id} on ", e.Message, StringComparison.Ordinal);
                    Assert.StartsWith($"Version {version} of the Delta table at ", e.Message, StringComparison.Ordinal);
                    unreadable++;
                }
            }
        }

        Assert.True(unreadable >= 4, $"only {unreadable} versions were refused");
    }

    [Fact]
    public async Task After_an_erasure_no_file_of_any_table_holds_the_persons_cpf_or_email_raw_or_decompressed()
    {
        await _people.BuildAsync();
        await using (Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory))
        {
            await lakehouse.EraseSubjectAsync(s_person, "dpo");
        }

        // Every file: data files, change data, and the log (commits' add statistics, checkpoints), whose versions before
        // the erasure were removed with it.
        string[] needles = [PeopleProject.CpfDigits, PeopleProject.Cpf, PeopleProject.OldEmail, PeopleProject.NewEmail];
        using var connection = new DuckDbConnection();
        connection.Open();
        List<string> files = Directory.EnumerateFiles(_people.Warehouse, "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(files, f => f.EndsWith(".checkpoint.parquet", StringComparison.Ordinal));
        foreach (string file in files)
        {
            byte[] bytes = await File.ReadAllBytesAsync(file);
            foreach (string needle in needles)
            {
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) < 0, $"{file} holds {needle} in its bytes");
            }

            if (file.EndsWith(".parquet", StringComparison.Ordinal))
            {
                // Decompressed: every value of every row, nested ones (a checkpoint's statistics) included, as JSON text.
                foreach (string needle in needles)
                {
                    using DuckDbCommand command = connection.CreateCommand();
                    command.CommandText = $"SELECT count(*) FROM (SELECT CAST(to_json(t) AS VARCHAR) AS j FROM read_parquet({DuckDbConnection.QuoteLiteral(file)}) t) WHERE contains(j, $1)";
                    command.Parameters.Add(needle);
                    Assert.True(Convert.ToInt64(await command.ExecuteScalarAsync()) == 0, $"{file} holds {needle} once decompressed");
                }
            }
        }
    }

    [Fact]
    public async Task Erase_keeps_everyone_else_and_a_later_run_does_not_bring_the_person_back()
    {
        await _people.BuildAsync();
        await using (Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory))
        {
            await lakehouse.EraseSubjectAsync(s_person, "dpo");
        }

        _people.Files.Write("data/customers/3.csv", PeopleProject.Customers(900, 5, []));
        await _people.RunAsync();

        await using Lakehouse after = await Lakehouse.OpenAsync(_people.Directory);
        SubjectSearch search = await after.FindSubjectAsync(s_person);
        Assert.Empty(search.Tables);
        IReadOnlyList<TableSummary> tables = await after.ListTablesAsync();
        Assert.Equal(300 + 50 + 5, tables.Single(t => t.Name.ToString() == "silver.customers").Rows);
        Assert.Equal(300 + 50 + 5, tables.Single(t => t.Name.ToString() == "bronze.customers").Rows);
    }

    [Fact]
    public async Task A_run_that_started_before_the_erasure_and_writes_the_person_back_is_waited_for_and_erased_again()
    {
        await _people.BuildAsync();
        await using CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_people.Directory));
        RunRecord run = await catalog.Runs.StartRunAsync("silver.customers");
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory);

        Task<ErasureReport> erasing = lakehouse.EraseSubjectAsync(s_person, "dpo", runWait: TimeSpan.FromMinutes(2));
        // The first pass is over when the last table in lineage order has its erasure record; the erasure then waits.
        await WaitUntilAsync(() => Directory.Exists(Path.Combine(_people.Warehouse, "gold", "people", "_erasures")) || erasing.IsCompleted);
        Assert.False(erasing.IsCompleted);
        // What the run, which read bronze before its erasure, commits last.
        using (var connection = new DuckDbConnection())
        {
            connection.Open();
            await new DeltaWriter(connection).WriteAsync(Path.Combine(_people.Warehouse, "silver", "customers"),
                $"SELECT 1::BIGINT AS customer_id, 'Maria Souza' AS name, '{PeopleProject.CpfDigits}' AS cpf, '{PeopleProject.NewEmail}' AS email, TIMESTAMP '2020-01-05' AS created_at");
        }

        await catalog.Runs.FinishRunAsync(run.Id, RunStatus.Succeeded);
        ErasureReport report = await erasing;

        Assert.Equal(2, report.Tables.Count(t => t.Table == "silver.customers"));
        Assert.Empty((await lakehouse.FindSubjectAsync(s_person)).Tables);
    }

    [Fact]
    public async Task An_erasure_that_outwaits_a_run_started_before_it_fails_naming_the_run_and_keeps_what_it_erased()
    {
        await _people.BuildAsync();
        await using CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_people.Directory));
        RunRecord run = await catalog.Runs.StartRunAsync("silver.customers");
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory);

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => lakehouse.EraseSubjectAsync(s_person, "dpo", runWait: TimeSpan.FromSeconds(1)));

        Assert.Equal(ErrorCode.SubjectErasureUnconfirmed, error.Code);
        Assert.Contains(run.Id, error.Message, StringComparison.Ordinal);
        Assert.Empty((await lakehouse.FindSubjectAsync(s_person)).Tables);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(1), "Gave up waiting");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_dry_run_reports_the_rows_and_files_and_changes_nothing()
    {
        await _people.BuildAsync();
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory);
        long versionBefore = (await lakehouse.GetTableHistoryAsync(new TableName("silver", "customers"), 1))[0].Version;

        ErasureReport report = await lakehouse.EraseSubjectAsync(s_person, "dpo", dryRun: true);

        Assert.True(report.DryRun);
        Assert.Equal(6L, report.Rows);
        Assert.All(report.Tables, t => Assert.Null(t.CommittedVersion));
        Assert.Null(report.SavedTo);
        Assert.Equal(versionBefore, (await lakehouse.GetTableHistoryAsync(new TableName("silver", "customers"), 1))[0].Version);
        Assert.Equal(4, (await lakehouse.FindSubjectAsync(s_person)).Tables.Count);
    }

    [Fact]
    public async Task Find_follows_relationships_rules_to_the_rows_linked_to_the_person_only_by_key()
    {
        WriteOrders();
        await _people.BuildAsync();
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory);

        SubjectSearch search = await lakehouse.FindSubjectAsync(s_person);

        // Orders of both the person's accounts (1, and 7, which sits in the customers' quarantine), then the items of those orders.
        Assert.Equal(
            [("silver.orders", "100,101,103", "customer_id"), ("silver.order_items", "1000,1001,1003", "order_id")],
            search.Tables.Where(t => t.Table.Name.StartsWith("order", StringComparison.Ordinal))
                .Select(t => (t.Table.ToString(), string.Join(",", t.Rows.Select(r => r[0].Value).Order()), string.Join(",", t.MatchedColumns))));
    }

    [Fact]
    public async Task Erase_deletes_the_rows_linked_to_the_person_by_key_and_keeps_everyone_elses()
    {
        WriteOrders();
        await _people.BuildAsync();
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory);

        ErasureReport report = await lakehouse.EraseSubjectAsync(s_person, "dpo");

        Assert.Equal([("silver.orders", 3L), ("silver.order_items", 3L)], report.Tables.Where(t => t.Table.Contains("order", StringComparison.Ordinal)).Select(t => (t.Table, t.Rows)));
        Assert.Equal("102", await KeysAsync("silver/orders", "order_id"));
        Assert.Equal("1002", await KeysAsync("silver/order_items", "item_id"));
    }

    [Fact]
    public async Task Erase_reaches_the_bronze_rows_a_linked_model_copies_its_key_from_so_a_rebuild_does_not_bring_them_back()
    {
        _people.Files
            .Write("sources/shop.yml", """
                sources:
                  - name: orders
                    format: csv
                    path: data/orders/*.csv
                    target: bronze.orders
                """)
            .Write("data/orders/1.csv", "order_id,customer_id,amount\n100,1,10.0\n101,7,20.0\n102,15,30.0\n103,1,40.0\n")
            .Write("models/silver/orders.sql", """
                /* ---
                expectations:
                  - relationships: {column: customer_id, to: silver.customers, field: customer_id}
                    severity: warn
                --- */
                SELECT CAST(order_id AS BIGINT) AS order_id, CAST(customer_id AS BIGINT) AS customer_id, CAST(amount AS DOUBLE) AS amount
                FROM bronze.orders
                WHERE EXISTS (SELECT 1 FROM silver.customers)
                """);
        await _people.BuildAsync();
        ErasureReport report;
        await using (Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory))
        {
            report = await lakehouse.EraseSubjectAsync(s_person, "dpo");
        }

        // silver.orders is a table model: the next run rebuilds it from bronze.orders.
        await _people.RunAsync();

        Assert.Equal([("bronze.orders", 3L), ("silver.orders", 3L)], report.Tables.Where(t => t.Table.EndsWith(".orders", StringComparison.Ordinal)).Select(t => (t.Table, t.Rows)));
        Assert.Equal("102", await KeysAsync("bronze/orders", "order_id"));
        Assert.Equal("102", await KeysAsync("silver/orders", "order_id"));
    }

    /// <summary>The values of <paramref name="key"/> in a table's latest version, comma-separated.</summary>
    private async Task<object?> KeysAsync(string table, string key)
    {
        using var connection = new DuckDbConnection();
        connection.Open();
        DeltaTable delta = StorageResolver.Default.OpenTable(Path.Combine(_people.Warehouse, table), connection);
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT string_agg(CAST({key} AS VARCHAR), ',' ORDER BY {key}) FROM ({await DeltaScanSql.BuildAsync(delta, await delta.GetSnapshotAsync())})";
        return await command.ExecuteScalarAsync();
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("az")]
    public async Task Erase_on_an_object_store_removes_the_person_from_every_table_and_leaves_everyone_else(string kind)
    {
        string storage = await TestObjectStores.NewTableAsync(kind);
        using var people = new PeopleProject($"name: people\nstorage: {storage}\n");
        await people.BuildAsync();
        ErasureReport report;
        await using (Lakehouse lakehouse = await Lakehouse.OpenAsync(people.Directory))
        {
            report = await lakehouse.EraseSubjectAsync(s_person, "dpo");
        }

        await using Lakehouse after = await Lakehouse.OpenAsync(people.Directory);
        Assert.Equal(["bronze.customers", "silver.customers", "silver.customers_quarantine", "gold.people"], report.Tables.Select(t => t.Table));
        Assert.Equal([3L, 1L, 1L, 1L], report.Tables.Select(t => t.Rows));
        Assert.Empty((await after.FindSubjectAsync(s_person)).Tables);
        Assert.Equal(300 + 50, (await after.ListTablesAsync()).Single(t => t.Name.ToString() == "silver.customers").Rows);
    }

    /// <summary>Orders keyed by customer (two of the person's, under both accounts) and their items keyed by order, linked by relationships rules only.</summary>
    private void WriteOrders() => _people.Files
        .Write("models/silver/orders.sql", """
            /* ---
            expectations:
              - relationships: {column: customer_id, to: silver.customers, field: customer_id}
                severity: warn
            --- */
            -- Built after the customers (the rule alone orders nothing); account 7 arrives with the second file.
            SELECT * FROM (VALUES (100, 1, 10.0), (101, 7, 20.0), (102, 15, 30.0), (103, 1, 40.0)) o(order_id, customer_id, amount)
            WHERE EXISTS (SELECT 1 FROM silver.customers)
            """)
        .Write("models/silver/order_items.sql", """
            /* ---
            expectations:
              - relationships: {column: order_id, to: silver.orders, field: order_id}
            --- */
            SELECT * FROM (VALUES (1000, 100, 'book'), (1001, 101, 'lamp'), (1002, 102, 'pen'), (1003, 103, 'mug')) i(item_id, order_id, product)
            WHERE EXISTS (SELECT 1 FROM silver.orders)
            """);

    /// <summary>Rows of a relation whose text (every column, cast) holds the person's CPF or e-mails.</summary>
    internal static async Task<long> CountPersonAsync(DuckDbConnection connection, string relation)
    {
        using DuckDbCommand command = connection.CreateCommand();
        string text = "lower(CAST(t AS VARCHAR))";
        command.CommandText = $"SELECT count(*) FROM {relation} AS t WHERE contains({text}, '{PeopleProject.CpfDigits}') OR contains({text}, '{PeopleProject.Cpf}') OR contains({text}, '{PeopleProject.OldEmail}') OR contains({text}, '{PeopleProject.NewEmail}')";
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
