using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.PgWire;

/// <summary>
/// Serves one <see cref="DuckDbDatabase"/>: every client session gets its own connection to it, and
/// statements run as the client wrote them.
/// </summary>
/// <remarks>The database stays owned by the caller; dispose it after the server has stopped.</remarks>
public sealed class DuckDbSessionFactory : IPgSessionFactory
{
    private readonly DuckDbDatabase _database;

    /// <summary>Creates a factory over an open database.</summary>
    public DuckDbSessionFactory(DuckDbDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
    }

    /// <inheritdoc />
    public ValueTask<ISqlSession> OpenSessionAsync(PgSessionStartup startup, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<ISqlSession>(new Session(_database.CreateConnection()));
    }

    private sealed class Session(DuckDbConnection connection) : ISqlSession
    {
        public DuckDbConnection Connection { get; } = connection;

        public DuckDbCommand CreateCommand(string sql) => new(sql, Connection);

        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }
}
