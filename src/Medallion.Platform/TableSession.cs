using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.ChangeDataFeed;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Scanning;
using Medallion.Storage;

namespace Medallion.Platform;

/// <summary>
/// One Delta table opened by its location, inside a project or not (written by any engine), with a DuckDB
/// connection that reads it: snapshots with time travel, rows, history and the change data feed.
/// </summary>
/// <remarks>Not safe for concurrent use; dispose it to close the connection.</remarks>
public sealed class TableSession : IAsyncDisposable
{
    private readonly DuckDbConnection _connection;

    private TableSession(DeltaTable table, DuckDbConnection connection)
    {
        Table = table;
        _connection = connection;
    }

    /// <summary>The table's Delta kernel.</summary>
    public DeltaTable Table { get; }

    /// <summary>Opens the table at <paramref name="location"/>.</summary>
    /// <param name="location">The table's directory (the folder holding <c>_delta_log</c>).</param>
    /// <param name="stores">Opens its store: the project's when the table is one of a project's; <see cref="StorageResolver.Default"/> when null.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaTableNotFound"/> when the directory does not exist.</exception>
    public static TableSession Open(string location, StorageResolver? stores = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        IObjectStore store = (stores ?? StorageResolver.Default).OpenStore(location);
        if (store is LocalObjectStore && !Directory.Exists(store.Location))
        {
            throw new MedallionException(ErrorCode.DeltaTableNotFound,
                $"No Delta table at '{store.Location}': the directory does not exist.\nHelp: check the path; a Delta table is a directory with a '_delta_log' folder.");
        }

        DuckDbConnection connection = DuckDbEngines.Default.OpenScratch();
        return new TableSession(StorageResolver.OpenTable(store, connection), connection);
    }

    /// <summary>The table as of a version, or as of a time (the newest version committed at or before it), or now.</summary>
    /// <param name="version">The version to read; null for the newest (or the one <paramref name="timestamp"/> picks).</param>
    /// <param name="timestamp">The time to read the table as of; null for none. Give at most one of the two.</param>
    /// <param name="cancellationToken">Stops the log replay.</param>
    /// <exception cref="ArgumentException">Both a version and a timestamp were given.</exception>
    /// <exception cref="MedallionException">No such version, or nothing committed by then.</exception>
    public async Task<Snapshot> GetSnapshotAsync(long? version = null, DateTimeOffset? timestamp = null, CancellationToken cancellationToken = default)
    {
        if (version is not null && timestamp is not null)
        {
            throw new ArgumentException("Give a version or a timestamp, not both.", nameof(timestamp));
        }

        return timestamp is { } when
            ? await Table.GetSnapshotAtTimestampAsync(when, cancellationToken).ConfigureAwait(false)
            : await Table.GetSnapshotAsync(version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The rows of <paramref name="snapshot"/>, optionally filtered and limited. The files are pruned with the parts of
    /// <paramref name="predicate"/> the kernel understands; DuckDB still filters every row.
    /// </summary>
    /// <param name="snapshot">A snapshot of this table.</param>
    /// <param name="predicate">A SQL predicate on the table's columns; null or blank for all rows.</param>
    /// <param name="limit">At most this many rows; null for all.</param>
    /// <param name="cancellationToken">Interrupts the query.</param>
    /// <returns>A reader the caller disposes.</returns>
    /// <exception cref="DuckDbException">The predicate does not parse or bind.</exception>
    public async Task<DuckDbDataReader> ReadRowsAsync(Snapshot snapshot, string? predicate = null, long? limit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ScanPlan plan = await PlanScanAsync(snapshot, predicate, cancellationToken).ConfigureAwait(false);
        var sql = new StringBuilder("SELECT * FROM (").Append(DeltaScanSql.Build(plan, LocalMirror.Of(Table.Store))).Append(") AS t");
        if (!string.IsNullOrWhiteSpace(predicate))
        {
            sql.Append(" WHERE (").Append(predicate).Append(')');
        }

        if (limit is long n)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(n, nameof(limit));
            sql.Append(" LIMIT ").Append(n.ToString(CultureInfo.InvariantCulture));
        }

        return await ExecuteReaderAsync(sql.ToString(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The change data feed of versions <paramref name="fromVersion"/> to <paramref name="toVersion"/>, with
    /// <c>_change_type</c>, <c>_commit_version</c> and <c>_commit_timestamp</c>, in commit order.
    /// </summary>
    /// <param name="fromVersion">The first version whose changes to include.</param>
    /// <param name="toVersion">The last version whose changes to include; null for the newest.</param>
    /// <param name="cancellationToken">Interrupts the query.</param>
    /// <returns>A reader the caller disposes.</returns>
    /// <exception cref="MedallionException">The table does not record changes for those versions.</exception>
    public async Task<DuckDbDataReader> ReadChangesAsync(long fromVersion, long? toVersion = null, CancellationToken cancellationToken = default)
    {
        ChangeFeedPlan plan = await Table.PlanChangesAsync(fromVersion, toVersion, cancellationToken).ConfigureAwait(false);
        LocalMirror mirror = LocalMirror.Of(Table.Store);
        await mirror.FetchAsync(plan, cancellationToken).ConfigureAwait(false);
        return await ExecuteReaderAsync("SELECT * FROM (" + DeltaScanSql.Build(plan, mirror) + ") AS t ORDER BY \"_commit_version\"", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The table's commits, newest first.</summary>
    /// <param name="cancellationToken">Stops the reading.</param>
    public async Task<IReadOnlyList<CommitEntry>> GetHistoryAsync(CancellationToken cancellationToken = default)
    {
        var entries = new List<CommitEntry>();
        await foreach (CommitEntry entry in Table.GetHistoryAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(entry);
        }

        return entries;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await _connection.DisposeAsync().ConfigureAwait(false);

    private async Task<ScanPlan> PlanScanAsync(Snapshot snapshot, string? predicate, CancellationToken cancellationToken)
    {
        ScanPredicate? filter = string.IsNullOrWhiteSpace(predicate) ? null : DeltaScanSql.TryParsePredicate(_connection, predicate);
        if (filter is not null)
        {
            try
            {
                return await Table.PlanLocalScanAsync(snapshot, filter, cancellationToken).ConfigureAwait(false);
            }
            catch (MedallionException e) when (e.Code == ErrorCode.DeltaInvalidPredicate)
            {
                // A predicate the pruning cannot use (another column type, an expression) is still applied by DuckDB.
            }
        }

        return await Table.PlanLocalScanAsync(snapshot, null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DuckDbDataReader> ExecuteReaderAsync(string sql, CancellationToken cancellationToken)
    {
        // The reader keeps the command it came from; both go when the reader is disposed, like LakehouseSession's.
        DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
    }
}
