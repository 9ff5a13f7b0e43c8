using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine.Scanning;

namespace Medallion.Engine.Sessions;

/// <summary>
/// The views <c>namespace.table</c> that show each lakehouse table at its latest version, kept in one
/// DuckDB database and shared by every session on it. A view is replaced only when its table has a
/// newer version, under a lock, so concurrent sessions never race on the same DDL.
/// </summary>
#pragma warning disable CA1001 // The semaphore never allocates a wait handle (no AvailableWaitHandle), so it holds nothing to dispose; the views live as long as their database.
public sealed class LakehouseViews
#pragma warning restore CA1001
{
    private static readonly ConditionalWeakTable<DuckDbDatabase, LakehouseViews> s_byDatabase = [];

    /// <summary>How long "the next commit does not exist" stands in for loading the snapshot; see <see cref="EnsureLatestAsync(LakehouseTable, DuckDbConnection, CancellationToken)"/>.</summary>
    private static readonly TimeSpan s_fullCheckInterval = TimeSpan.FromSeconds(30);

    /// <summary>How many tables <see cref="EnsureLatestAsync(IReadOnlyList{LakehouseTable}, DuckDbConnection, CancellationToken)"/> loads at once.</summary>
    private const int ConcurrentLoads = 8;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly SessionAccess? _access;
    /// <summary>What each view shows: the table's location (an environment's promotion points a name at another table) and version.</summary>
    private readonly Dictionary<string, (string Location, long Version, long CheckedAt)> _versions = new(StringComparer.OrdinalIgnoreCase);

    private LakehouseViews(SessionAccess? access) => _access = access;

    /// <summary>The views of <paramref name="database"/>, shared by every session and model run on it.</summary>
    public static LakehouseViews For(DuckDbDatabase database) => For(database, null);

    /// <summary>
    /// The views of <paramref name="database"/>; with <paramref name="access"/>, the database is one user's and each view
    /// shows only what that user may read (<see cref="SessionAccess.Project"/>). The first call for a database decides.
    /// </summary>
    /// <exception cref="InvalidOperationException">The database's views were already made for other access.</exception>
    public static LakehouseViews For(DuckDbDatabase database, SessionAccess? access)
    {
        LakehouseViews views = s_byDatabase.GetValue(database, _ => new LakehouseViews(access));
        if (!ReferenceEquals(views._access, access) && views._access?.Fingerprint != access?.Fingerprint)
        {
            throw new InvalidOperationException("A database's lakehouse views serve one user's access; open a database per user.");
        }

        return views;
    }

    /// <summary>
    /// Makes the view of each of <paramref name="tables"/> show its latest version, loading up to eight tables at once:
    /// on an object store a table costs a few requests in a row, so a query of several tables, or a session that opens
    /// on a whole lake, waits for the slowest table instead of the sum of them.
    /// </summary>
    /// <remarks>Each concurrent load reads checkpoints on a connection of its own to the same database (a DuckDB
    /// connection runs one command at a time); the views are still replaced one at a time. A table whose log holds no
    /// commit (yet) gets no view, as the lake's listing leaves it out, and the others still load.</remarks>
    public async Task EnsureLatestAsync(IReadOnlyList<LakehouseTable> tables, DuckDbConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(connection);
        if (tables.Count == 1)
        {
            await EnsureLatestIfThereAsync(tables[0], connection, cancellationToken).ConfigureAwait(false);
            return;
        }

        await Parallel.ForEachAsync(tables, new ParallelOptions { MaxDegreeOfParallelism = ConcurrentLoads, CancellationToken = cancellationToken }, async (table, token) =>
        {
            using DuckDbConnection own = connection.OpenSibling();
            await EnsureLatestIfThereAsync(table, own, token).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private async Task EnsureLatestIfThereAsync(LakehouseTable table, DuckDbConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await EnsureLatestAsync(table, connection, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.EngineUnknownTable)
        {
            // Not there yet (or any more): left out, as a listing of the lake leaves it out.
        }
    }

    /// <summary>Makes the view of <paramref name="table"/> show its latest version; returns that version.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EngineUnknownTable"/> when the table's log holds no commit: a
    /// writer creating it makes <c>_delta_log</c> before its first commit is in place, so it is a table not there yet,
    /// never a broken one (its view, if any, is dropped).</exception>
    /// <remarks>
    /// Every query calls this for every table it reads, so the common case (no new commit) must not load the snapshot:
    /// Delta versions are contiguous and each commit is a put-if-absent of the next <c>_delta_log/&lt;version&gt;.json</c>,
    /// so the view is current while the commit after its version does not exist. Log cleanup could remove that file
    /// once later checkpoints exist, so the snapshot is still loaded when the last full check is older than
    /// <see cref="s_fullCheckInterval"/>.
    /// </remarks>
    public async Task<long> EnsureLatestAsync(LakehouseTable table, DuckDbConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(connection);
        (string Location, long Version, long CheckedAt) known;
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _versions.TryGetValue(table.QualifiedName, out known);
        }
        finally
        {
            _lock.Release();
        }

        if (known.CheckedAt != 0 && known.Location == table.Store.Location && Stopwatch.GetElapsedTime(known.CheckedAt) < s_fullCheckInterval
            && await table.Store.GetInfoAsync(CommitKey(known.Version + 1), cancellationToken).ConfigureAwait(false) is null)
        {
            return known.Version;
        }

        DeltaTable delta = StorageResolver.OpenTable(table.Store, connection);
        Snapshot snapshot;
        try
        {
            snapshot = await delta.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.DeltaTableNotFound)
        {
            await ForgetAsync(table, connection, cancellationToken).ConfigureAwait(false);
            throw new MedallionException(ErrorCode.EngineUnknownTable, $"Table {table.QualifiedName} does not exist in the lakehouse: its log at '{table.Store.Location}' has no commit yet.", e);
        }
        if (await IsShownAsync(table, snapshot.Version, cancellationToken).ConfigureAwait(false))
        {
            return snapshot.Version;
        }

        // Planned outside the lock, so that tables loading at once check their erasures and fetch their files at once.
        ScanPlan plan = await delta.PlanLocalScanAsync(snapshot, cancellationToken: cancellationToken).ConfigureAwait(false);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (RenewIfShown(table, snapshot.Version))
            {
                // Another session made the same view meanwhile.
                return snapshot.Version;
            }

            string scan = DeltaScanSql.Build(plan, LocalMirror.Of(delta.Store));
            if (_access is not null)
            {
                scan = SessionAccess.Project(scan, _access.Find(table.QualifiedName)
                    ?? throw new InvalidOperationException($"{table.QualifiedName} is not readable by {_access.User}; its view must not be made."), snapshot.Schema);
            }

            string name = DuckDbConnection.QuoteIdentifier(table.Namespace) + "." + DuckDbConnection.QuoteIdentifier(table.Name);
            using DuckDbCommand command = connection.CreateCommand();
            command.CommandText =
                $"CREATE SCHEMA IF NOT EXISTS {DuckDbConnection.QuoteIdentifier(table.Namespace)}; " +
                $"CREATE OR REPLACE VIEW {name} AS {scan}; " +
                $"COMMENT ON VIEW {name} IS {DuckDbConnection.QuoteLiteral(Comment(table, snapshot.Version))}";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            _versions[table.QualifiedName] = (table.Store.Location, snapshot.Version, Stopwatch.GetTimestamp());
            return snapshot.Version;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Drops the view of a table that is not there, so no query reads the files of a table since removed.</summary>
    private async Task ForgetAsync(LakehouseTable table, DuckDbConnection connection, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_versions.Remove(table.QualifiedName))
            {
                using DuckDbCommand command = connection.CreateCommand();
                command.CommandText = $"DROP VIEW IF EXISTS {DuckDbConnection.QuoteIdentifier(table.Namespace)}.{DuckDbConnection.QuoteIdentifier(table.Name)}";
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>True (and the full check's time renewed) when the view of <paramref name="table"/> already shows <paramref name="version"/>.</summary>
    private async Task<bool> IsShownAsync(LakehouseTable table, long version, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return RenewIfShown(table, version);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary><see cref="IsShownAsync"/> for a caller holding the lock: the same table (location) at the same version.</summary>
    private bool RenewIfShown(LakehouseTable table, long version)
    {
        if (!_versions.TryGetValue(table.QualifiedName, out var current) || current.Version != version || current.Location != table.Store.Location)
        {
            return false;
        }

        _versions[table.QualifiedName] = (current.Location, version, Stopwatch.GetTimestamp());
        return true;
    }

    private static string CommitKey(long version) => "_delta_log/" + version.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + ".json";

    private static string Comment(LakehouseTable table, long version) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{LakehouseSession.ViewCommentPrefix}{table.QualifiedName}, version {version}");
}
