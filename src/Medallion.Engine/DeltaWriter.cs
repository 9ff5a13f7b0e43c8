using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Checkpoints;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;
using Medallion.DuckDb;
using Medallion.Engine.Internal;
using Medallion.Engine.Parquet;
using Medallion.Engine.Writing;
using Medallion.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Engine;

/// <summary>
/// Writes Delta tables on the local file system with DuckDB: create, append and overwrite from any SQL query or
/// file, DELETE, UPDATE, MERGE, checkpoints and maintenance. Every operation is one atomic commit
/// (put-if-absent of the next log file) with optimistic concurrency; data files are written first and become
/// visible only through the commit, so a failed or cancelled operation leaves the table version unchanged (its
/// files are orphans that VACUUM removes).
/// </summary>
/// <remarks>
/// Source queries and predicates are DuckDB SQL run on <see cref="Connection"/>, so they can read files
/// (<c>read_parquet</c>, <c>read_csv</c>) and anything else the connection sees. In DML conditions the table is
/// <c>target</c> and a merge source <c>source</c>. Not thread-safe (a DuckDB connection is not); use one writer per
/// thread, any number of writers per table.
/// </remarks>
public sealed partial class DeltaWriter
{
    /// <summary>Creates a writer that runs its SQL on <paramref name="connection"/> (open, owned by the caller).</summary>
    public DeltaWriter(DuckDbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
        _parquet = new DuckDbParquetFiles(connection);
        _parquetReader = new DuckDbParquetHandler(connection);
    }

    private readonly DuckDbParquetFiles _parquet;
    private readonly DuckDbParquetHandler _parquetReader;
    private bool _sessionReady;
    private ILogger? _logger;

    /// <summary>The connection the writer's SQL runs on.</summary>
    public DuckDbConnection Connection { get; }

    /// <summary>
    /// The DuckDB session <c>TimeZone</c> the writer sets before its first statement: the zone in which the SQL it is
    /// given (rows, predicates, merge sources) is evaluated, so a timestamp cast to DATE there is a day of this zone. The
    /// data written does not depend on it (timestamps are stored as UTC instants, statistics and partition values in
    /// UTC). Default <c>UTC</c>; null leaves the zone the caller set on <see cref="Connection"/>.
    /// </summary>
    public string? TimeZone { get; init; } = "UTC";

    /// <summary>
    /// The latest snapshot this writer saw of each table, the base its next operation on the table updates from (see
    /// <see cref="DeltaSnapshotCache"/>): the writer's own by default; pass one to share it among writers.
    /// </summary>
    public DeltaSnapshotCache Snapshots { get; init; } = new();

    /// <summary>How many times an operation that lost a race to a conflicting commit is re-run on the new version (default 0: report the conflict).</summary>
    public int ConflictRetries { get; init; }

    /// <summary>The default of <see cref="CommitAttempts"/>: 25.</summary>
    public const int DefaultCommitAttempts = 25;

    /// <summary>
    /// How many commit requests an operation makes before giving up with <see cref="ErrorCode.DeltaCommitRetriesExhausted"/>
    /// while other writers keep committing first (default <see cref="DefaultCommitAttempts"/>). Before each retry the
    /// versions that won are checked against what the operation read and writes; a conflicting one fails it at once.
    /// </summary>
    public int CommitAttempts { get; init; } = DefaultCommitAttempts;

    /// <summary>
    /// Checked before every commit request (retries included): it throws to refuse a commit the writer may no longer
    /// make, as when the server whose run writes has lost the run to another (a fencing check). Nothing is written then.
    /// None by default.
    /// </summary>
    public Func<CancellationToken, ValueTask>? CommitFence { get; init; }

    /// <summary>The run whose work this writer commits, recorded in each commit's <c>commitInfo</c> (<see cref="Transaction.Job"/>); none by default.</summary>
    public Delta.Actions.CommitJob? CommitJob { get; init; }

    /// <summary>Where the writer logs commits retried after lost races, operations re-run after conflicts and checkpoints that failed; none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    private ILogger Logger => _logger ??= (LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<DeltaWriter>();

    /// <summary>
    /// The table property that marks a table no platform command may change (<c>medallion.protected = true</c>): the audit
    /// table. Every write, DML and maintenance operation of a writer without <see cref="ChangesProtectedTables"/> refuses
    /// such a table with <see cref="ErrorCode.DeltaTableProtected"/>; checkpoints, which change no data, are allowed.
    /// </summary>
    public const string ProtectedProperty = "medallion.protected";

