using System;
using System.Collections.Generic;
using System.Globalization;
using System.Diagnostics;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Catalog;

/// <summary>
/// The metastore: namespaces, tables, columns with docs and classification, schema history per
/// version, runs and model runs, quality results, and lineage edges. By default it is a SQLite file
/// under the project's <c>.medallion/catalog.db</c>.
/// </summary>
/// <remarks>
/// <para>Guarantees: the schema is migrated forward on open, one migration per transaction, and the
/// applied versions are listed in the <c>schema_version</c> table; a catalog written by a newer
/// Medallion is refused rather than guessed at. Every method that writes several rows does it in one
/// transaction, so readers never see half of a column list or lineage set.</para>
/// <para>The store is safe to use from several threads: each read takes its own pooled connection,
/// and SQLite's write-ahead log lets readers run beside the single writer. Writes of every store of this
/// process open on one file queue for that file's one writer, which commits those waiting together; a
/// write method returns once its write is committed.</para>
/// </remarks>
public sealed partial class CatalogStore : IAsyncDisposable
{
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    // Every write goes through the one writer of this file in the process (group commit; see CatalogWriter).
    private readonly CatalogWriter _writer;
    private readonly ILogger _logger;

    private CatalogStore(string path, string connectionString, TimeProvider time, ILoggerFactory loggerFactory)
    {
        Path = path;
        _connectionString = connectionString;
        _time = time;
        _writer = CatalogWriter.For(path, connectionString);
        _logger = loggerFactory.CreateLogger<CatalogStore>();
    }

    /// <summary>The default of <see cref="SlowWriteThreshold"/>: one second.</summary>
    public static readonly TimeSpan DefaultSlowWriteThreshold = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A write that takes this long or longer, from its call until its transaction committed, is logged at Warning (event
    /// 16901, naming the write): runs and the scheduler wait on catalog writes, so a slow disk or a lock held by another
    /// process shows in the log. Default <see cref="DefaultSlowWriteThreshold"/>.
    /// </summary>
    public TimeSpan SlowWriteThreshold { get; set; } = DefaultSlowWriteThreshold;

    /// <summary>The catalog file.</summary>
    public string Path { get; }

    /// <summary>The catalog file of a project: <c>&lt;project&gt;/.medallion/catalog.db</c>.</summary>
    public static string DefaultPath(string projectDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(projectDirectory);
        return System.IO.Path.Combine(projectDirectory, ".medallion", "catalog.db");
    }

    /// <summary>Opens (creating when missing) the catalog file at <paramref name="path"/> and migrates its schema to the latest version.</summary>
    /// <remarks>
    /// The catalog holds password verifiers, so on Linux and macOS a new file is created readable by its owner only
    /// (0600, and so are SQLite's <c>-wal</c>/<c>-shm</c> files), in a folder only its owner may enter (0700) when that
    /// folder is new. An existing catalog loses others' access on open, and its group's unless the group may write to
    /// it (a catalog shared with a team on purpose).
    /// </remarks>
    /// <param name="path">The SQLite file; its directory is created when missing.</param>
    /// <param name="timeProvider">The clock for created/updated timestamps; the system clock when null.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.CatalogOpenFailed"/> when the file cannot be opened or migrated;
    /// <see cref="ErrorCode.CatalogSchemaTooNew"/> when a newer Medallion wrote it.
    /// </exception>
    public static Task<CatalogStore> OpenAsync(string path, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        OpenAsync(path, timeProvider, null, cancellationToken);

    /// <summary>
    /// Opens (creating when missing) the catalog file at <paramref name="path"/> and migrates its schema to the latest
    /// version, logging slow writes (<see cref="SlowWriteThreshold"/>) to <paramref name="loggerFactory"/>.
    /// </summary>
    /// <param name="path">The SQLite file; its directory is created when missing.</param>
    /// <param name="timeProvider">The clock for created/updated timestamps; the system clock when null.</param>
    /// <param name="loggerFactory">Where the store logs; none when null.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="MedallionException">As <see cref="OpenAsync(string, TimeProvider?, CancellationToken)"/>.</exception>
    public static async Task<CatalogStore> OpenAsync(string path, TimeProvider? timeProvider, ILoggerFactory? loggerFactory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = System.IO.Path.GetFullPath(path);
        string connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        var store = new CatalogStore(fullPath, connectionString, timeProvider ?? TimeProvider.System, loggerFactory ?? NullLoggerFactory.Instance);
        try
        {
            CatalogFileAccess.Prepare(fullPath);
            await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException exception) when (CatalogFailure.IsDiskFull(exception, fullPath))
        {
            throw new MedallionException(
                ErrorCode.CatalogOpenFailed,
                $"Cannot open the catalog '{fullPath}': {DiskFull.Text} ({exception.Message}).\nHelp: free space on the disk that holds it and run again; the catalog is unchanged.",
                exception);
        }
        catch (SqliteException exception)
        {
            throw new MedallionException(
                ErrorCode.CatalogOpenFailed,
                $"Cannot open the catalog '{fullPath}': {exception.Message}\nHelp: check that the file is a Medallion catalog and that no other program holds it locked.",
                exception);
        }
        catch (UnauthorizedAccessException exception)
        {
            throw new MedallionException(ErrorCode.CatalogOpenFailed, $"Cannot create the catalog '{fullPath}': {exception.Message}", exception);
        }

        return store;
    }

    /// <summary>The schema version the catalog file is at.</summary>
    public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default)
    {
        List<long> versions = await QueryAsync("SELECT COALESCE(MAX(version), 0) FROM schema_version", [], r => r.GetInt64(0), cancellationToken).ConfigureAwait(false);
        return (int)versions[0];
    }

    /// <summary>Releases the pooled connections to the catalog file.</summary>
    public ValueTask DisposeAsync()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }

