using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;

namespace Medallion.Catalog;

public sealed partial class CatalogStore
{
    private const string LineageColumns = "upstream, upstream_column, downstream, downstream_column";

    /// <summary>
    /// Replaces every edge that ends in <paramref name="downstream"/> with <paramref name="edges"/>, in one
    /// transaction: a model's lineage is whatever its current SQL reads.
    /// </summary>
    /// <exception cref="ArgumentException">An edge ends in another table.</exception>
    public Task ReplaceLineageAsync(TableName downstream, IReadOnlyList<LineageEdge> edges, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(edges);
        if (edges.FirstOrDefault(e => !e.Downstream.Equals(downstream)) is { } stray)
        {
            throw new ArgumentException($"The edge {stray.Upstream} -> {stray.Downstream} does not end in {downstream}.", nameof(edges));
        }

        string target = downstream.ToString().ToLowerInvariant();
        var statements = new List<(string, (string, object?)[])>
        {
            ("DELETE FROM lineage_edges WHERE downstream = @downstream", [("@downstream", target)]),
        };
        statements.AddRange(edges.Distinct().Select(edge => (
            $"INSERT INTO lineage_edges ({LineageColumns}) VALUES (@up, @upColumn, @downstream, @downColumn) ON CONFLICT DO NOTHING",
            new (string, object?)[]
            {
                ("@up", edge.Upstream.ToString().ToLowerInvariant()), ("@upColumn", edge.UpstreamColumn ?? string.Empty),
                ("@downstream", target), ("@downColumn", edge.DownstreamColumn ?? string.Empty),
            })));
        return ExecuteInTransactionAsync(statements, cancellationToken);
    }

    /// <summary>The edges that end in <paramref name="table"/> (what it reads), table-level and column-level.</summary>
    public Task<List<LineageEdge>> GetUpstreamEdgesAsync(TableName table, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {LineageColumns} FROM lineage_edges WHERE downstream = @table ORDER BY {LineageColumns}",
            [("@table", table.ToString().ToLowerInvariant())],
            ReadEdge,
            cancellationToken);

    /// <summary>The edges that start in <paramref name="table"/> (what reads it), table-level and column-level.</summary>
    public Task<List<LineageEdge>> GetDownstreamEdgesAsync(TableName table, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {LineageColumns} FROM lineage_edges WHERE upstream = @table ORDER BY {LineageColumns}",
            [("@table", table.ToString().ToLowerInvariant())],
            ReadEdge,
            cancellationToken);

    private static LineageEdge ReadEdge(SqliteDataReader r) => new(
        TableName.Parse(r.GetString(0)),
        r.GetString(1) is { Length: > 0 } upColumn ? upColumn : null,
        TableName.Parse(r.GetString(2)),
        r.GetString(3) is { Length: > 0 } downColumn ? downColumn : null);
}