    /// <summary>
    /// Whether this writer may change tables marked with <see cref="ProtectedProperty"/>: only the owner of such a table
    /// (the audit log, which appends and enforces its retention) sets it. False by default.
    /// </summary>
    public bool ChangesProtectedTables { get; init; }

    /// <summary>
    /// For a writer that appends to tables it never reads (the audit): its appends, and <see cref="TryGetSnapshotAsync"/>,
    /// load a table's newest version without the file list (<see cref="DeltaTable.GetLatestSnapshotWithoutFilesAsync"/>),
    /// and each of its commits writes the version checksum the next load starts from. On an object store an append then
    /// lists the log and reads one checksum, where a full load reads the checkpoint and up to a checkpoint interval of
    /// commits. Its other operations load tables in full as ever. False by default.
    /// </summary>
    public bool AppendsFromVersionChecksums { get; init; }

    /// <summary>Opens the stores of the tables this writer writes: a project's own (<see cref="StorageResolver.Default"/> when not set).</summary>
    public StorageResolver Stores { get; init; } = StorageResolver.Default;

    /// <summary>Opens the table kernel for a location (with checkpoint reading over DuckDB).</summary>
    internal DeltaTable OpenTable(string path) => Stores.OpenTable(path, _parquetReader, LoggerFactory);

    /// <summary>
    /// The newest snapshot, or null when there is no table at the path yet. The last snapshot this writer saw of the
    /// table is the base: only log entries newer than it are listed and read, so a writer committing again and again
    /// to one table does not reload its checkpoint each time. Other writers' commits are still seen, since the log is
    /// listed every time.
    /// </summary>
    /// <param name="table">The table.</param>
    /// <param name="withoutFiles">
    /// For an append by a writer that <see cref="AppendsFromVersionChecksums"/>: a snapshot without its files will do
    /// (and one with files held from before serves as well).
    /// </param>
    /// <param name="cancellationToken">Cancels the load.</param>
    internal async Task<Snapshot?> TryLatestAsync(DeltaTable table, CancellationToken cancellationToken, bool withoutFiles = false)
    {
        try
        {
            return await LatestAsync(table, cancellationToken, withoutFiles).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.DeltaTableNotFound)
        {
            Snapshots.Remove(table.Location);
            return null;
        }
    }

    internal async Task<Snapshot> LatestAsync(DeltaTable table, CancellationToken cancellationToken, bool withoutFiles = false)
    {
        withoutFiles &= AppendsFromVersionChecksums;
        Snapshot snapshot = Snapshots.TryGet(table.Location, withoutFiles, out Snapshot known)
            ? await table.UpdateSnapshotAsync(known, cancellationToken).ConfigureAwait(false)
            : withoutFiles
                ? await table.GetLatestSnapshotWithoutFilesAsync(cancellationToken).ConfigureAwait(false)
                : await table.GetSnapshotAsync(null, cancellationToken).ConfigureAwait(false);
        Snapshots.Set(table.Location, snapshot);
        return snapshot;
    }

    /// <summary>Refuses to change a protected table (<see cref="ProtectedProperty"/>) unless this writer owns such tables.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaTableProtected"/>.</exception>
    internal void EnsureMayChange(DeltaTable table, Snapshot? snapshot, string operation)
    {
        if (ChangesProtectedTables || snapshot is null
            || !snapshot.Metadata.Configuration.TryGetValue(ProtectedProperty, out string? value)
            || !string.Equals(value, "true", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        throw new MedallionException(ErrorCode.DeltaTableProtected,
            $"{operation} refused: the Delta table at '{table.Location}' is protected ({ProtectedProperty} = true), so no command, model or query may change it.\nHelp: it is the platform's audit, written only by the server; its retention is set with 'audit: {{retention: 400d}}' in medallion.yml.");
    }

    /// <summary>The session settings of <see cref="TimeZone"/>, once per writer.</summary>
    internal async Task PrepareSessionAsync(CancellationToken cancellationToken)
    {
        if (_sessionReady)
        {
            return;
        }

        if (TimeZone is not null)
        {
            await ExecuteAsync("SET TimeZone = " + DuckDbConnection.QuoteLiteral(TimeZone), cancellationToken).ConfigureAwait(false);
        }

        _sessionReady = true;
    }

    internal async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal async Task<long> ScalarLongAsync(string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        object? value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is null or DBNull ? 0 : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The first row of a query whose columns are all integers (null read as 0).</summary>
    internal async Task<long[]> ScalarLongsAsync(string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            var values = new long[reader.FieldCount];
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = reader.IsDBNull(i) ? 0 : Convert.ToInt64(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            return values;
        }
    }

    /// <summary>Runs <paramref name="operation"/> again on the newest version when it lost a race, up to <see cref="ConflictRetries"/> times.</summary>
    internal async Task<DeltaOperationResult> WithConflictRetriesAsync(string name, string path, Func<Task<DeltaOperationResult>> operation)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await operation().ConfigureAwait(false);
            }
            catch (MedallionException e) when (e.Code == ErrorCode.DeltaConcurrentModification && attempt < ConflictRetries)
            {
                // The table moved on under this operation; its next attempt reads the new version.
                LogMessages.OperationRetried(Logger, name, path, attempt + 1, ConflictRetries, e);
            }
        }
    }

