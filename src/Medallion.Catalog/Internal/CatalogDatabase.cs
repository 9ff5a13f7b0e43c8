using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Medallion.Catalog.Internal;

/// <summary>
/// The catalog's database as every store of it uses it: reads on pooled connections of their own, writes through the
/// catalog's one <see cref="CatalogWriter"/>, the clock its records are stamped with, and versioned migrations on open.
/// Its engine's differences are its <see cref="CatalogDialect"/>'s.
/// </summary>
internal sealed class CatalogDatabase
{
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    // Every write goes through the one writer of this catalog in the process (group commit; see CatalogWriter).
    private readonly CatalogWriter _writer;
    private readonly ILogger _logger;

    public CatalogDatabase(CatalogDialect dialect, TimeProvider time, ILogger logger)
    {
        Dialect = dialect;
        Time = time;
        _logger = logger;
        _writer = CatalogWriter.For(dialect);
    }

    /// <summary>The engine's differences.</summary>
    public CatalogDialect Dialect { get; }

    /// <summary>Where the catalog is, as messages name it.</summary>
    public string Location => Dialect.Location;

    /// <summary>The clock records are stamped with.</summary>
    public TimeProvider Time { get; }

    /// <summary>A write at least this long is logged at Warning (see <see cref="CatalogStore.SlowWriteThreshold"/>).</summary>
    public TimeSpan SlowWriteThreshold { get; set; } = CatalogStore.DefaultSlowWriteThreshold;

    /// <summary>Migrates the schema to the latest version, each migration in a transaction of its own.</summary>
    /// <returns>The version the catalog was at before (0 for a new one).</returns>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogSchemaTooNew"/> when a newer Medallion wrote the catalog.</exception>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        using DbConnection connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await Dialect.ConfigureAsync(connection, cancellationToken).ConfigureAwait(false);
        await Dialect.CreateIfMissingAsync(connection, CatalogSchema.VersionTable, cancellationToken).ConfigureAwait(false);

        long current = await ReadSchemaVersionAsync(connection, null, cancellationToken).ConfigureAwait(false);
        if (current > CatalogSchema.LatestVersion)
        {
            throw new MedallionException(
                ErrorCode.CatalogSchemaTooNew,
                $"The catalog '{Location}' is at schema version {current}, newer than this Medallion knows ({CatalogSchema.LatestVersion}).\nHelp: upgrade Medallion; do not downgrade a catalog.");
        }

        foreach (CatalogMigration migration in CatalogSchema.Migrations)
        {
            if (migration.Version <= current)
            {
                continue;
            }

            // Another process may be opening the same new catalog (a server and a command started together): the
            // migration's transaction holds the catalog from its start, so reading the version again inside it tells
            // whether that process applied this migration meanwhile, and each migration is applied once.
            using DbTransaction transaction = await Dialect.BeginMigrationAsync(connection, cancellationToken).ConfigureAwait(false);
            if (await ReadSchemaVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false) >= migration.Version)
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            foreach (string statement in migration.Statements)
            {
                using DbCommand command = CreateCommand(connection, transaction, statement, []);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            using (DbCommand record = CreateCommand(
                connection,
                transaction,
                "INSERT INTO schema_version (version, description, applied_at) VALUES (@version, @description, @at)",
                [("@version", migration.Version), ("@description", migration.Description), ("@at", Now())]))
            {
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return (int)current;
    }

    /// <summary>The schema version the catalog is at.</summary>
    public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken)
    {
        List<long> versions = await QueryAsync("SELECT COALESCE(MAX(version), 0) FROM schema_version", [], r => r.GetInt64(0), cancellationToken).ConfigureAwait(false);
        return (int)versions[0];
    }

