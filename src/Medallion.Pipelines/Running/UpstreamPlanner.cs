using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.ChangeDataFeed;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Scanning;
using Medallion.Storage;

namespace Medallion.Pipelines.Running;

/// <summary>One upstream table as a model run reads it: pinned at a version, whole or as the rows changed since a version.</summary>
/// <param name="Table">The upstream table.</param>
/// <param name="Version">The version read (and recorded for the next incremental run).</param>
/// <param name="Sql">A SELECT of the rows the model sees.</param>
internal sealed record UpstreamRelation(TableName Table, long Version, string Sql);

/// <summary>
/// Decides what an upstream table contributes to a model run. A full read is the snapshot at its current version.
/// An incremental read is the change data feed from the version the model's last successful run consumed (exclusive)
/// to the current one: the rows of added files, or, where the upstream records a change data feed, its inserts and
/// update postimages (and deletes, for merge models). A change that cannot be read that way (an overwrite or delete
/// without a change data feed, a dropped or retyped column, a recreated table, a cleaned-up log) makes the read
/// impossible, and the caller falls back to a full recompute.
/// </summary>
internal sealed class UpstreamPlanner
{
    /// <summary>The change data feed columns a merge model over a change-data-feed upstream sees, and that are never written to its table.</summary>
    public static readonly IReadOnlyList<string> ChangeColumns = [DeltaScanSql.ChangeTypeColumn, DeltaScanSql.CommitVersionColumn, DeltaScanSql.CommitTimestampColumn];

    private readonly DuckDbConnection _connection;
    private readonly Dictionary<TableName, (DeltaTable Table, Snapshot Snapshot)> _upstream = [];

    private UpstreamPlanner(DuckDbConnection connection) => _connection = connection;

    /// <summary>The current version of every upstream table, read once so a fallback reads the same versions.</summary>
    public IReadOnlyDictionary<string, long> Versions => _upstream.ToDictionary(u => Key(u.Key), u => u.Value.Snapshot.Version, StringComparer.Ordinal);

    public static string Key(TableName table) => table.ToString().ToLowerInvariant();

    /// <summary>Pins every upstream table of a model at its current version.</summary>
    /// <param name="project">The project.</param>
    /// <param name="tables">Where the run's environment keeps each table.</param>
    /// <param name="model">The model being built.</param>
    /// <param name="upstream">The tables it reads.</param>
    /// <param name="writer">
    /// The model's writer: its snapshots are the bases each upstream's newest version is read from (only the log since the
    /// step that committed it, not its checkpoint), and its connection reads Parquet checkpoints.
    /// </param>
    /// <param name="cancellationToken">Cancels reading the logs.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.RunUpstreamMissing"/> when an upstream table has no data yet.</exception>
    public static async Task<UpstreamPlanner> OpenAsync(MedallionProject project, ModelTables tables, ModelDefinition model, IReadOnlyList<TableName> upstream, DeltaWriter writer, CancellationToken cancellationToken)
    {
        var planner = new UpstreamPlanner(writer.Connection);
        foreach (TableName name in upstream)
        {
            string location = tables.Location(name);
            Snapshot snapshot = await writer.TryGetSnapshotAsync(location, cancellationToken).ConfigureAwait(false)
                ?? throw new MedallionException(
                    ErrorCode.RunUpstreamMissing,
                    $"{model.FilePath}: model {model.Name} reads {name}, which has no table at '{location}' yet.\nHelp: run what builds {name} first (the selection +{model.Name} builds everything it reads), or load its source.",
                    location: model.Config.Location);
            planner._upstream[name] = (project.Stores.OpenTable(location, writer.Connection), snapshot);
        }

        return planner;
    }

