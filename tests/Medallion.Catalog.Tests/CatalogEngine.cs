using System.Data.Common;

namespace Medallion.Catalog.Tests;

/// <summary>
/// An engine a catalog can live on, as the contract tests need it: fresh, empty catalog locations, connections of their
/// own to them for tests that inspect or seed tables with SQL, and the removal of everything it made when disposed, so a
/// rerun starts clean. One instance serves one test.
/// </summary>
public abstract class CatalogEngine : IAsyncDisposable
{
    /// <summary>A location no catalog is at yet, as <see cref="CatalogStore.OpenAsync(string, TimeProvider?, CancellationToken)"/> takes it.</summary>
    public abstract Task<string> NewLocationAsync();

    /// <summary>An open connection to the catalog at <paramref name="location"/>, outside every store's pool.</summary>
    public abstract Task<DbConnection> ConnectAsync(string location);

    /// <summary>
    /// The catalog at <paramref name="location"/> as another process names it: a store opened there has a writer and
    /// connections of its own, as a second server or a command beside a server has.
    /// </summary>
    public abstract string AsAnotherProcess(string location);

    /// <summary>The names of the tables of the catalog at <paramref name="location"/>, in name order.</summary>
    public abstract Task<List<string>> ListTablesAsync(string location);

    /// <summary>Removes every location this engine handed out.</summary>
    public abstract ValueTask DisposeAsync();

    /// <summary>Runs <paramref name="sql"/> (one statement or several without parameters) on the catalog at <paramref name="location"/>.</summary>
    public async Task ExecuteAsync(string location, string sql)
    {
        await using DbConnection connection = await ConnectAsync(location);
        await using DbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The first column of the first row <paramref name="sql"/> reads from the catalog at <paramref name="location"/>.</summary>
    public async Task<object?> ScalarAsync(string location, string sql)
    {
        await using DbConnection connection = await ConnectAsync(location);
        await using DbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    /// <summary>The number <paramref name="sql"/> counts in the catalog at <paramref name="location"/> (whatever integer type the engine gives it).</summary>
    public async Task<long> CountAsync(string location, string sql) =>
        Convert.ToInt64(await ScalarAsync(location, sql), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The rows <paramref name="sql"/> reads from the catalog at <paramref name="location"/>, each mapped by <paramref name="map"/>.</summary>
    public async Task<List<T>> QueryAsync<T>(string location, string sql, Func<DbDataReader, T> map)
    {
        await using DbConnection connection = await ConnectAsync(location);
        await using DbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await using DbDataReader reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(map(reader));
        }

        return rows;
    }
}
