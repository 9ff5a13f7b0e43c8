using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;

namespace Medallion.PgWire;

/// <summary>
/// One client's SQL session: its own DuckDB connection, and the place where client SQL becomes the
/// SQL that runs (the lakehouse engine binds table references to Delta snapshots there, and refuses
/// statements that would change data).
/// </summary>
/// <remarks>
/// The server uses a session from one thread at a time, except <see cref="DuckDbConnection.Interrupt"/>
/// on <see cref="Connection"/>, which a CancelRequest calls from another thread.
/// </remarks>
public interface ISqlSession : IAsyncDisposable
{
    /// <summary>The connection that runs this session's statements; owned by the session.</summary>
    DuckDbConnection Connection { get; }

    /// <summary>
    /// The SQL to run on <see cref="Connection"/> for one client statement (already split by the
    /// server), with <c>$1</c>-style parameters still in place.
    /// </summary>
    /// <param name="sql">The client's statement text.</param>
    /// <param name="cancellationToken">Cancelled when the client cancels or goes away.</param>
    /// <exception cref="MedallionException">
    /// The statement cannot be bound to the session's tables, or would change data
    /// (<see cref="ErrorCode.EngineReadOnly"/>, sent as SQLSTATE 25006).
    /// </exception>
    ValueTask<string> BindAsync(string sql, CancellationToken cancellationToken);

    /// <summary>
    /// The lakehouse tables the session shows, for catalog emulation: those with a <see cref="LakehouseTable.UniqueKey"/>
    /// are reported with that primary key (pg_constraint, pg_index, information_schema). None by default.
    /// </summary>
    /// <param name="cancellationToken">Cancelled when the client cancels or goes away.</param>
    ValueTask<IReadOnlyList<LakehouseTable>> ListTablesAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<LakehouseTable>>([]);

    /// <summary>
    /// The environment whose tables the session reads (shown as <c>medallion.environment</c>), chosen when the client
    /// connected; null when the server serves no environments.
    /// </summary>
    string? Environment => null;

    /// <summary>What the statement last given to <see cref="BindAsync"/> reads, for the audit; none by default.</summary>
    StatementReads LastReads => StatementReads.None;
}
