using Microsoft.Data.Sqlite;

namespace Medallion.Catalog.Tests;

/// <summary>
/// What is SQLite's own in a catalog file: its default path, a file that is not a database, another process holding its
/// write lock, its query plans, and its size on disk. The catalog's contract on every engine is in the
/// <see cref="CatalogContract"/> classes.
/// </summary>
public sealed class CatalogSqliteFileTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private CatalogStore _store = null!;

    public async Task InitializeAsync() => _store = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_dir.Path));

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Watching_for_claimable_runs_returns_false_at_once_because_sqlite_tells_no_process_and_claimers_poll()
    {
        Assert.False(await _store.Runs.WatchClaimableRunsAsync(() => { }));
    }

    [Fact]
    public void Default_path_is_the_catalog_file_under_the_project_dot_medallion_folder()
    {
        Assert.Equal(Path.Combine(_dir.Path, ".medallion", "catalog.db"), _store.Path);
        Assert.True(File.Exists(_store.Path));
    }

    [Fact]
    public async Task A_new_file_opened_from_eight_connections_at_once_is_migrated_once()
    {
        using var other = new TempDirectory();
        string path = CatalogStore.DefaultPath(other.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Another writer holds the new file's write lock while the eight read its version (0) and queue for the lock
        // to migrate it, as a server and a command started together do; before, all but the first failed with
        // "table namespaces already exists".
        var holder = new SqliteConnection($"Data Source={path};Pooling=False");
        holder.Open();
        using (SqliteCommand setup = holder.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode=WAL; " + Internal.CatalogSchema.VersionTable;
            setup.ExecuteNonQuery();
        }

        SqliteTransaction held = holder.BeginTransaction(deferred: false);
        Task<CatalogStore[]> opening = Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => CatalogStore.OpenAsync(path))));
        // The openers cannot be seen queueing, so the lock is held a while; a shorter hold only weakens the test.
        await Task.WhenAny(opening, Task.Delay(TimeSpan.FromSeconds(2)));
        held.Commit();
        holder.Dispose();
        CatalogStore[] stores = await opening;

        Assert.All(await Task.WhenAll(stores.Select(s => s.GetSchemaVersionAsync())), v => Assert.Equal(CatalogStore.LatestSchemaVersion, v));
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) = count(DISTINCT version) FROM schema_version";
        Assert.Equal(1L, (long)command.ExecuteScalar()!);
        await stores[0].DisposeAsync();
    }

    [Fact]
    public async Task Opening_a_file_that_is_not_sqlite_fails_with_the_catalog_open_code()
    {
        string path = Path.Combine(_dir.Path, "not-a-db.db");
        await File.WriteAllTextAsync(path, "this is not a database, just text that is long enough to fill a header page");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => CatalogStore.OpenAsync(path));

        Assert.Equal(ErrorCode.CatalogOpenFailed, error.Code);
        Assert.StartsWith($"Cannot open the catalog '{path}'", error.Message);
    }

    [Theory]
    [InlineData("job = 'j'", "runs_job_id")]
    [InlineData("status = 'failed'", "runs_status_id")]
    public void A_filtered_page_of_runs_walks_an_index_in_id_order_without_sorting(string filter, string index)
    {
        using var connection = new SqliteConnection($"Data Source={_store.Path};Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"EXPLAIN QUERY PLAN SELECT * FROM runs WHERE {filter} AND id < 'z' ORDER BY id DESC LIMIT 51";
        using SqliteDataReader reader = command.ExecuteReader();
        var plan = new List<string>();
        while (reader.Read())
        {
            plan.Add(reader.GetString(3));
        }

        Assert.Contains(plan, step => step.Contains($"USING INDEX {index}", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dry_run_of_pruning_leaves_the_catalog_file_as_large_as_it_was()
    {
        for (int i = 0; i < 5; i++)
        {
            await CatalogRunPruningContract.FinishedRunAsync(_store, "hourly");
        }

        long size = new FileInfo(_store.Path).Length;
        RunPruning counted = await _store.Runs.PruneRunsAsync(CatalogRunPruningContract.AfterNow, dryRun: true);

        Assert.Equal(4, counted.Runs);
        Assert.Equal(size, new FileInfo(_store.Path).Length);
    }

    [Fact]
    public async Task Pruning_gives_the_freed_pages_back_so_the_catalog_file_shrinks()
    {
        for (int i = 0; i < 300; i++)
        {
            await CatalogRunPruningContract.FinishedRunAsync(_store, "hourly");
        }

        await CheckpointAsync();
        long grown = new FileInfo(_store.Path).Length;

        RunPruning pruned = await _store.Runs.PruneRunsAsync(CatalogRunPruningContract.AfterNow);

        long after = new FileInfo(_store.Path).Length;
        Assert.Equal(299, pruned.Runs);
        // 300 log lines of 2 KB went: the file gives back at least half of what they took.
        Assert.True(after < grown - (300 * 1024), $"the catalog was {grown} bytes before pruning and {after} after");
        Assert.Equal(grown - after, pruned.BytesFreed);
    }

    /// <summary>Moves the write-ahead log into the file, so its size shows what the catalog holds.</summary>
    private async Task CheckpointAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={_store.Path};Pooling=False");
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await command.ExecuteNonQueryAsync();
    }
}
