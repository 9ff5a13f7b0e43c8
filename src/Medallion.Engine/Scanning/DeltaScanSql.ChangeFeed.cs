using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Medallion.Delta.ChangeDataFeed;
using Medallion.Delta.Scans;
using Medallion.DuckDb;

namespace Medallion.Engine.Scanning;

public static partial class DeltaScanSql
{
    /// <summary>The name of the change type column of the change data feed.</summary>
    public const string ChangeTypeColumn = "_change_type";

    /// <summary>The name of the commit version column of the change data feed.</summary>
    public const string CommitVersionColumn = "_commit_version";

    /// <summary>The name of the commit timestamp column of the change data feed.</summary>
    public const string CommitTimestampColumn = "_commit_timestamp";

    /// <summary>
    /// Builds the query text for the change data feed <paramref name="plan"/>: the table's logical columns, then
    /// <c>_change_type</c>, <c>_commit_version</c> and <c>_commit_timestamp</c>. Change data files (<c>cdc</c>) give
    /// their rows with their own <c>_change_type</c>; data files read as changes give every row they keep
    /// (or, after a deletion vector update, only the rows it deleted or restored) with <c>insert</c> or <c>delete</c>.
    /// DuckDB reads the files from <paramref name="files"/>, fetched there (<see cref="LocalMirror.FetchAsync(ChangeFeedPlan, System.Threading.CancellationToken)"/>).
    /// </summary>
    public static string Build(ChangeFeedPlan plan, LocalMirror files)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(files);
        IReadOnlyList<ScanColumn> columns = plan.Columns;
        const string Trailer = "CAST(NULL AS VARCHAR) AS \"_change_type\", CAST(NULL AS BIGINT) AS \"_commit_version\", CAST(NULL AS TIMESTAMPTZ) AS \"_commit_timestamp\"";
        if (plan.Files.Count == 0)
        {
            return "SELECT " + string.Concat(columns.Select(c => "CAST(NULL AS " + TypeName(c.Type) + ") AS " + Q(c.LogicalName) + ", ")) + Trailer + " WHERE false";
        }

        CultureInfo inv = CultureInfo.InvariantCulture;
        List<ScanColumn> partitions = columns.Where(c => c.IsPartition).ToList();
        var sql = new StringBuilder("WITH f(\"__file\", \"__entry\", \"__version\", \"__ts\", \"__type\", \"__selects\"");
        sql.Append(string.Concat(partitions.Select((_, i) => ", \"__p" + i.ToString(inv) + "\""))).Append(") AS (VALUES ");
        sql.AppendJoin(", ", plan.Files.Select((file, entry) =>
            "(" + DuckDbConnection.QuoteLiteral(files.PathOf(file))
            + ", " + entry.ToString(inv)
            + ", CAST(" + file.CommitVersion.ToString(inv) + " AS BIGINT)"
            + ", " + Literal(file.CommitTimestamp, Medallion.Delta.Schema.PrimitiveType.Timestamp)
            + ", CAST(" + (file.ChangeType is null ? "NULL" : DuckDbConnection.QuoteLiteral(file.ChangeType)) + " AS VARCHAR)"
            + ", " + (file.SelectedRowIndexes is null ? "false" : "true")
            + string.Concat(partitions.Select(p => ", " + Literal(file.PartitionValues.GetValueOrDefault(p.LogicalName), p.Type))) + ")"));
        sql.Append(')');
        bool selects = AppendRowList(sql, "sel", plan.Files.Select((f, entry) => (entry, f.SelectedRowIndexes ?? [])));
        bool deletes = AppendRowList(sql, "del", plan.Files.Select((f, entry) => (entry, f.DeletedRowIndexes)));

        sql.Append(" SELECT ");
        int partitionIndex = 0;
        foreach (ScanColumn c in columns)
        {
            sql.Append(c.IsPartition ? "f.\"__p" + partitionIndex++.ToString(inv) + "\"" : DataColumn(c, "d")).Append(" AS ").Append(Q(c.LogicalName)).Append(", ");
        }

        sql.Append(plan.Files.Any(f => f.IsChangeDataFile) ? "COALESCE(f.\"__type\", d.\"_change_type\")" : "f.\"__type\"").Append(" AS \"_change_type\", ");
        sql.Append("f.\"__version\" AS \"_commit_version\", f.\"__ts\" AS \"_commit_timestamp\"");
        sql.Append(" FROM read_parquet([").AppendJoin(", ", plan.Files.Select(f => files.PathOf(f)).Distinct(StringComparer.Ordinal).Select(DuckDbConnection.QuoteLiteral))
            .Append("], union_by_name = true, filename = true, file_row_number = true) d JOIN f ON d.filename = f.\"__file\"");
        var conditions = new List<string>();
        if (selects)
        {
            conditions.Add("(NOT f.\"__selects\" OR EXISTS (SELECT 1 FROM sel WHERE sel.\"__entry\" = f.\"__entry\" AND sel.\"__row\" = d.file_row_number))");
        }

        if (deletes)
        {
            conditions.Add("NOT EXISTS (SELECT 1 FROM del WHERE del.\"__entry\" = f.\"__entry\" AND del.\"__row\" = d.file_row_number)");
        }

        if (conditions.Count > 0)
        {
            sql.Append(" WHERE ").AppendJoin(" AND ", conditions);
        }

        return sql.ToString();
    }

    private static bool AppendRowList(StringBuilder sql, string name, IEnumerable<(int Entry, IReadOnlyList<long> Rows)> entries)
    {
        List<(int Entry, IReadOnlyList<long> Rows)> nonEmpty = entries.Where(e => e.Rows.Count > 0).ToList();
        if (nonEmpty.Count == 0)
        {
            return false;
        }

        sql.Append(", ").Append(name).Append(" AS (");
        sql.AppendJoin(" UNION ALL ", nonEmpty.Select(e =>
            "SELECT " + e.Entry.ToString(CultureInfo.InvariantCulture) + " AS \"__entry\", unnest([" + string.Join(",", e.Rows) + "]::BIGINT[]) AS \"__row\""));
        sql.Append(')');
        return true;
    }
}