    private static async Task<long> ReadSchemaVersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        using DbCommand read = CreateCommand(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version", []);
        return Convert.ToInt64(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>An open connection of the pool, for reads.</summary>
    public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        DbConnection connection = Dialect.CreateConnection();
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Calls <paramref name="notified"/> each time a committed write notified <paramref name="channel"/> (see
    /// <see cref="CatalogDialect.ListenAsync"/>) until <paramref name="cancellationToken"/> is cancelled, then returns true;
    /// a failed connection is logged and opened again after <see cref="ListenRetry"/>. False at once where the engine tells
    /// no one.
    /// </summary>
    public async Task<bool> ListenAsync(string channel, Action notified, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                if (!await Dialect.ListenAsync(channel, notified, cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return true;
            }
            catch (Exception e)
            {
                // Those listening poll too: until the connection is back they hear of things later, not never.
                LogMessages.ListenFailed(_logger, channel, Location, e.Message, (long)ListenRetry.TotalSeconds);
            }

            try
            {
                await Task.Delay(ListenRetry, Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return true;
            }
        }
    }

    /// <summary>How long <see cref="ListenAsync"/> waits before opening a failed connection again.</summary>
    public static TimeSpan ListenRetry { get; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs a write through the catalog's <see cref="CatalogWriter"/> (see <see cref="CatalogWriter.WriteAsync"/>), and logs it
    /// when it took <see cref="SlowWriteThreshold"/> or longer, named by <paramref name="write"/> (the store method's name).
    /// </summary>
    public async Task<int> WriteAsync(Func<DbConnection, DbTransaction, int> work, bool durable, string write, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            return await _writer.WriteAsync(work, durable, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            LogIfSlow(write, started);
        }
    }

    /// <summary>
    /// Runs one statement that is a whole write on its own, and that no other write reads to decide what it writes (a
    /// lease's take, renewal or release). Where the engine allows (<see cref="CatalogDialect.CommitsLoneStatementsUnlocked"/>)
    /// it commits alone, outside the catalog's lock and this process's queue of writes: a process stopped in the middle
    /// of a write (SIGSTOP, a frozen VM) holds every other write until it resumes or its session is ended, and a lease
    /// holder whose renewal queued behind it would lose its lease for a stall that is not its own. Elsewhere it is a write
    /// like any other. Returns the rows it changed.
    /// </summary>
    public async Task<int> ExecuteAloneAsync(string sql, (string Name, object? Value)[] parameters, CancellationToken cancellationToken, [CallerMemberName] string write = "")
    {
        if (!Dialect.CommitsLoneStatementsUnlocked)
        {
            return await ExecuteAsync(sql, parameters, cancellationToken, write).ConfigureAwait(false);
        }

        long started = Stopwatch.GetTimestamp();
        try
        {
            using DbConnection connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            using DbCommand command = CreateCommand(connection, null, sql, parameters);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw Dialect.Translate(e, writing: true);
        }
        finally
        {
            LogIfSlow(write, started);
        }
    }

    private void LogIfSlow(string write, long started)
    {
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        if (elapsed >= SlowWriteThreshold)
        {
            LogMessages.SlowWrite(_logger, write, Location, (long)elapsed.TotalMilliseconds);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> as one atomic write (its own savepoint in the writer's transaction): what it reads
    /// inside sees the catalog as it writes, and when it throws nothing of it is kept.
    /// </summary>
    public Task<int> WriteAsync(Func<DbConnection, DbTransaction, int> work, CancellationToken cancellationToken, [CallerMemberName] string write = "") =>
        WriteAsync(work, durable: false, write, cancellationToken);

    /// <summary>Runs one writing statement (through the catalog's <see cref="CatalogWriter"/>); returns the rows it changed.</summary>
    public Task<int> ExecuteAsync(string sql, (string Name, object? Value)[] parameters, CancellationToken cancellationToken, [CallerMemberName] string write = "") =>
        WriteAsync((connection, transaction) => Execute(connection, transaction, sql, parameters), durable: false, write, cancellationToken);

    /// <summary>Runs several statements in one transaction; each item is one statement and its parameters.</summary>
    public Task ExecuteInTransactionAsync(IEnumerable<(string Sql, (string Name, object? Value)[] Parameters)> statements, CancellationToken cancellationToken, [CallerMemberName] string write = "") =>
        WriteAsync(
            (connection, transaction) =>
            {
                foreach ((string sql, (string Name, object? Value)[] parameters) in statements)
                {
                    Execute(connection, transaction, sql, parameters);
                }

                return 0;
            },
            durable: false,
            write,
            cancellationToken);

    /// <summary>Runs a query on a connection of its own and maps each row.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, (string Name, object? Value)[] parameters, Func<DbDataReader, T> map, CancellationToken cancellationToken)
    {
        try
        {
            using DbConnection connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            using DbCommand command = CreateCommand(connection, null, sql, parameters);
            using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<T>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(map(reader));
            }

            return rows;
        }
        catch (DbException e)
        {
            throw Dialect.Translate(e, writing: false);
        }
    }

    /// <summary>One statement of a write made of several (see <see cref="WriteAsync(Func{DbConnection, DbTransaction, int}, CancellationToken, string)"/>); returns the rows it changed.</summary>
    public static int Execute(DbConnection connection, DbTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using DbCommand command = CreateCommand(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>A command of <paramref name="sql"/> with its parameters (a null value is SQL NULL) in <paramref name="transaction"/>.</summary>
    public static DbCommand CreateCommand(DbConnection connection, DbTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        DbCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            DbParameter parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>Now, as the catalog stores times.</summary>
    public string Now() => FormatTime(Time.GetUtcNow());

    /// <summary>A time as the catalog stores it: ISO-8601 UTC text with seven decimals, which sorts as the times do.</summary>
    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    /// <summary>A time the catalog stored.</summary>
    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>The text of a column, or null.</summary>
    public static string? GetNullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>The integer of a column, or null.</summary>
    public static long? GetNullableInt64(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}
