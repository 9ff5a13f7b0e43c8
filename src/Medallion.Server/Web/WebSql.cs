using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;

namespace Medallion.Server.Web;

/// <summary>
/// The SQL page's engine: a database opened under the SQL endpoint's rules (it reads only the lakehouse's files, its
/// configuration is locked) and a read-only session per query, as each endpoint client gets; the endpoint's
/// statement timeout applies too.
/// </summary>
internal sealed class WebSql(string? memoryLimit, TimeSpan? statementTimeout) : IDisposable
{
    private readonly SemaphoreSlim _open = new(1, 1);
    private DuckDbDatabase? _database;

    /// <summary>Runs <paramref name="sql"/> and reads at most <paramref name="limit"/> rows.</summary>
    /// <exception cref="MedallionException">The statement is refused (it would change data or settings), does not parse or bind, or fails.</exception>
    /// <exception cref="TimeoutException">It ran longer than the statement timeout.</exception>
    public async Task<(ResultTable Result, TimeSpan Elapsed)> QueryAsync(ServerContext server, string sql, int limit, CancellationToken cancellationToken)
    {
        DuckDbDatabase database = await OpenAsync(server, cancellationToken).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (statementTimeout is { } after)
        {
            timeout.CancelAfter(after);
        }

        Stopwatch elapsed = Stopwatch.StartNew();
        try
        {
            ITableLocator tables = SqlEndpoint.ProjectTables(server.Project.Resolve(server.Project.Storage), server.Catalog);
            LakehouseSession session = await LakehouseSession.OpenAsync(tables, database, readOnly: true, allowSessionStatements: false, timeout.Token).ConfigureAwait(false);
            await using (session.ConfigureAwait(false))
            {
                DuckDbDataReader reader = await session.ExecuteReaderAsync(sql, cancellationToken: timeout.Token).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    ResultTable result = await ResultTable.ReadAsync(reader, limit, timeout.Token).ConfigureAwait(false);
                    return (result, elapsed.Elapsed);
                }
            }
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the query ran longer than the statement timeout ({statementTimeout}) and was cancelled", exception);
        }
    }

    public void Dispose()
    {
        _database?.Dispose();
        _open.Dispose();
    }

    private async Task<DuckDbDatabase> OpenAsync(ServerContext server, CancellationToken cancellationToken)
    {
        if (_database is { } open)
        {
            return open;
        }

        await _open.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _database ??= SqlEndpoint.OpenServingDatabase(server.Project.Resolve(server.Project.Storage), null, memoryLimit);
        }
        finally
        {
            _open.Release();
        }
    }
}
