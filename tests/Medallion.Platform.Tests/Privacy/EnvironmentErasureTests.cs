using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Scanning;
using Medallion.Pipelines;
using Medallion.Pipelines.Planning;
using Medallion.Pipelines.Privacy;
using Medallion.Platform.Privacy;

namespace Medallion.Platform.Tests.Privacy;

/// <summary>
/// Data subject requests over a project with environments: the person's rows in dev's own tables, in the set kept for
/// rollback, in a shallow clone of prod and in tables awaiting the janitor are found and erased with prod's.
/// </summary>
public sealed class EnvironmentErasureTests : IDisposable
{
    private static readonly SubjectIdentifier s_person = SubjectIdentifier.Parse(PiiKind.Cpf, PeopleProject.Cpf);
    private readonly PeopleProject _people = new();

    public void Dispose() => _people.Dispose();

    /// <summary>Changes silver.customers (one more column) so that an apply to dev builds it into a table of dev's own, or clones prod's when forward-only.</summary>
    private async Task ApplyChangeAsync(string environment, bool forwardOnly = false)
    {
        string model = await File.ReadAllTextAsync(Path.Combine(_people.Directory, "models", "silver", "customers.sql"));
        model = model.Replace("CAST(created_at AS TIMESTAMP) AS created_at", "CAST(created_at AS TIMESTAMP) AS created_at, 'v2' AS revision", StringComparison.Ordinal);
        if (forwardOnly)
        {
            model = model.Replace("materialized: merge", "materialized: merge\nforward_only: true", StringComparison.Ordinal);
        }

        _people.Files.Write("models/silver/customers.sql", model);
        await using ProjectEnvironment project = await ProjectEnvironment.LoadAsync(_people.Directory);
        ApplyResult applied = await ProjectPlanner.ApplyAsync(project, new ApplyOptions { Plan = new PlanOptions { Environment = environment } });
        Assert.True(applied.Succeeded, applied.Run?.Error);
        Assert.Equal(forwardOnly, applied.Cloned.Any(t => t.ToString() == "silver.customers"));
    }

