using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire;

/// <summary>
/// Serves the lakehouse: every client gets its own read-only <see cref="LakehouseSession"/> on one shared
/// DuckDB database, so namespaces are schemas, tables are <c>namespace.table</c> at their latest version,
/// and <c>AT (VERSION =&gt; n)</c> reads older ones. Statements that would change data, write files or
/// change DuckDB's settings are refused by the session (SQLSTATE 25006 on the wire).
/// </summary>
/// <remarks>The database stays owned by the caller; dispose it after the server has stopped.</remarks>
public sealed class LakehouseSessionFactory : IPgSessionFactory
{
    /// <summary>The database name every served project also answers to.</summary>
    public const string DefaultDatabaseName = "medallion";

    private readonly DuckDbDatabase _database;
    private readonly ITableLocator _tables;
    private readonly string? _databaseName;

    /// <summary>Creates a factory over an open database and the tables to show in it.</summary>
    /// <param name="database">The shared database; its own tables and views are visible too.</param>
    /// <param name="tables">The lakehouse tables (<see cref="NoTables.Instance"/> to serve the database alone).</param>
    /// <param name="databaseName">
    /// The name clients must connect to (the project's name); <see cref="DefaultDatabaseName"/> is accepted as an
    /// alias. Null accepts any name.
    /// </param>
    public LakehouseSessionFactory(DuckDbDatabase database, ITableLocator tables, string? databaseName = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(tables);
        _database = database;
        _tables = tables;
        _databaseName = databaseName;
    }

    /// <summary>
    /// Opens a database for serving: DuckDB may read files only under <paramref name="readableDirectories"/>
    /// (the warehouse), so clients cannot read the server's other files through <c>read_csv</c> and friends, its
    /// configuration is locked but for <c>TimeZone</c> and <c>search_path</c>, and
    /// queries together use at most <paramref name="memoryLimit"/> (DuckDB's syntax, e.g. <c>4GB</c>; DuckDB's
    /// default of 80% of RAM when null).
    /// </summary>
    /// <remarks>
    /// The limit is one pool for every session, not a budget per query: DuckDB 1.5 has no per-connection or per-query
    /// memory limit (<c>memory_limit</c> is database-wide, <c>max_temp_directory_size</c> bounds spilling to disk for
    /// the database as a whole). What it guarantees: the server's queries never hold more than the limit together;
    /// operators that can spill (joins, aggregates, sorts) go to disk first; a query that still cannot get memory
    /// fails alone with SQLSTATE 53200 while the others and its own session go on. It does not guarantee that one
    /// large query cannot make another fail by using most of the pool first.
    /// </remarks>
    /// <param name="databaseFile">A DuckDB file whose tables to serve too, or null for an in-memory database.</param>
    /// <param name="readableDirectories">The folders queries may read files from (the lakehouse's storage).</param>
    /// <param name="memoryLimit">DuckDB's <c>memory_limit</c>, or null for its default.</param>
    /// <exception cref="DuckDbException">The file cannot be opened or a setting is refused (a malformed memory limit).</exception>
    public static DuckDbDatabase OpenServingDatabase(string? databaseFile, IEnumerable<string> readableDirectories, string? memoryLimit = null)
    {
        ArgumentNullException.ThrowIfNull(readableDirectories);
        var builder = new DuckDbConnectionStringBuilder { DataSource = databaseFile ?? DuckDbConnectionStringBuilder.InMemory };
        if (memoryLimit is not null)
        {
            builder.MemoryLimit = memoryLimit;
        }

        DuckDbDatabase database = DuckDbDatabase.Open(builder);
        try
        {
            using DuckDbConnection connection = database.CreateConnection();
            using DuckDbCommand command = connection.CreateCommand();
            // Once external access is off, DuckDB checks every path a query opens against allowed_directories,
            // which can no longer be changed after that. Then the configuration is locked, for good: sessions keep
            // only the per-connection settings a PostgreSQL client changes (TimeZone, search_path), so no statement
            // that slipped past the session's check could change memory, threads or logging for everyone.
            List<string> directories = readableDirectories.Select(d => DuckDbConnection.QuoteLiteral(Path.TrimEndingDirectorySeparator(Path.GetFullPath(d)) + Path.DirectorySeparatorChar)).ToList();
            command.CommandText = (directories.Count == 0 ? string.Empty : $"SET allowed_directories = [{string.Join(", ", directories)}]; ")
                + "SET enable_external_access = false; SET allowed_configs = ['TimeZone', 'search_path', 'schema']; SET lock_configuration = true";
            command.ExecuteNonQuery();
            return database;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<ISqlSession> OpenSessionAsync(PgSessionStartup startup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(startup);
        if (_databaseName is not null
            && !string.Equals(startup.Database, _databaseName, StringComparison.Ordinal)
            && !string.Equals(startup.Database, DefaultDatabaseName, StringComparison.Ordinal))
        {
            throw new PgWireException(ErrorCode.PgWireAuthenticationFailed, SqlState.InvalidCatalogName,
                $"database \"{startup.Database}\" does not exist. Help: connect to database \"{_databaseName}\" (or \"{DefaultDatabaseName}\").");
        }

        LakehouseSession session = await LakehouseSession.OpenAsync(_tables, _database, readOnly: true, allowSessionStatements: false, cancellationToken).ConfigureAwait(false);
        return new Session(session);
    }

    private sealed class Session(LakehouseSession session) : ISqlSession
    {
        public DuckDbConnection Connection => session.Connection;

        public async ValueTask<string> BindAsync(string sql, CancellationToken cancellationToken) =>
            await session.BindAsync(sql, cancellationToken).ConfigureAwait(false);

        public async ValueTask<IReadOnlyList<LakehouseTable>> ListTablesAsync(CancellationToken cancellationToken) =>
            await session.ListTablesAsync(cancellationToken).ConfigureAwait(false);

        public ValueTask DisposeAsync() => session.DisposeAsync();
    }
}
