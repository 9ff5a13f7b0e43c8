using System.Collections.Generic;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Actions;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;
using Medallion.DuckDb;
using Medallion.Engine.Writing;

namespace Medallion.Engine;

public sealed partial class DeltaWriter
{
    private const string ChangeDataDirectory = "_change_data";
    private const string ChangeTypeColumn = "_change_type";

    /// <summary>True when the table records a change data feed (<c>delta.enableChangeDataFeed</c>).</summary>
    private static bool ChangeDataFeedEnabled(Snapshot snapshot) =>
        WriterFeatures.IsTrue(snapshot.Metadata.Configuration, "delta.enableChangeDataFeed");

    /// <summary>
    /// Writes change data files (PROTOCOL.md "Change Data Files") under <c>_change_data/</c> from rows that have the
    /// table's logical columns plus <c>_change_type</c> (<c>insert</c>, <c>delete</c>, <c>update_preimage</c>,
    /// <c>update_postimage</c>), and adds their <c>cdc</c> actions to the transaction. Readers of the change feed use
    /// these instead of the commit's add and remove actions, so copied rows of a rewrite never look changed.
    /// </summary>
    private async Task WriteChangeDataAsync(DeltaTable table, Snapshot snapshot, Transaction tx, IReadOnlyList<string> rowQueries, CancellationToken cancellationToken)
    {
        ColumnMappingMode mode = ModeOf(snapshot.Metadata);
        var select = new List<string>();
        var physical = new List<StructField>();
        foreach (StructField f in snapshot.Schema.Fields)
        {
            string value = $"CAST(changes.{DuckDbConnection.QuoteIdentifier(f.Name)} AS {DuckDbTypes.ToDuckDb(f.Type)})";
            select.Add($"{Scanning.DeltaScanSql.PhysicalValue(value, f.Type, mode)} AS {DuckDbConnection.QuoteIdentifier(f.GetPhysicalName(mode))}");
            physical.Add(ColumnMapping.ToPhysical(f, mode));
        }

        select.Add($"changes.{ChangeTypeColumn}");
        physical.Add(new StructField(ChangeTypeColumn, PrimitiveType.String, true, new Dictionary<string, JsonElement>()));
        var partitionColumns = new List<string>();
        foreach (string p in snapshot.PartitionColumns)
        {
            partitionColumns.Add(snapshot.Schema.Find(p)!.GetPhysicalName(mode));
        }

        string sql = $"SELECT {string.Join(", ", select)} FROM ({string.Join(" UNION ALL ", rowQueries)}) AS changes";
        List<AddFile> files = await DataFileWriter.WriteAsync(Connection, table.Store, sql, new StructType(physical), partitionColumns, ChangeDataDirectory, cancellationToken).ConfigureAwait(false);
        foreach (AddFile f in files)
        {
            tx.Add(new AddCdcFile(f.Path, f.PartitionValues, f.Size, false));
        }
    }
}
