using System;
using Medallion.DuckDb;

namespace Medallion.PgWire;

/// <summary>
/// One client's SQL session: its own DuckDB connection, and the place where client SQL becomes the
/// SQL that runs (the lakehouse engine binds table references to Delta snapshots there).
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
    /// Creates the command for one client statement (a single statement, already split and checked
    /// as read-only by the server), with <c>$1</c>-style parameters still in place.
    /// </summary>
    /// <param name="sql">The client's statement text.</param>
    /// <exception cref="MedallionException">The statement cannot be bound to the session's tables.</exception>
    DuckDbCommand CreateCommand(string sql);
}