    // Microsoft.Data.Sqlite works synchronously underneath, so disposing connections and commands
    // with plain using loses nothing.
    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        using SqliteConnection connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using (SqliteCommand pragma = connection.CreateCommand())
        {
            // Incremental auto-vacuum lets pruning the run history give the freed pages back to the disk (it takes effect only
            // on a new, empty file; an older catalog is converted by its first prune). WAL lets readers (the CLI, the web
            // UI) run while a run writes. Both persist in the file.
            pragma.CommandText = "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        using (SqliteCommand create = connection.CreateCommand())
        {
            create.CommandText = CatalogSchema.VersionTable;
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        long current = await ReadSchemaVersionAsync(connection, null, cancellationToken).ConfigureAwait(false);
        if (current > CatalogSchema.LatestVersion)
        {
            throw new MedallionException(
                ErrorCode.CatalogSchemaTooNew,
                $"The catalog '{Path}' is at schema version {current}, newer than this Medallion knows ({CatalogSchema.LatestVersion}).\nHelp: upgrade Medallion; do not downgrade a catalog.");
        }

        foreach (CatalogMigration migration in CatalogSchema.Migrations)
        {
            if (migration.Version <= current)
            {
                continue;
            }

            // Another process may be opening the same new file (a server and a command started together): the
            // transaction takes the write lock at BEGIN (IMMEDIATE), so reading the version again inside it tells
            // whether that process applied this migration meanwhile, and each migration is applied once.
            using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
            if (await ReadSchemaVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false) >= migration.Version)
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            foreach (string statement in migration.Statements)
            {
                using SqliteCommand command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = statement;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            using (SqliteCommand record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_version (version, description, applied_at) VALUES (@version, @description, @at)";
                record.Parameters.AddWithValue("@version", migration.Version);
                record.Parameters.AddWithValue("@description", migration.Description);
                record.Parameters.AddWithValue("@at", FormatTime(_time.GetUtcNow()));
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<long> ReadSchemaVersionAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        using SqliteCommand read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
        return (long)(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
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
    /// Runs a write through the file's <see cref="CatalogWriter"/> (see <see cref="CatalogWriter.WriteAsync"/>), and logs it
    /// when it took <see cref="SlowWriteThreshold"/> or longer, named by <paramref name="write"/> (the store method's name).
    /// </summary>
    private async Task<int> WriteAsync(Func<SqliteConnection, SqliteTransaction, int> work, bool durable, string write, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            return await _writer.WriteAsync(work, durable, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed >= SlowWriteThreshold)
            {
                LogMessages.SlowWrite(_logger, write, Path, (long)elapsed.TotalMilliseconds);
            }
        }
    }

    /// <summary>Runs one writing statement (through the file's <see cref="CatalogWriter"/>); returns the rows it changed.</summary>
    private Task<int> ExecuteAsync(string sql, (string Name, object? Value)[] parameters, CancellationToken cancellationToken, [CallerMemberName] string write = "") =>
        WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = CreateCommand(connection, transaction, sql, parameters);
                return command.ExecuteNonQuery();
            },
            durable: false,
            write,
            cancellationToken);

    private async Task<List<T>> QueryAsync<T>(string sql, (string Name, object? Value)[] parameters, Func<SqliteDataReader, T> map, CancellationToken cancellationToken)
    {
        try
        {
            using SqliteConnection connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            using SqliteCommand command = CreateCommand(connection, null, sql, parameters);
            using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<T>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(map(reader));
            }

            return rows;
        }
        catch (SqliteException e)
        {
            throw CatalogFailure.Translate(e, Path, writing: false);
        }
    }

    /// <summary>Runs several statements in one transaction; each item is one statement and its parameters.</summary>
    private Task ExecuteInTransactionAsync(IEnumerable<(string Sql, (string Name, object? Value)[] Parameters)> statements, CancellationToken cancellationToken, [CallerMemberName] string write = "") =>
        WriteAsync(
            (connection, transaction) =>
            {
                foreach ((string sql, (string Name, object? Value)[] parameters) in statements)
                {
                    using SqliteCommand command = CreateCommand(connection, transaction, sql, parameters);
                    command.ExecuteNonQuery();
                }

                return 0;
            },
            durable: false,
            write,
            cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> as one atomic write (its own savepoint in the writer's transaction): what it reads
    /// inside sees the catalog as it writes, and when it throws nothing of it is kept.
    /// </summary>
    private Task<int> WriteAsync(Func<SqliteConnection, SqliteTransaction, int> work, CancellationToken cancellationToken, [CallerMemberName] string write = "") =>
        WriteAsync(work, durable: false, write, cancellationToken);

    /// <summary>One statement of a write made of several (see <see cref="WriteAsync(Func{SqliteConnection, SqliteTransaction, int}, CancellationToken, string)"/>); returns the rows it changed.</summary>
    private static int Execute(SqliteConnection connection, SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = CreateCommand(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static SqliteCommand CreateCommand(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private string Now() => FormatTime(_time.GetUtcNow());

    private static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private static string? GetNullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static long? GetNullableInt64(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}
