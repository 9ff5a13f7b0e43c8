using System;
using System.Data;
using System.Data.Common;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace Medallion.Catalog.Internal;

/// <summary>
/// The catalog in a PostgreSQL database (<c>catalog: postgres://user:${PGPASSWORD}@host:5432/db</c>), which several
/// servers share: Npgsql's pooled connections, migrations and writes serialized by a transaction-scoped advisory lock,
/// and the server's failures (unreachable, a deadlock, a full disk, a refused privilege) told by their SQLSTATE as the
/// catalog's coded errors, naming the database (never its password).
/// </summary>
internal sealed class PostgresCatalogDialect : CatalogDialect
{
    /// <summary>
    /// Takes the catalog's lock for the rest of the transaction: the advisory lock every Medallion holds while it migrates
    /// or writes a catalog, keyed by a fixed number ("Meda") and the catalog's schema, so catalogs in two schemas of one
    /// database (URLs with another <c>SearchPath</c>) do not wait on each other. It waits as long as SQLite waits for its
    /// file's lock (30 s); a writer held longer fails with 55P03, which reads as <see cref="ErrorCode.CatalogBusy"/>. The
    /// coalesce: under a search path naming no schema that exists, current_schema() is null, and a null key takes no lock.
    /// </summary>
    internal const string TakeCatalogLock = "SET LOCAL lock_timeout = '30s'; SELECT pg_advisory_xact_lock(1298490465, hashtext(coalesce(current_schema(), '')))";

    // The tables pruning deletes from: the ones whose space a VACUUM makes reusable afterwards.
    private static readonly string[] s_prunedTables = ["runs", "model_runs", "source_runs", "run_attempts", "run_logs", "quality_results", "table_versions", "backfills"];

    /// <summary>How many connections to the catalog one process keeps at most, unless its URL sets <c>Maximum Pool Size</c>.</summary>
    internal const int DefaultPoolSize = 20;

    private readonly string _connectionString;

    private PostgresCatalogDialect(string connectionString, string location)
    {
        _connectionString = connectionString;
        Location = location;
    }

    /// <summary>
    /// The dialect for the database a <c>postgres://</c> URL names (see <see cref="DatabaseUrl"/>): the query's keywords
    /// are Npgsql's (<c>sslmode</c>, <c>timeout</c>, <c>SearchPath</c> for the schema the catalog's tables live in, ...).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogLocationInvalid"/> when the URL does not read, names another engine, or has a keyword Npgsql does not know.</exception>
    public static PostgresCatalogDialect FromUrl(string url)
    {
        DatabaseUrl parsed = DatabaseUrl.Parse(url, "The catalog", ErrorCode.CatalogLocationInvalid, ErrorCode.CatalogLocationInvalid);
        if (parsed.Type != "postgres")
        {
            throw new MedallionException(
                ErrorCode.CatalogLocationInvalid,
                $"The catalog cannot live on '{parsed.Display}': a catalog is a SQLite file or a PostgreSQL database.\nHelp: write a file path (.medallion/catalog.db) or a postgres:// URL.");
        }

        string connectionString = DatabaseUrl.ConnectionString(parsed.Settings, postgres: true);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            // Npgsql says only "Couldn't set <keyword>": tell an unknown keyword (libpq's search_path, a typo) from a value
            // it does not take. Neither message holds a value of the URL's (a password is any text, so never refused).
            var known = new NpgsqlConnectionStringBuilder();
            string? unknown = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>().FirstOrDefault(k => !known.ContainsKey(k));
            string what = unknown is not null
                ? $"has the parameter '{unknown}', which is not an Npgsql connection-string keyword"
                : $"has a value of '{e.ParamName}' Npgsql does not take ({e.InnerException?.Message ?? e.Message})";
            throw new MedallionException(
                ErrorCode.CatalogLocationInvalid,
                $"The catalog cannot be read: '{parsed.Display}' {what}.\nHelp: query parameters are Npgsql connection-string keywords, e.g. ?sslmode=require&timeout=15&SearchPath=medallion.",
                e);
        }

