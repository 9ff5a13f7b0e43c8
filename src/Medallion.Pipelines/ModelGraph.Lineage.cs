using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;

namespace Medallion.Pipelines;

/// <summary>Which way to follow lineage from a table or column.</summary>
public enum LineageDirection
{
    /// <summary>Both what it is computed from and what is computed from it.</summary>
    Both,
    /// <summary>What it is computed from, transitively.</summary>
    Upstream,
    /// <summary>What is computed from it, transitively.</summary>
    Downstream,
}

public sealed partial class ModelGraph
{
    /// <summary>
    /// The lineage around a table, or around one of its columns, as edges from the parsed models:
    /// table-level edges when <paramref name="column"/> is null, column-level edges otherwise.
    /// </summary>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.ModelUnknownTable"/> when the project has no such table;
    /// <see cref="ErrorCode.ModelSelectionInvalid"/> when a model has no such output column. Both suggest close names.
    /// </exception>
    public IReadOnlyList<LineageEdge> GetLineage(TableName table, string? column = null, LineageDirection direction = LineageDirection.Both)
    {
        if (!_downstream.ContainsKey(table))
        {
            throw new MedallionException(
                ErrorCode.ModelUnknownTable,
                $"The project has no table {table}.{NameSuggester.DidYouMean(table.ToString(), _downstream.Keys.Select(t => t.ToString()))}\nHelp: list the project's tables with their models under models/ and sources under sources/.");
        }

        if (column is not null && _analyses.TryGetValue(table, out ModelAnalysis? analysis) && analysis.ColumnsComplete
            && !analysis.Columns.Any(c => string.Equals(c.Name, column, StringComparison.OrdinalIgnoreCase)))
        {
            throw new MedallionException(
                ErrorCode.ModelSelectionInvalid,
                $"Model {table} has no output column '{column}'.{NameSuggester.DidYouMean(column, analysis.Columns.Select(c => c.Name))} Its columns: {string.Join(", ", analysis.Columns.Select(c => c.Name))}.");
        }

        var edges = new List<LineageEdge>();
        var seen = new HashSet<(TableName, string?)>();
        if (direction != LineageDirection.Downstream)
        {
            WalkUpstream(table, column, edges, seen);
        }

        seen.Clear();
        if (direction != LineageDirection.Upstream)
        {
            WalkDownstream(table, column, edges, seen);
        }

        return edges.Distinct().ToList();
    }

    /// <summary>
    /// The columns that hold <paramref name="table"/>.<paramref name="column"/>'s values unchanged: the columns it copies
    /// and the columns that copy it (<see cref="OutputColumn.IsCopy"/>), transitively in both directions, without the column
    /// itself. A key copied from bronze into silver and on into gold names the same rows in all three.
    /// </summary>
    public IReadOnlyList<ColumnReference> GetCopies(TableName table, string column)
    {
        ArgumentNullException.ThrowIfNull(column);
        var start = new ColumnReference(table, column);
        var found = new HashSet<ColumnReference>(ColumnReferenceComparer.Instance) { start };
        var pending = new Queue<ColumnReference>([start]);
        while (pending.TryDequeue(out ColumnReference current))
        {
            // Upstream: what the current column copies.
            IEnumerable<ColumnReference> linked = _analyses.TryGetValue(current.Table, out ModelAnalysis? analysis)
                ? analysis.Columns.Where(c => c.IsCopy && string.Equals(c.Name, current.Column, StringComparison.OrdinalIgnoreCase)).SelectMany(c => c.Sources)
                : [];
            // Downstream: the columns that copy it.
            if (_downstream.TryGetValue(current.Table, out var downstream))
            {
                linked = linked.Concat(downstream.SelectMany(d => _analyses[d].Columns
                    .Where(c => c.IsCopy && c.Sources.Any(s => ColumnReferenceComparer.Instance.Equals(s, current)))
                    .Select(c => new ColumnReference(d, c.Name))));
            }

            foreach (ColumnReference next in linked.ToList())
            {
                if (found.Add(next))
                {
                    pending.Enqueue(next);
                }
            }
        }

        found.Remove(start);
        return [.. found.OrderBy(c => c.ToString(), StringComparer.Ordinal)];
    }

    /// <summary>Column references compared as SQL names are: the column case-insensitively.</summary>
    private sealed class ColumnReferenceComparer : IEqualityComparer<ColumnReference>
    {
        public static readonly ColumnReferenceComparer Instance = new();

        public bool Equals(ColumnReference x, ColumnReference y) => x.Table.Equals(y.Table) && string.Equals(x.Column, y.Column, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode(ColumnReference obj) => HashCode.Combine(obj.Table, StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Column));
    }

    private void WalkUpstream(TableName table, string? column, List<LineageEdge> edges, HashSet<(TableName, string?)> seen)
    {
        if (!seen.Add((table, column?.ToLowerInvariant())) || !_analyses.TryGetValue(table, out ModelAnalysis? analysis))
        {
            return;
        }

        if (column is null)
        {
            foreach (TableName upstream in analysis.Dependencies)
            {
                edges.Add(new LineageEdge(upstream, null, table, null));
                WalkUpstream(upstream, null, edges, seen);
            }

            return;
        }

        foreach (OutputColumn output in analysis.Columns.Where(c => string.Equals(c.Name, column, StringComparison.OrdinalIgnoreCase)))
        {
            foreach (ColumnReference source in output.Sources)
            {
                edges.Add(new LineageEdge(source.Table, source.Column, table, output.Name));
                WalkUpstream(source.Table, source.Column, edges, seen);
            }
        }
    }

    private void WalkDownstream(TableName table, string? column, List<LineageEdge> edges, HashSet<(TableName, string?)> seen)
    {
        if (!seen.Add((table, column?.ToLowerInvariant())))
        {
            return;
        }

        foreach (TableName downstream in GetDownstream(table))
        {
            if (column is null)
            {
                edges.Add(new LineageEdge(table, null, downstream, null));
                WalkDownstream(downstream, null, edges, seen);
                continue;
            }

            foreach (OutputColumn output in _analyses[downstream].Columns)
            {
                if (output.Sources.Any(s => s.Table.Equals(table) && string.Equals(s.Column, column, StringComparison.OrdinalIgnoreCase)))
                {
                    edges.Add(new LineageEdge(table, column, downstream, output.Name));
                    WalkDownstream(downstream, output.Name, edges, seen);
                }
            }
        }
    }
}
