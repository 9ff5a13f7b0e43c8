using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.DeletionVectors;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;
using Medallion.DuckDb;
using Medallion.Engine.Writing;

namespace Medallion.Engine;

public sealed partial class DeltaWriter
{
    /// <summary>
    /// True when DML marks rows deleted instead of rewriting files: <c>delta.enableDeletionVectors</c> is on and the
    /// protocol lists the feature (PROTOCOL.md "Deletion Vectors": writers write new DVs only when both hold).
    /// </summary>
    private static bool DeletionVectorsEnabled(Snapshot snapshot) =>
        WriterFeatures.IsTrue(snapshot.Metadata.Configuration, "delta.enableDeletionVectors")
        && snapshot.Protocol.WriterFeatures is { } features && features.Contains("deletionVectors");

    /// <summary>
    /// Runs <paramref name="sql"/>, which yields (data file absolute path, row index) pairs, and groups the row indexes
    /// by file. Memory grows with the rows the operation deletes, not with the table.
    /// </summary>
    private async Task<Dictionary<string, List<long>>> RowIndexesAsync(string sql, CancellationToken cancellationToken)
    {
        var byFile = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                string file = reader.GetString(0);
                if (!byFile.TryGetValue(file, out List<long>? rows))
                {
                    byFile[file] = rows = [];
                }

                rows.Add(reader.GetInt64(1));
            }
        }

        return byFile;
    }

    /// <summary>
    /// Marks rows of live files deleted in the transaction: each touched file is removed (with its old deletion vector)
    /// and re-added with a deletion vector holding the union of the old and the new rows, all in one new DV file; a file
    /// whose every row is then deleted is only removed. The DV file is written before the commit references it.
    /// </summary>
    /// <returns>The touched files and how many logical files lost all their rows.</returns>
    private async Task<DeletionVectorUpdate> MarkRowsDeletedAsync(DeltaTable table, Transaction tx, IReadOnlyList<ScanFile> files, Dictionary<string, List<long>> rowsByFile, CancellationToken cancellationToken)
    {
        var builder = new DeletionVectorFileBuilder();
        LocalMirror mirror = LocalMirror.Of(table.Store);
        var touched = new List<ScanFile>();
        int emptied = 0, updated = 0;
        long rowsDeleted = 0;
        foreach (ScanFile file in files)
        {
            if (!rowsByFile.TryGetValue(mirror.PathOf(file), out List<long>? rows) || rows.Count == 0)
            {
                continue;
            }

            long[] union = Union(file.DeletedRowIndexes, rows);
            rowsDeleted += union.LongLength - file.DeletedRowIndexes.Count;
            long physical = file.PhysicalRecordCount
                ?? await ScalarLongAsync($"SELECT count(*) FROM read_parquet({DuckDbConnection.QuoteLiteral(mirror.PathOf(file))})", cancellationToken).ConfigureAwait(false);
            touched.Add(file);
            tx.Remove(file);
            if (union.LongLength >= physical)
            {
                emptied++;
                continue;
            }

            if (file.HasDeletionVector)
            {
                updated++;
            }

            tx.Add(file.Add with
            {
                DeletionVector = builder.Add(union),
                DataChange = true,
                Stats = WideBoundsStats(file.Add.Stats, physical),
            });
        }

        if (builder.Count > 0)
        {
            await builder.WriteAsync(table.Store, cancellationToken).ConfigureAwait(false);
        }

        return new DeletionVectorUpdate(touched, builder.Count - updated, updated, emptied, rowsDeleted);
    }

    /// <summary>The ascending, distinct union of a file's already deleted rows and newly deleted ones.</summary>
    private static long[] Union(IReadOnlyList<long> existing, List<long> added)
    {
        added.Sort();
        var result = new List<long>(existing.Count + added.Count);
        int i = 0, j = 0;
        while (i < existing.Count || j < added.Count)
        {
            long next = j >= added.Count || (i < existing.Count && existing[i] <= added[j]) ? existing[i++] : added[j++];
            if (result.Count == 0 || result[^1] != next)
            {
                result.Add(next);
            }
        }

        return [.. result];
    }

    private static readonly JsonSerializerOptions s_statsJson = new() { Encoder = ActionSerializer.WriterOptions.Encoder };

    /// <summary>
    /// The file's statistics with <c>tightBounds: false</c>: min and max still bound the remaining rows but may belong to
    /// deleted ones (PROTOCOL.md "Per-file Statistics"); <c>numRecords</c> stays the physical count, as a DV requires.
    /// </summary>
    private static string WideBoundsStats(string? stats, long physicalRecords)
    {
        JsonObject node = (stats is null ? null : JsonNode.Parse(stats) as JsonObject) ?? [];
        node["numRecords"] = physicalRecords;
        node["tightBounds"] = false;
        return node.ToJsonString(s_statsJson);
    }

    /// <summary>What <see cref="MarkRowsDeletedAsync"/> did.</summary>
    private sealed record DeletionVectorUpdate(List<ScanFile> Touched, int DeletionVectorsAdded, int DeletionVectorsUpdated, int FilesEmptied, long RowsDeleted)
    {
        /// <summary>Deletion vectors that went away with their emptied files.</summary>
        public int DeletionVectorsRemoved
        {
            get
            {
                int removed = 0;
                foreach (ScanFile f in Touched)
                {
                    removed += f.HasDeletionVector ? 1 : 0;
                }

                return removed - DeletionVectorsUpdated;
            }
        }

        /// <summary>The commitInfo metrics Delta Lake records for deletion vectors.</summary>
        public (string Key, string? Value)[] Metrics =>
        [
            ("numDeletionVectorsAdded", Transaction.Metric(DeletionVectorsAdded)),
            ("numDeletionVectorsRemoved", Transaction.Metric(DeletionVectorsRemoved)),
            ("numDeletionVectorsUpdated", Transaction.Metric(DeletionVectorsUpdated)),
        ];
    }
}