        if (!new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>().Any(k => k.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant() is "MAXPOOLSIZE" or "MAXIMUMPOOLSIZE"))
        {
            // Several servers and workers share one PostgreSQL, whose max_connections is 100 by default: each process
            // keeps at most this many catalog connections (writes go through one writer anyway; a burst of reads waits
            // its turn in the pool), unless the URL says otherwise (?Maximum Pool Size=...).
            builder.MaxPoolSize = DefaultPoolSize;
        }

        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            // Shows in pg_stat_activity, so a DBA sees whose connections these are.
            builder.ApplicationName = "medallion";
        }

        string port = builder.Port == NpgsqlConnection.DefaultPort ? "" : $":{builder.Port}";
        return new PostgresCatalogDialect(builder.ConnectionString, $"postgres://{builder.Username}{(builder.Username is null ? "" : "@")}{builder.Host}{port}/{builder.Database}");
    }

    /// <inheritdoc/>
    public override string Location { get; }

    /// <inheritdoc/>
    /// <remarks>Two URLs naming one database as different users are different writers: each writes with its own rights.</remarks>
    public override string WriterKey => _connectionString;

    /// <inheritdoc/>
    public override string JsonTextSet(string parameter) => $"SELECT jsonb_array_elements_text(CAST({parameter} AS jsonb))";

    /// <inheritdoc/>
    /// <remarks>
    /// A row's physical position: in the insert order for a table that is only appended to, which is the one use
    /// (the audit's actions, never updated), until a VACUUM lets new rows into the space of pruned ones.
    /// </remarks>
    public override string InsertionOrder => "ctid";

    /// <inheritdoc/>
    public override string SkipLockedRows => " FOR UPDATE SKIP LOCKED";

    /// <inheritdoc/>
    public override DbConnection CreateConnection() => new NpgsqlConnection(_connectionString);

    /// <inheritdoc/>
    /// <remarks>PostgreSQL's <c>NOTIFY</c>, delivered at commit; channels are the catalog's own constants, never user text.</remarks>
    public override string Notify(string channel) => $"SELECT pg_notify('{channel}', '')";

    /// <inheritdoc/>
    public override async Task<bool> ListenAsync(string channel, Action notified, CancellationToken cancellationToken)
    {
        // Out of the pool, which it would hold a connection of for good; with keepalives, so that a connection cut without
        // a word (a partition, a failover) fails within a minute rather than leaving the listener deaf.
        var builder = new NpgsqlConnectionStringBuilder(_connectionString) { Pooling = false, KeepAlive = 30 };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            connection.Notification += (_, _) => notified();
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using (var listen = new NpgsqlCommand($"LISTEN {channel}", connection))
            {
                await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            while (true)
            {
                await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc/>
    public override bool CommitsLoneStatementsUnlocked => true;

    /// <summary>Nothing to prepare: the database is made by its administrator, and the first migration creates the tables in it.</summary>
    public override void PrepareStorage()
    {
    }

    /// <inheritdoc/>
    public override Task ConfigureAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Runs the statement under the catalog's lock (see <see cref="TakeCatalogLock"/>): two sessions running one
    /// <c>CREATE TABLE IF NOT EXISTS</c> at once can both find the table missing, and the second then fails on PostgreSQL's
    /// own catalog.
    /// </summary>
    public override async Task CreateIfMissingAsync(DbConnection connection, string createStatement, CancellationToken cancellationToken)
    {
        using DbTransaction transaction = await BeginMigrationAsync(connection, cancellationToken).ConfigureAwait(false);
        using DbCommand create = connection.CreateCommand();
        create.Transaction = transaction;
        create.CommandText = createStatement;
        await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        DbTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Held until the transaction ends: a second Medallion migrating the same catalog waits here, then reads the
            // version this one committed.
            using DbCommand lockCommand = connection.CreateCommand();
            lockCommand.Transaction = transaction;
            lockCommand.CommandText = TakeCatalogLock;
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A read-committed transaction that first takes the catalog's lock (see <see cref="TakeCatalogLock"/>): without it, two
    /// servers appending to one run's log both read the same last line number, and two processes adding the first user
    /// both find none, where SQLite lets one writer in at a time.
    /// </summary>
    public override DbTransaction BeginWrite(DbConnection connection)
    {
        DbTransaction transaction = connection.BeginTransaction();
        try
        {
            using DbCommand lockCommand = connection.CreateCommand();
            lockCommand.Transaction = transaction;
            lockCommand.CommandText = TakeCatalogLock;
            lockCommand.ExecuteNonQuery();
            return transaction;
        }
        catch
        {
            transaction.Dispose();
            throw;
        }
    }

    /// <summary>Nothing to set: every PostgreSQL commit is as durable as the server is configured to make it (<c>synchronous_commit</c>).</summary>
    public override void SetDurability(DbConnection connection, bool durable)
    {
    }

    /// <inheritdoc/>
    public override bool IsDiskFull(Exception failure) => failure is PostgresException { SqlState: PostgresErrorCodes.DiskFull };

    /// <inheritdoc/>
    public override Exception Translate(Exception failure, bool writing)
    {
        string outcome = writing ? "Nothing was written." : "Nothing was read.";
        return failure switch
        {
            PostgresException pg => pg.SqlState switch
            {
                PostgresErrorCodes.DiskFull or PostgresErrorCodes.InsufficientResources or PostgresErrorCodes.OutOfMemory or PostgresErrorCodes.TooManyConnections
                    or PostgresErrorCodes.ConfigurationLimitExceeded or PostgresErrorCodes.ReadOnlySqlTransaction => new MedallionException(
                    ErrorCode.CatalogWriteFailed,
                    $"Could not {(writing ? "write to" : "read")} the catalog '{Location}': the server said {pg.SqlState} {pg.MessageText}.\nHelp: free what the server lacks (space, memory, connections) or point the catalog at its primary; {(writing ? "the write was not recorded and " : "")}the catalog is unchanged.",
                    failure),
                PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.QueryCanceled => new MedallionException(
                    ErrorCode.CatalogBusy,
                    $"The catalog '{Location}' was held by another writer for longer than Medallion waits, or the server chose this transaction to give way ({pg.SqlState} {pg.MessageText}).\nHelp: run again; another server or a tool holds its rows in a long transaction. {outcome}",
                    failure),
                PostgresErrorCodes.InsufficientPrivilege => new MedallionException(
                    ErrorCode.CatalogWriteFailed,
                    $"The catalog's database user may not {(writing ? "write to" : "read")} the catalog '{Location}': {pg.MessageText}.\nHelp: grant that user the catalog's tables (it owns them when it created them). {outcome}",
                    failure),
                PostgresErrorCodes.DataCorrupted or PostgresErrorCodes.IndexCorrupted => new MedallionException(
                    ErrorCode.CatalogCorrupt,
                    $"The catalog '{Location}' is damaged: {pg.MessageText}.\nHelp: restore the database from a backup. The tables' data and history live in the lake, not in the catalog.",
                    failure),
                _ when IsUnavailable(pg.SqlState) => Unavailable(failure, outcome),
                _ => failure,
            },
            NpgsqlException => Unavailable(failure, outcome),
            _ => failure,
        };
    }

    // Class 08 (connection exceptions) and 57P0x (the server shutting down or starting): the server, not the statement.
    private static bool IsUnavailable(string sqlState) => sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("57P0", StringComparison.Ordinal);

    private MedallionException Unavailable(Exception failure, string outcome) => new(
        ErrorCode.CatalogUnavailable,
        $"The catalog's database server '{Location}' could not be reached or dropped the connection: {failure.Message}\nHelp: check that PostgreSQL is up and reachable from here; run again. {outcome}",
        failure);

    /// <inheritdoc/>
    public override MedallionException? OpenFailed(Exception failure) => failure switch
    {
        PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } pg => new MedallionException(
            ErrorCode.CatalogOpenFailed,
            $"Cannot open the catalog '{Location}': {pg.MessageText}.\nHelp: create the database first (createdb, or CREATE DATABASE); Medallion creates its tables in it.",
            failure),
        PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } pg => new MedallionException(
            ErrorCode.CatalogOpenFailed,
            $"Cannot open the catalog '{Location}': the server refused the login ({pg.MessageText}).\nHelp: check the user and the password in the catalog's URL (write the password as ${{PGPASSWORD}} to read it from the environment).",
            failure),
        PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } pg => new MedallionException(
            ErrorCode.CatalogOpenFailed,
            $"Cannot open the catalog '{Location}': its user may not create the catalog's tables ({pg.MessageText}).\nHelp: GRANT CREATE ON SCHEMA public (or the schema of the URL's SearchPath) to that user, or let a user who may migrate it once (medallion catalog migrate).",
            failure),
        PostgresException pg when IsUnavailable(pg.SqlState) => new MedallionException(ErrorCode.CatalogOpenFailed, $"Cannot open the catalog '{Location}': {pg.MessageText}.\nHelp: check that PostgreSQL is up and accepts connections; run again.", failure),
        PostgresException pg => new MedallionException(ErrorCode.CatalogOpenFailed, $"Cannot open the catalog '{Location}': {pg.SqlState} {pg.MessageText}.", failure),
        NpgsqlException => new MedallionException(
            ErrorCode.CatalogOpenFailed,
            $"Cannot open the catalog '{Location}': {failure.Message}\nHelp: check that PostgreSQL is up and reachable from here (host, port, sslmode); run again.",
            failure),
        _ => null,
    };

    /// <inheritdoc/>
    public override DbTransaction BeginSnapshot(DbConnection connection) => connection.BeginTransaction(IsolationLevel.RepeatableRead);

    /// <summary>
    /// <c>VACUUM</c> of the tables pruning deletes from, one at a time (it runs outside a transaction): their dead rows'
    /// space is reused by the next runs; PostgreSQL gives a table's space back to the disk only when its last pages are
    /// empty. VACUUM takes no lock that holds writers.
    /// </summary>
    public override async Task ReclaimSpaceAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        foreach (string table in s_prunedTables)
        {
            using DbCommand vacuum = connection.CreateCommand();
            vacuum.CommandText = "VACUUM " + table;
            await vacuum.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>ANALYZE</c>: until autovacuum gets to them, a bulk-loaded catalog's tables are planned as if they were
    /// empty.
    /// </summary>
    public override async Task RefreshStatisticsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        using DbCommand analyze = connection.CreateCommand();
        analyze.CommandText = "ANALYZE";
        await analyze.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Null: the database's size is the server's (its other databases, its write-ahead log), not a file's.</summary>
    public override long? SizeBytes() => null;

    /// <inheritdoc/>
    public override void ClearPool()
    {
        using var connection = new NpgsqlConnection(_connectionString);
        NpgsqlConnection.ClearPool(connection);
    }
}
