using Medallion.Catalog;
using Medallion.TestSupport;
using Microsoft.Data.Sqlite;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion run</c> with the lake, or the catalog, on a small tmpfs that fills up: the run fails with a coded error
/// naming what could not be written, the table keeps its last version whole, the catalog stays consistent with its
/// earlier runs, and once space returns the next run succeeds with exactly the right rows.
/// </summary>
public sealed class DiskFullTests : IDisposable
{
    // The model's rows are 96 characters of hex each: 60,000 of them need megabytes the full disk does not have.
    private const string Payload = "md5(id::VARCHAR) || md5((id * 7)::VARCHAR) || md5((id * 13)::VARCHAR)";
    private const string Orders = $"SELECT id, {Payload} AS payload FROM bronze.orders";
    private readonly TempDirectory _project = new("disk-full");
    private readonly List<TmpfsMount> _mounts = [];

    public DiskFullTests()
    {
        Write("medallion.yml", "name: shop\n");
        Write("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/*.csv\n    target: bronze.orders\n");
        Write("models/silver/orders.sql", Orders);
    }

    public void Dispose()
    {
        foreach (TmpfsMount mount in _mounts)
        {
            mount.Dispose();
        }

        _project.Dispose();
    }

    private string Lake => Path.Combine(_project.Path, "warehouse");

    private string CatalogFile => Path.Combine(_project.Path, ".medallion", "catalog.db");

    private TmpfsMount Mount(string path, int sizeKib)
    {
        var mount = new TmpfsMount(path, sizeKib);
        _mounts.Add(mount);
        return mount;
    }

    private void Write(string path, string text)
    {
        string full = Path.Combine(_project.Path, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private async Task AppendBronzeAsync(long from, long to)
    {
        Cli.Result written = await Cli.RunAsync("delta", "write", Path.Combine(Lake, "bronze", "orders"), "--from", $"SELECT range AS id FROM range({from}, {to})");
        Assert.True(written.ExitCode == 0, written.Output + written.Error);
    }

    private async Task<Cli.Result> RunAsync() => await Cli.RunAsync("run", "--project", _project.Path);

    /// <summary>The count of silver's rows, and how many are the model's row of their id.</summary>
    private async Task<string> SilverAsync()
    {
        Cli.Result result = await Cli.RunAsync("sql", $"SELECT count(*) AS n, count(*) FILTER (WHERE payload = {Payload}) AS whole FROM silver.orders", "--format", "csv", "--project", _project.Path);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        return result.Output.Trim();
    }

    private static string[] DataFiles(string table) =>
        [.. Directory.GetFiles(table, "*.parquet").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    private static string[] LogFiles(string table) =>
        [.. Directory.GetFiles(Path.Combine(table, "_delta_log")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public async Task A_run_that_fills_the_lake_fails_naming_the_table_and_the_file_and_the_next_run_after_space_returns_writes_every_row_once()
    {
        TmpfsMount lake = Mount(Lake, 8 * 1024);
        await AppendBronzeAsync(0, 100);
        Assert.Equal(0, (await RunAsync()).ExitCode);
        await AppendBronzeAsync(100, 60_000);
        string silver = Path.Combine(Lake, "silver", "orders");
        string[] logBefore = LogFiles(silver), filesBefore = DataFiles(silver);
        string filler = lake.Fill("filler", leaveBytes: 256 * 1024);

        Cli.Result full = await RunAsync();

        Assert.Equal(1, full.ExitCode);
        Assert.Contains($"silver.orders failed:\n  MDL5010: Could not write the data files of the Delta table at '{silver}': no space left on device (DuckDB: IO Error: Could not write file \"{silver}/part-", full.Output, StringComparison.Ordinal);
        Assert.Equal(logBefore, LogFiles(silver));
        Assert.Equal(filesBefore, DataFiles(silver));
        Assert.Equal("n,whole\n100,100", await SilverAsync());
        Assert.Empty(Directory.GetFiles(Lake, "*.medallion-tmp", SearchOption.AllDirectories));

        File.Delete(filler);
        Cli.Result next = await RunAsync();

        Assert.True(next.ExitCode == 0, next.Output + next.Error);
        Assert.Equal("n,whole\n60000,60000", await SilverAsync());
    }

    [Fact]
    public async Task A_run_that_finds_the_catalog_full_fails_naming_the_catalog_leaves_it_whole_and_the_next_run_after_space_returns_succeeds()
    {
        TmpfsMount catalogDisk = Mount(Path.GetDirectoryName(CatalogFile)!, 2 * 1024);
        await AppendBronzeAsync(0, 100);
        Assert.Equal(0, (await RunAsync()).ExitCode);
        await AppendBronzeAsync(100, 200);
        catalogDisk.Fill("filler", leaveBytes: 0);

        Cli.Result full = await RunAsync();

        Assert.Equal(1, full.ExitCode);
        Assert.StartsWith($"Error MDL6901: Cannot open the catalog '{CatalogFile}': no space left on device (", full.Error, StringComparison.Ordinal);
        Assert.Equal("n,whole\n100,100", await SilverAsync());

        // Even opening the file needs space (SQLite's shared-memory index): it is checked once space returns.
        catalogDisk.Resize(8 * 1024);
        Assert.Equal("ok", IntegrityCheck(CatalogFile));
        Assert.Equal([RunStatus.Succeeded], await RunStatesAsync());
        Cli.Result next = await RunAsync();

        Assert.True(next.ExitCode == 0, next.Output + next.Error);
        Assert.Equal("n,whole\n200,200", await SilverAsync());
        Assert.Equal([RunStatus.Succeeded, RunStatus.Succeeded], await RunStatesAsync());
        await using CatalogStore catalog = await CatalogStore.OpenAsync(CatalogFile);
        Assert.Equal([0L, 1L], (await catalog.Tables.GetTableHistoryAsync(TableName.Parse("silver.orders"))).Select(v => v.Version).Order());
    }

    private async Task<List<RunStatus>> RunStatesAsync()
    {
        await using CatalogStore catalog = await CatalogStore.OpenAsync(CatalogFile);
        return [.. (await catalog.Runs.ListRunsAsync()).Select(r => r.Status)];
    }

    /// <summary>SQLite's own check of the whole file: "ok", or what is wrong.</summary>
    internal static string IntegrityCheck(string file)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    }
}