    /// <summary>True when the upstream table records a change data feed.</summary>
    public bool HasChangeFeed(TableName table) =>
        string.Equals(_upstream[table].Snapshot.Metadata.Configuration.GetValueOrDefault("delta.enableChangeDataFeed"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The whole table at its pinned version; with <paramref name="changeColumns"/>, every row as an insert of that version.</summary>
    public async Task<UpstreamRelation> FullAsync(TableName name, bool changeColumns, CancellationToken cancellationToken)
    {
        (DeltaTable table, Snapshot snapshot) = _upstream[name];
        string scan = await DeltaScanSql.BuildAsync(table, snapshot, null, cancellationToken).ConfigureAwait(false);
        string sql = changeColumns
            ? $"SELECT *, 'insert' AS {DeltaScanSql.ChangeTypeColumn}, CAST({snapshot.Version.ToString(CultureInfo.InvariantCulture)} AS BIGINT) AS {DeltaScanSql.CommitVersionColumn} FROM ({scan})"
            : scan;
        return new UpstreamRelation(name, snapshot.Version, sql);
    }

    /// <summary>
    /// The rows the table gained after <paramref name="consumedVersion"/>, or the reason they cannot be read incrementally.
    /// </summary>
    /// <param name="name">The upstream table.</param>
    /// <param name="consumedVersion">The version the model's last successful run read.</param>
    /// <param name="withDeletes">Include deletes and the change columns (merge models over a change data feed).</param>
    /// <param name="cancellationToken">Cancels reading the log.</param>
    public async Task<(UpstreamRelation? Relation, string? FallbackReason)> ChangesSinceAsync(TableName name, long consumedVersion, bool withDeletes, CancellationToken cancellationToken)
    {
        (DeltaTable table, Snapshot snapshot) = _upstream[name];
        CultureInfo inv = CultureInfo.InvariantCulture;
        if (snapshot.Version < consumedVersion)
        {
            return (null, string.Create(inv, $"{name} is at version {snapshot.Version}, older than version {consumedVersion} read last time (was it recreated?)"));
        }

        Snapshot consumed;
        try
        {
            consumed = snapshot.Version == consumedVersion ? snapshot : await table.GetSnapshotAsync(consumedVersion, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code is ErrorCode.DeltaVersionNotFound or ErrorCode.DeltaLogGap or ErrorCode.DeltaFileErased)
        {
            return (null, string.Create(inv, $"version {consumedVersion} of {name}, read last time, is no longer in its log"));
        }

        if (IncompatibleColumn(consumed.Schema, snapshot.Schema) is string change)
        {
            return (null, string.Create(inv, $"{name} changed its schema since version {consumedVersion}: {change}"));
        }

        string keep = withDeletes ? "'insert', 'update_postimage', 'delete'" : "'insert', 'update_postimage'";
        string columns = withDeletes
            ? $"* EXCLUDE ({DeltaScanSql.CommitTimestampColumn})"
            : $"* EXCLUDE ({string.Join(", ", ChangeColumns)})";
        if (snapshot.Version == consumedVersion)
        {
            string nothing = $"SELECT {columns} FROM ({await DeltaScanSql.BuildAsync(table, snapshot, null, cancellationToken).ConfigureAwait(false)}) " +
                $"CROSS JOIN (SELECT NULL::VARCHAR AS {DeltaScanSql.ChangeTypeColumn}, NULL::BIGINT AS {DeltaScanSql.CommitVersionColumn}, NULL::TIMESTAMPTZ AS {DeltaScanSql.CommitTimestampColumn}) WHERE false";
            return (new UpstreamRelation(name, snapshot.Version, nothing), null);
        }

        ChangeFeedPlan plan;
        try
        {
            plan = await table.PlanChangesAsync(snapshot, consumedVersion + 1, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.DeltaInvalidChangeRange)
        {
            return (null, string.Create(inv, $"the changes of {name} since version {consumedVersion} cannot be read: {e.Message}"));
        }

        if (plan.Files.FirstOrDefault(f => !f.IsChangeDataFile && f.ChangeType == "delete") is { } removed)
        {
            return (null, string.Create(inv, $"{name} version {removed.CommitVersion} removed rows without a change data feed (an overwrite, delete or update)"));
        }

        LocalMirror mirror = LocalMirror.Of(table.Store);
        await mirror.FetchAsync(plan, cancellationToken).ConfigureAwait(false);
        string sql = $"SELECT {columns} FROM ({DeltaScanSql.Build(plan, mirror)}) WHERE {DeltaScanSql.ChangeTypeColumn} IN ({keep})";
        return (new UpstreamRelation(name, snapshot.Version, sql), null);
    }

    /// <summary>The first column of <paramref name="before"/> that <paramref name="after"/> dropped or retyped, or null when every column is still there.</summary>
    private static string? IncompatibleColumn(StructType before, StructType after)
    {
        foreach (StructField field in before.Fields)
        {
            StructField? now = after.Find(field.Name);
            if (now is null)
            {
                return $"column '{field.Name}' was dropped";
            }

            if (!now.Type.Equals(field.Type))
            {
                return $"column '{field.Name}' changed from {field.Type} to {now.Type}";
            }
        }

        return null;
    }
}