    /// <summary>Where <paramref name="environment"/> points silver.customers now.</summary>
    private async Task<string> DevCustomersAsync(string environment = "dev")
    {
        await using CatalogStore catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_people.Directory));
        string pointer = (await catalog.Environments.GetModelStatesAsync(environment))[new TableName("silver", "customers")].Location!;
        return Path.Combine(_people.Warehouse, "silver", pointer);
    }

    private async Task<ErasureReport> EraseAsync(bool dryRun = false)
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory);
        return await lakehouse.EraseSubjectAsync(s_person, "dpo", dryRun);
    }

    /// <summary>The rows of a physical table's newest version, and those of them holding the person.</summary>
    private static async Task<(long Rows, long Person, long Version)> ReadAsync(string location, long? version = null)
    {
        using var connection = new DuckDbConnection();
        connection.Open();
        DeltaTable delta = StorageResolver.Default.OpenTable(location, connection);
        Snapshot snapshot = await delta.GetSnapshotAsync(version);
        string scan = $"({await DeltaScanSql.BuildAsync(delta, snapshot)})";
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {scan}";
        long rows = Convert.ToInt64(await command.ExecuteScalarAsync());
        return (rows, await SubjectErasureTests.CountPersonAsync(connection, scan), snapshot.Version);
    }

    [Fact]
    public async Task Find_lists_the_persons_rows_in_a_dev_built_table_and_its_quarantine_naming_dev()
    {
        await _people.BuildAsync();
        await ApplyChangeAsync("dev");
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory);

        SubjectSearch search = await lakehouse.FindSubjectAsync(s_person);

        Assert.Equal(
            ["bronze.customers", "silver.customers", "silver.customers (dev)", "silver.customers_quarantine", "silver.customers_quarantine (dev)", "gold.people"],
            search.Tables.Select(t => t.DisplayName));
        SubjectTableMatch dev = search.Tables.Single(t => t.DisplayName == "silver.customers (dev)");
        Assert.Equal(["dev"], dev.Environments);
        Assert.Equal((1, (object?)"v2"), (dev.Rows.Count, dev.Rows[0].Single(v => v.Column == "revision").Value));
        Assert.Contains("silver.customers (dev)", search.SearchedElsewhere);
    }

    [Fact]
    public async Task Erase_removes_the_person_from_prods_tables_and_from_dev_built_ones_each_named_with_dev()
    {
        await _people.BuildAsync();
        await ApplyChangeAsync("dev");
        string dev = await DevCustomersAsync();

        ErasureReport report = await EraseAsync();

        ErasedTable devTable = report.Tables.Single(t => t.Table == "silver.customers (dev)");
        Assert.Equal(["dev"], devTable.Environments);
        Assert.Equal(("delete", 1L), (devTable.Action, devTable.Rows));
        Assert.Null(report.Tables.Single(t => t.Table == "silver.customers").Environments);
        Assert.Equal((350L, 0L), (await ReadAsync(dev) is var d ? (d.Rows, d.Person) : default));
        Assert.Equal(0L, (await ReadAsync(dev + "_quarantine")).Person);
        Assert.Equal(0L, (await ReadAsync(Path.Combine(_people.Warehouse, "silver", "customers"))).Person);
        string saved = await File.ReadAllTextAsync(Path.Combine(_people.Directory, report.SavedTo!));
        Assert.Contains("\"table\": \"silver.customers (dev)\",", saved, StringComparison.Ordinal);
        Assert.Contains("\"environments\": [\n        \"dev\"\n      ]", saved.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_promotion_an_erasure_and_a_rollback_prod_does_not_hold_the_person()
    {
        await _people.BuildAsync();
        await ApplyChangeAsync("dev");
        await using (ProjectEnvironment project = await ProjectEnvironment.LoadAsync(_people.Directory))
        {
            await ProjectPlanner.PromoteAsync(project, "dev", "prod");
        }

        ErasureReport report = await EraseAsync();
        await using (ProjectEnvironment project = await ProjectEnvironment.LoadAsync(_people.Directory))
        {
            await ProjectPlanner.RollbackAsync(project, "prod");
        }

        Assert.Contains(report.Tables, t => t.Table == "silver.customers (prod~previous)");
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory);
        Assert.Empty((await lakehouse.FindSubjectAsync(s_person)).Tables);
        TableSummary customers = (await lakehouse.ListTablesAsync()).Single(t => t.Name.ToString() == "silver.customers");
        Assert.Equal((Path.Combine(_people.Warehouse, "silver", "customers"), (long?)350), (customers.Location, customers.Rows));
    }

    [Fact]
    public async Task A_dev_shallow_clone_of_prod_reads_without_the_person_after_the_erasure_and_its_older_versions_name_the_erasure()
    {
        await _people.BuildAsync();
        await ApplyChangeAsync("dev", forwardOnly: true);
        string clone = await DevCustomersAsync();
        Assert.Equal(1L, (await ReadAsync(clone)).Person);

        ErasureReport report = await EraseAsync();

        Assert.Equal(
            ["silver.customers (dev)", "silver.customers"],
            report.Tables.Select(t => t.Table).Where(t => t.StartsWith("silver.customers", StringComparison.Ordinal) && !t.Contains("quarantine", StringComparison.Ordinal)));
        (long rows, long person, long version) = await ReadAsync(clone);
        Assert.Equal((350L, 0L), (rows, person));
        MedallionException older = await Assert.ThrowsAsync<MedallionException>(() => ReadAsync(clone, version - 1));
        Assert.Equal(ErrorCode.DeltaFileErased, older.Code);
        Assert.Contains($"erasure {report.Id} on ", older.Message, StringComparison.Ordinal);
        Assert.Equal((350L, 0L), (await ReadAsync(Path.Combine(_people.Warehouse, "silver", "customers")) is var p ? (p.Rows, p.Person) : default));
    }

    [Fact]
    public async Task A_table_of_a_dropped_environment_awaiting_the_janitor_is_erased()
    {
        await _people.BuildAsync();
        await ApplyChangeAsync("dev");
        string dev = await DevCustomersAsync();
        await using (ProjectEnvironment project = await ProjectEnvironment.LoadAsync(_people.Directory))
        {
            await ProjectPlanner.DropAsync(project, "dev");
        }

        ErasureReport report = await EraseAsync();

        ErasedTable unpointed = report.Tables.Single(t => t.Table == $"silver.customers ({Lakehouse.Unpointed})");
        Assert.Equal([Lakehouse.Unpointed], unpointed.Environments);
        Assert.Equal((350L, 0L), (await ReadAsync(dev) is var d ? (d.Rows, d.Person) : default));
    }

    [Fact]
    public async Task A_dry_run_lists_the_environments_tables_and_changes_none_of_them()
    {
        await _people.BuildAsync();
        await ApplyChangeAsync("dev");
        string dev = await DevCustomersAsync();
        long before = (await ReadAsync(dev)).Version;

        ErasureReport report = await EraseAsync(dryRun: true);

        Assert.Equal(
            ["bronze.customers", "silver.customers", "silver.customers (dev)", "silver.customers_quarantine", "silver.customers_quarantine (dev)", "gold.people"],
            report.Tables.Select(t => t.Table));
        Assert.All(report.Tables, t => Assert.Null(t.CommittedVersion));
        Assert.Equal((before, 1L), (await ReadAsync(dev) is var d ? (d.Version, d.Person) : default));
        Assert.Null(report.SavedTo);
    }

    [Fact]
    public async Task Retention_deletes_the_old_rows_of_a_dev_built_table_too()
    {
        await _people.BuildAsync();
        string model = await File.ReadAllTextAsync(Path.Combine(_people.Directory, "models", "silver", "customers.sql"));
        _people.Files.Write("models/silver/customers.sql", model.Replace("materialized: merge", "materialized: merge\nretention: {column: created_at, keep: 3y}", StringComparison.Ordinal));
        await ApplyChangeAsync("dev");
        string dev = await DevCustomersAsync();
        var cutoff = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        long old = await CountBeforeAsync(dev, cutoff);
        Assert.True(old > 0);

        IReadOnlyList<RetentionOutcome> outcomes;
        await using (Lakehouse lakehouse = await Lakehouse.OpenAsync(_people.Directory))
        {
            outcomes = await lakehouse.ApplyRetentionAsync(cutoff.AddYears(3));
        }

        RetentionOutcome devOutcome = outcomes.Single(o => o.DisplayName == "silver.customers (dev)");
        Assert.Equal(old, devOutcome.Rows);
        Assert.Equal(0L, await CountBeforeAsync(dev, cutoff));
    }

    private static async Task<long> CountBeforeAsync(string location, DateTimeOffset cutoff)
    {
        using var connection = new DuckDbConnection();
        connection.Open();
        DeltaTable delta = StorageResolver.Default.OpenTable(location, connection);
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM ({await DeltaScanSql.BuildAsync(delta, await delta.GetSnapshotAsync())}) WHERE created_at < TIMESTAMP '{cutoff:yyyy-MM-dd}'";
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
