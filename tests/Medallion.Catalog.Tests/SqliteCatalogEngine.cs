using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Medallion.Catalog.Tests;

/// <summary>Catalogs in SQLite files, each a new path in a temporary folder deleted on dispose.</summary>
public sealed class SqliteCatalogEngine : CatalogEngine
{
    private readonly TempDirectory _dir = new("catalog");
    private int _count;

    /// <inheritdoc />
    public override Task<string> NewLocationAsync() =>
        Task.FromResult(Path.Combine(_dir.Path, $"catalog-{Interlocked.Increment(ref _count)}.db"));

    /// <summary>The same file through a link to its folder: the process's one writer per catalog is per path, SQLite's locks are per file.</summary>
    public override string AsAnotherProcess(string location)
    {
        string link = Path.Combine(_dir.Path, "as-another-process");
        if (!Directory.Exists(link))
        {
            Directory.CreateSymbolicLink(link, _dir.Path);
        }

        return Path.Combine(link, Path.GetRelativePath(_dir.Path, location));
    }

    /// <inheritdoc />
    public override async Task<DbConnection> ConnectAsync(string location)
    {
        // Unpooled: a connection left in a pool would keep the file open after the test.
        var connection = new SqliteConnection($"Data Source={location};Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    /// <inheritdoc />
    public override Task<List<string>> ListTablesAsync(string location) =>
        QueryAsync(location, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name", r => r.GetString(0));

    public override ValueTask DisposeAsync()
    {
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }
}