    /// <summary>
    /// Commits <paramref name="tx"/>: the writer's commit policy over the kernel's single attempts. A version another writer
    /// took is rebased past (the kernel checks the winners and throws a conflict) and tried again, up to
    /// <see cref="CommitAttempts"/> requests. A failed commit request is reported, not tried again: the store has retried the
    /// request already, and whether a lost answer's commit was written may be unknown.
    /// </summary>
    /// <returns>A result that is <see cref="CommitOutcome.Committed"/> or <see cref="CommitOutcome.AlreadyCommitted"/>.</returns>
    /// <exception cref="MedallionException">A conflict (see <see cref="Transaction.RebaseAsync"/>), <see cref="ErrorCode.DeltaCommitRetriesExhausted"/>, or the commit request's failure.</exception>
    internal async Task<CommitResult> CommitAsync(
        Transaction tx,
        string operation,
        IReadOnlyDictionary<string, string> parameters,
        IReadOnlyDictionary<string, string> metrics,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            if (CommitFence is { } fence)
            {
                await fence(cancellationToken).ConfigureAwait(false);
            }

            tx.Job ??= CommitJob;
            CommitResult result = await tx.CommitAsync(operation, parameters, metrics, cancellationToken).ConfigureAwait(false);
            switch (result.Outcome)
            {
                case CommitOutcome.Committed:
                    return result;
                case CommitOutcome.AlreadyCommitted:
                    if (result.Attempts > 0)
                    {
                        LogMessages.CommitAlreadyMade(Logger, operation, tx.Table.Location, result.Version);
                    }

                    return result;
                case CommitOutcome.Retryable:
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(result.Error!);
                    break;
            }

            if (await tx.RebaseAsync(cancellationToken).ConfigureAwait(false))
            {
                if (result.Attempts >= CommitAttempts)
                {
                    throw new MedallionException(ErrorCode.DeltaCommitRetriesExhausted,
                        $"Commit of {operation} to the Delta table at '{tx.Table.Location}' failed after {result.Attempts} attempts: other writers kept committing first (last tried version {tx.NextVersion}).\nHelp: retry later, or reduce the number of concurrent writers on this table.");
                }

                LogMessages.CommitRetried(Logger, operation, tx.Table.Location, result.Version, tx.NextVersion, result.Attempts + 1, CommitAttempts);
            }
        }
    }

    /// <summary>
    /// Turns a constraint failure or a value out of its column's range raised inside DuckDB into the Delta error; other DuckDB errors pass unchanged.
    /// </summary>
    internal static Exception TranslateWriteError(MedallionException e, string table)
    {
        int outOfRange = e.Message.IndexOf(StoreAssignment.OutOfRangeMarker, StringComparison.Ordinal);
        if (outOfRange >= 0)
        {
            string message = e.Message[(outOfRange + StoreAssignment.OutOfRangeMarker.Length)..].Trim();
            return new MedallionException(ErrorCode.DeltaValueOutOfRange,
                $"{message}\nHelp: change or filter the value in the statement, or widen the column's type; nothing was committed to '{table}'.", e);
        }

        int marker = e.Message.IndexOf(SchemaAlignment.ConstraintMarker, StringComparison.Ordinal);
        if (marker >= 0)
        {
            string message = e.Message[(marker + SchemaAlignment.ConstraintMarker.Length)..].Trim();
            return new MedallionException(ErrorCode.DeltaConstraintViolation,
                $"{message}\nHelp: fix or filter the rows in the query; nothing was committed to '{table}'.", e);
        }

        return e;
    }

    /// <summary>Writes a checkpoint when the committed version is due one, and cleans expired log files.</summary>
    /// <param name="table">The table committed to.</param>
    /// <param name="version">The version committed.</param>
    /// <param name="metadata">The metadata the commit was made under, when known: a version it shows is not due needs no read of the table at all.</param>
    /// <param name="cancellationToken">Cancels the checkpoint.</param>
    internal async Task<(long? Version, string? Warning)> CheckpointIfDueAsync(DeltaTable table, long version, Delta.Actions.Metadata? metadata, CancellationToken cancellationToken)
    {
        if (metadata is not null && !CheckpointWriter.IsDue(version, metadata))
        {
            // Most commits: no listing or read of the log after the commit (the next operation on the table lists it anyway).
            return (null, null);
        }

        try
        {
            Snapshot snapshot = await LatestAsync(table, cancellationToken).ConfigureAwait(false);
            if (snapshot.Version != version)
            {
                // Another writer committed after this one; the checkpoint is of the version this writer committed.
                snapshot = await table.GetSnapshotAsync(version, cancellationToken).ConfigureAwait(false);
            }

            if (!CheckpointWriter.IsDue(version, snapshot.Metadata))
            {
                return (null, null);
            }

            await CheckpointWriter.WriteAsync(table, _parquet, snapshot, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
            await CheckpointWriter.CleanupExpiredLogsAsync(table.Store, snapshot.Metadata, DateTimeOffset.UtcNow, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (version, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled after the commit: the operation did commit, and its caller must not report that nothing was.
            return (null, $"Version {version} was committed; its checkpoint was skipped because the operation was cancelled.");
        }
#pragma warning disable CA1031 // Whatever breaks the checkpoint, the commit before it stands and must be reported as made.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // A missing checkpoint only makes later reads replay more commits. Failing the operation instead would report a
            // committed version as not committed, and a caller that retries it would write it again.
            LogMessages.CheckpointFailed(Logger, table.Location, version, e);
            return (null, $"Version {version} was committed, but its checkpoint could not be written: {(e is MedallionException ? e.Message : $"{e.GetType().Name}: {e.Message}")}");
        }
    }

    internal async Task<DeltaOperationResult> FinishAsync(DeltaTable table, CommitResult commit, DeltaOperationResult result, CancellationToken cancellationToken)
    {
        if (!commit.Committed)
        {
            return result with { Version = commit.Version, Committed = false };
        }

        if (commit.Snapshot is { } committed)
        {
            // What reads the table next (the catalog record, the model downstream) starts from the commit, not from a reload.
            Snapshots.Set(table.Location, committed);
            if (AppendsFromVersionChecksums)
            {
                await WriteChecksumAsync(table, committed, cancellationToken).ConfigureAwait(false);
            }
        }

        CrashPoint.Reach("delta.committed.before-checkpoint");
        (long? checkpoint, string? warning) = await CheckpointIfDueAsync(table, commit.Version, commit.Metadata, cancellationToken).ConfigureAwait(false);
        string? uniform = await ConvertAfterCommitAsync(table, commit, cancellationToken).ConfigureAwait(false);
        var warnings = new List<string>(2);
        foreach (string? w in (string?[])[warning, uniform])
        {
            if (w is not null)
            {
                warnings.Add(w);
            }
        }

        return result with
        {
            Version = commit.Version,
            Committed = true,
            CheckpointVersion = checkpoint,
            Warnings = warnings,
        };
    }

    /// <summary>Writes the checksum of a version this writer committed; a failure costs the next load some reads, so it is logged, not thrown.</summary>
    private async Task WriteChecksumAsync(DeltaTable table, Snapshot committed, CancellationToken cancellationToken)
    {
        try
        {
            await table.WriteVersionChecksumAsync(committed, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MedallionException or OperationCanceledException)
        {
            LogMessages.ChecksumFailed(Logger, table.Location, committed.Version, e);
        }
    }

    internal static Dictionary<string, string> Parameters(params (string Key, string? Value)[] pairs)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string? value) in pairs)
        {
            if (value is not null)
            {
                d[key] = value;
            }
        }

        return d;
    }
}
