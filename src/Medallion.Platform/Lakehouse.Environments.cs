using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Quality;

namespace Medallion.Platform;

/// <summary>
/// The answers as an environment reads the project (<c>medallion apply --env dev</c>): each model's physical table at the
/// environment's pointer (prod's for a model it did not build), with the runs, quality results and lineage recorded of it.
/// </summary>
public sealed partial class Lakehouse
{
    /// <summary>
    /// Refuses an environment whose tables cannot be read, before anything is answered under its name: without a catalog only
    /// <c>prod</c> is (with nothing recorded).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EnvironmentNameInvalid"/> or <see cref="ErrorCode.EnvironmentNotFound"/>.</exception>
    private async Task RequireEnvironmentAsync(string environment, CancellationToken cancellationToken)
    {
        if (_catalog is not null)
        {
            await _catalog.Environments.RequireAsync(environment, cancellationToken).ConfigureAwait(false);
            return;
        }

        EnvironmentStore.CheckName(environment);
        if (environment != EnvironmentStore.Production)
        {
            throw EnvironmentStore.NotFound(environment);
        }
    }

    /// <summary>
    /// The physical table <paramref name="environment"/> reads for <paramref name="name"/> (a model's, or its quarantine
    /// table's, at the environment's pointer; any other table is prod's), and the environment whose runs build it: the
    /// environment itself for a model it built (or had promoted to it), else prod.
    /// </summary>
    private async Task<(string Location, string BuiltIn)> PhysicalTableAsync(TableName name, Entry entry, string environment, CancellationToken cancellationToken)
    {
        TableName model = name;
        if (_catalog is null || environment == EnvironmentStore.Production
            || !(entry.Kind == TableKind.Model || (entry.Kind == TableKind.Quarantine && QuarantineTable.TryGetModel(name, out model))))
        {
            return (entry.Location, EnvironmentStore.Production);
        }

        ModelTables tables = await ModelTables.LoadAsync(Project, _catalog, environment, cancellationToken).ConfigureAwait(false);
        return (entry.Kind == TableKind.Model ? tables.Location(model) : tables.QuarantineLocation(model), tables.IsOwn(model) ? environment : EnvironmentStore.Production);
    }

    /// <summary>
    /// The lineage as <paramref name="environment"/> built it: the edges the catalog recorded of the physical tables it reads,
    /// followed transitively as <see cref="ModelGraph.GetLineage"/> follows the project's (table-level without a column,
    /// column-level with one), through the reader's grants.
    /// </summary>
    private async Task<IReadOnlyList<LineageEdge>> RecordedLineageAsync(TableName name, string? column, LineageDirection direction, string environment, CancellationToken cancellationToken)
    {
        await RequireEnvironmentAsync(environment, cancellationToken).ConfigureAwait(false);
        if (column is not null)
        {
            await CheckColumnAsync(name, column, environment, cancellationToken).ConfigureAwait(false);
        }

        if (_catalog is null)
        {
            return [];
        }

        var walk = new RecordedLineage(_catalog.Tables, environment, Spelled);
        var edges = new List<LineageEdge>();
        if (direction != LineageDirection.Downstream)
        {
            await walk.WalkAsync(name, column, upstream: true, edges, [], cancellationToken).ConfigureAwait(false);
        }

        if (direction != LineageDirection.Upstream)
        {
            await walk.WalkAsync(name, column, upstream: false, edges, [], cancellationToken).ConfigureAwait(false);
        }

        return Reader.Show([.. edges.Distinct()]);
    }

