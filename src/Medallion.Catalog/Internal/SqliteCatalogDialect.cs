using System;
using System.Data.Common;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;

namespace Medallion.Catalog.Internal;

/// <summary>
/// The catalog in a SQLite file (the embedded default, <c>.medallion/catalog.db</c>): pooled connections, the write-ahead
/// log so readers run beside the writer, and SQLite's failures of the file or the machine (a full or failing disk, a lock
/// another process held too long, a damaged file) told as coded errors naming the catalog, not SQLite's bare words,
/// which would surface as a bug of Medallion's.
/// </summary>
internal sealed class SqliteCatalogDialect : CatalogDialect
{
    private const int SqliteBusy = 5, SqliteLocked = 6, SqliteReadOnly = 8, SqliteIoError = 10, SqliteCorrupt = 11, SqliteFull = 13, SqliteNotADatabase = 26;

    private readonly string _connectionString;

    /// <summary>A dialect for the SQLite file at <paramref name="path"/> (a full path).</summary>
    public SqliteCatalogDialect(string path)
    {
        Location = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <inheritdoc/>
    public override string Location { get; }

    /// <inheritdoc/>
    public override string JsonTextSet(string parameter) => $"SELECT value FROM json_each({parameter})";

    /// <inheritdoc/>
    public override string InsertionOrder => "rowid";

    /// <inheritdoc/>
    public override string SkipLockedRows => "";

    /// <inheritdoc/>
    public override DbConnection CreateConnection() => new SqliteConnection(_connectionString);

    /// <inheritdoc/>
    public override void PrepareStorage() => CatalogFileAccess.Prepare(Location);

    /// <inheritdoc/>
    public override async Task ConfigureAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        using DbCommand pragma = connection.CreateCommand();
        // Incremental auto-vacuum lets pruning the run history give the freed pages back to the disk (it takes effect only
        // on a new, empty file; an older catalog is converted by its first prune). WAL lets readers (the CLI, the web
        // UI) run while a run writes. Both persist in the file.
        pragma.CommandText = "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL";
        await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the statement as it is: SQLite takes the file's write lock for it, so two processes take turns.</summary>
    public override async Task CreateIfMissingAsync(DbConnection connection, string createStatement, CancellationToken cancellationToken)
    {
        using DbCommand create = connection.CreateCommand();
        create.CommandText = createStatement;
        await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override Task<DbTransaction> BeginMigrationAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // IMMEDIATE: the write lock is taken at BEGIN, not at the first write.
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    /// <inheritdoc/>
    public override DbTransaction BeginWrite(DbConnection connection) =>
        // IMMEDIATE: the file's write lock is taken at BEGIN, so another process's writer waits (busy timeout) or is refused
        // before anything of this batch ran.
        ((SqliteConnection)connection).BeginTransaction(deferred: false);

    /// <inheritdoc/>
    public override void SetDurability(DbConnection connection, bool durable)
    {
        using DbCommand durability = connection.CreateCommand();
        // Under WAL, NORMAL syncs at checkpoints rather than at every commit, and FULL syncs this commit (and so every
        // earlier one) before it returns. A sync per commit was a large part of a short run's wait; the writes that must
        // survive an OS crash ask for it (see CatalogWriter.WriteAsync's durable, the README's durability notes).
        durability.CommandText = durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
        durability.ExecuteNonQuery();
    }

    /// <summary>
    /// Whether SQLite failed for want of space: <c>SQLITE_FULL</c>, or an I/O error (it cannot grow its shared-memory or
    /// log file) while the disk holding the file has no space left.
    /// </summary>
    public override bool IsDiskFull(Exception failure) =>
        failure is SqliteException sqlite
        && (sqlite.SqliteErrorCode == SqliteFull
            || (sqlite.SqliteErrorCode == SqliteIoError && System.IO.Path.GetDirectoryName(Location) is { } folder && DiskFull.At(folder)));

    /// <inheritdoc/>
    public override Exception Translate(Exception failure, bool writing) => failure is not SqliteException sqlite ? failure : sqlite.SqliteErrorCode switch
    {
        SqliteIoError or SqliteFull or SqliteReadOnly => new MedallionException(
            ErrorCode.CatalogWriteFailed,
            $"Could not {(writing ? "write to" : "read")} the catalog '{Location}': {(IsDiskFull(sqlite) ? DiskFull.Text : sqlite.Message)}.\nHelp: free space on the disk that holds it (or make it writable) and run again; {(writing ? "the write was not recorded and " : "")}the catalog is unchanged.",
            failure),
        SqliteBusy or SqliteLocked => new MedallionException(
            ErrorCode.CatalogBusy,
            $"The catalog '{Location}' stayed locked by another process for longer than Medallion waits for it: {sqlite.Message}.\nHelp: another command or a tool holds it in a long transaction; run again when that ends. {(writing ? "Nothing was written." : "Nothing was read.")}",
            failure),
        SqliteCorrupt or SqliteNotADatabase => new MedallionException(
            ErrorCode.CatalogCorrupt,
            $"The catalog '{Location}' is damaged or is not a Medallion catalog: {sqlite.Message}.\nHelp: restore it from a backup. The tables' data and history live in the lake, not in the catalog; the runs, users and grants recorded in it are what a backup keeps.",
            failure),
        _ => failure,
    };

    /// <inheritdoc/>
    public override MedallionException? OpenFailed(Exception failure) => failure switch
    {
        SqliteException sqlite when IsDiskFull(sqlite) => new MedallionException(
            ErrorCode.CatalogOpenFailed,
            $"Cannot open the catalog '{Location}': {DiskFull.Text} ({sqlite.Message}).\nHelp: free space on the disk that holds it and run again; the catalog is unchanged.",
            failure),
        SqliteException sqlite => new MedallionException(
            ErrorCode.CatalogOpenFailed,
            $"Cannot open the catalog '{Location}': {sqlite.Message}\nHelp: check that the file is a Medallion catalog and that no other program holds it locked.",
            failure),
        UnauthorizedAccessException => new MedallionException(ErrorCode.CatalogOpenFailed, $"Cannot create the catalog '{Location}': {failure.Message}", failure),
        _ => null,
    };

    /// <inheritdoc/>
    public override DbTransaction BeginSnapshot(DbConnection connection) => ((SqliteConnection)connection).BeginTransaction(deferred: true);

    /// <summary>
    /// <c>PRAGMA incremental_vacuum</c>, then a passive checkpoint that copies the write-ahead log into the file, which
    /// shrinks once every frame is copied. Passive, because a blocking one would hold the runs' writes while it waits for
    /// readers; one that could not copy everything leaves the shrinking to SQLite's next checkpoint. A catalog made before
    /// incremental auto-vacuum is converted once (<c>VACUUM</c> rewrites it, holding writers for as long).
    /// </summary>
    public override async Task ReclaimSpaceAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        using (DbCommand mode = connection.CreateCommand())
        {
            mode.CommandText = "PRAGMA auto_vacuum";
            if (Convert.ToInt64(await mode.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) != 2)
            {
                mode.CommandText = "PRAGMA auto_vacuum=INCREMENTAL; VACUUM";
                await mode.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        using DbCommand reclaim = connection.CreateCommand();
        reclaim.CommandText = "PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(PASSIVE)";
        await reclaim.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Nothing: SQLite plans without statistics unless ANALYZE ever ran, and the catalog never runs it (statistics
    /// left behind would have to be kept fresh).
    /// </summary>
    public override Task RefreshStatisticsAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public override long? SizeBytes() => File.Exists(Location) ? new FileInfo(Location).Length : 0;

    /// <inheritdoc/>
    public override void ClearPool()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
