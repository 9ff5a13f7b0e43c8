using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.PgWire;
using Medallion.Pipelines;
using Medallion.Platform.Audit;

namespace Medallion.Server.Web;

/// <summary>
/// The SQL page's engine: a read-only session per query, as each endpoint client gets, from the SQL endpoint's own
/// sessions when the server runs one (so the page's queries and the endpoint's share one memory limit), else from a
/// database opened under the endpoint's rules (it reads only the lakehouse's files, its configuration is locked); the
/// endpoint's statement timeout applies too.
/// </summary>
internal sealed class WebSql(string? memoryLimit, TimeSpan? statementTimeout) : IDisposable
{
    private readonly SemaphoreSlim _open = new(1, 1);
    private DuckDbDatabase? _database;
    private LakehouseSessionFactory? _sessions;

    /// <summary>Runs <paramref name="sql"/> and reads at most <paramref name="limit"/> rows; the audit records it, as <paramref name="user"/> from <paramref name="client"/>, however it ends.</summary>
    /// <exception cref="MedallionException">The statement is refused (it would change data or settings), does not parse or bind, or fails.</exception>
    /// <exception cref="TimeoutException">It ran longer than the statement timeout.</exception>
    /// <remarks>With a <paramref name="user"/>, the query reads as the SQL endpoint lets that user read: granted tables and columns, masked and filtered.</remarks>
    public Task<(ResultTable Result, TimeSpan Elapsed)> QueryAsync(ServerContext server, string? user, string client, string sql, int limit, CancellationToken cancellationToken) =>
        QueryAsync(server, user, client, sql, limit, null, cancellationToken);

    /// <summary>Runs <paramref name="sql"/> over the tables of <paramref name="environment"/> (prod when null), as the SQL endpoint serves them to a client that chose it.</summary>
    /// <exception cref="MedallionException">As the other overload; an environment that does not exist (<c>MDL6403</c>) or that no name fits (<c>MDL6401</c>).</exception>
    /// <exception cref="TimeoutException">It ran longer than the statement timeout.</exception>
    public async Task<(ResultTable Result, TimeSpan Elapsed)> QueryAsync(ServerContext server, string? user, string client, string sql, int limit, string? environment, CancellationToken cancellationToken)
    {
        LakehouseSessionFactory sessions = await OpenAsync(server, cancellationToken).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (statementTimeout is { } after)
        {
            timeout.CancelAfter(after);
        }

        AuditEvent audit = AuditEvent.Statement(user ?? "anonymous", client, "web", sql);
        Stopwatch elapsed = Stopwatch.StartNew();
        ServedSession? served = null;
        try
        {
            // A server without sign-in (nobody signed in) reads as before: everything, read-only.
            served = await sessions.OpenUserSessionAsync(user ?? string.Empty, environment, timeout.Token).ConfigureAwait(false);
            DuckDbDataReader reader = await served.Session.ExecuteReaderAsync(sql, cancellationToken: timeout.Token).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                ResultTable result = await ResultTable.ReadAsync(reader, limit, timeout.Token).ConfigureAwait(false);
                audit = audit with { Rows = result.Rows.Count };
                return (result, elapsed.Elapsed);
            }
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            audit = audit with { Outcome = "cancelled", ErrorCode = "57014", ErrorMessage = "statement timeout" };
            throw new TimeoutException($"the query ran longer than the statement timeout ({statementTimeout}) and was cancelled", exception);
        }
        catch (Exception exception)
        {
            audit = audit with
            {
                Outcome = exception is OperationCanceledException ? "cancelled" : "error",
                ErrorCode = exception is MedallionException medallion ? ErrorCodes.Format(medallion.Code) : null,
                ErrorMessage = exception.Message,
            };
            throw;
        }
        finally
        {
            StatementReads reads = served?.Session.LastReads ?? StatementReads.None;
            await server.Audit.RecordAsync(audit with { Tables = reads.Tables, Columns = reads.Columns, Duration = elapsed.Elapsed }, CancellationToken.None).ConfigureAwait(false);
            if (served is not null)
            {
                await served.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public void Dispose()
    {
        _sessions?.Dispose();
        _database?.Dispose();
        _open.Dispose();
    }

    private async Task<LakehouseSessionFactory> OpenAsync(ServerContext server, CancellationToken cancellationToken)
    {
        if ((server.SqlSessions ?? _sessions) is { } open)
        {
            return open;
        }

        await _open.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_sessions is null)
            {
                ProjectEnvironment environment = server.Environment;
                _database = SqlEndpoint.OpenServingDatabase(environment, null, memoryLimit);
                ITableLocator tables = SqlEndpoint.ProjectTables(environment.Project, server.Catalog);
                _sessions = new LakehouseSessionFactory(_database, tables)
                {
                    Engines = environment.Engines,
                    Access = server.Access.SessionAccessAsync,
                    DefaultEnvironment = Catalog.EnvironmentStore.Production,
                    Environments = (name, token) => SqlEndpoint.EnvironmentTablesAsync(environment.Project, server.Catalog, name, token),
                };
            }

            return _sessions;
        }
        finally
        {
            _open.Release();
        }
    }
}