    /// <summary>
    /// Refuses a column the table the environment reads does not have, as the project's lineage refuses one its model does not
    /// output: with its columns to a reader of every column, as a column that is not there to others. A table not built there
    /// has no schema to check against, and no edges.
    /// </summary>
    private async Task CheckColumnAsync(TableName name, string column, string environment, CancellationToken cancellationToken)
    {
        Entry entry = Find(name);
        (string location, _) = await PhysicalTableAsync(name, entry, environment, cancellationToken).ConfigureAwait(false);
        if (await OpenDeltaAsync(location, cancellationToken).ConfigureAwait(false) is not { } table)
        {
            return;
        }

        List<string> columns = [.. (await table.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Schema.Fields.Select(f => f.Name)];
        if (columns.Contains(column, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        if (Reader.Find(name)?.Columns is not null)
        {
            throw NoSuchColumn(name, column);
        }

        throw new MedallionException(
            ErrorCode.ModelSelectionInvalid,
            $"Table {name} has no column '{column}' in environment '{environment}'.{NameSuggester.DidYouMean(column, columns)} Its columns: {string.Join(", ", columns)}.");
    }

    /// <summary>The tables <paramref name="name"/> reads and those that read it, one hop, as <paramref name="environment"/> built them.</summary>
    private async Task<(IReadOnlyList<TableName> Upstream, IReadOnlyList<TableName> Downstream)> RecordedNeighboursAsync(TableName name, string environment, CancellationToken cancellationToken)
    {
        if (_catalog is null)
        {
            return ([], []);
        }

        List<LineageEdge> upstream = await _catalog.Tables.GetUpstreamEdgesAsync(name, environment, cancellationToken).ConfigureAwait(false);
        List<LineageEdge> downstream = await _catalog.Tables.GetDownstreamEdgesAsync(name, environment, cancellationToken).ConfigureAwait(false);
        return (
            [.. upstream.Where(e => e.UpstreamColumn is null && e.DownstreamColumn is null).Select(e => Spelled(e.Upstream)).Distinct()],
            [.. downstream.Where(e => e.UpstreamColumn is null && e.DownstreamColumn is null).Select(e => Spelled(e.Downstream)).Distinct()]);
    }

    /// <summary>A table as the project spells it (the catalog keeps names lowercase); as given when the project does not know it.</summary>
    private TableName Spelled(TableName name) => (_spellings ??= _tables.Keys.ToDictionary(k => k)).GetValueOrDefault(name, name);

    /// <summary>Walks the catalog's recorded edges at one environment's pointers, each table's edges read once.</summary>
    private sealed class RecordedLineage(TableCatalog catalog, string environment, Func<TableName, TableName> spelled)
    {
        private readonly Dictionary<TableName, List<LineageEdge>> _upstream = [];
        private readonly Dictionary<TableName, List<LineageEdge>> _downstream = [];

        /// <summary>
        /// Adds the edges into <paramref name="table"/> (<paramref name="upstream"/>) or out of it, of <paramref name="column"/>
        /// or table-level, and follows each to its other end, as <see cref="ModelGraph.GetLineage"/> walks the project's.
        /// </summary>
        public async Task WalkAsync(TableName table, string? column, bool upstream, List<LineageEdge> edges, HashSet<(TableName, string?)> seen, CancellationToken cancellationToken)
        {
            if (!seen.Add((table, column?.ToLowerInvariant())))
            {
                return;
            }

            Dictionary<TableName, List<LineageEdge>> read = upstream ? _upstream : _downstream;
            if (!read.TryGetValue(table, out List<LineageEdge>? recorded))
            {
                read[table] = recorded = Spell(upstream
                    ? await catalog.GetUpstreamEdgesAsync(table, environment, cancellationToken).ConfigureAwait(false)
                    : await catalog.GetDownstreamEdgesAsync(table, environment, cancellationToken).ConfigureAwait(false));
            }

            foreach (LineageEdge edge in recorded)
            {
                (TableName far, string? farColumn, string? nearColumn) = upstream
                    ? (edge.Upstream, edge.UpstreamColumn, edge.DownstreamColumn)
                    : (edge.Downstream, edge.DownstreamColumn, edge.UpstreamColumn);
                if (Follows(nearColumn, farColumn, column))
                {
                    edges.Add(edge);
                    await WalkAsync(far, farColumn, upstream, edges, seen, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        /// <summary>
        /// Whether an edge continues the walk: a table-level edge (both ends without a column) on a table-level walk, a column
        /// edge from <paramref name="column"/> on a column-level one.
        /// </summary>
        private static bool Follows(string? near, string? far, string? column) =>
            column is null ? near is null && far is null : far is not null && string.Equals(near, column, StringComparison.OrdinalIgnoreCase);

        private List<LineageEdge> Spell(List<LineageEdge> edges) =>
            [.. edges.Select(e => e with { Upstream = spelled(e.Upstream), Downstream = spelled(e.Downstream) })];
    }
}
