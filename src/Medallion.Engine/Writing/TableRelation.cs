using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;

namespace Medallion.Engine.Writing;

/// <summary>
/// The logical rows of some live files of a snapshot as a DuckDB query: <c>read_parquet</c> over the files, physical
/// columns renamed to logical ones, partition columns filled from the log, deletion-vector rows removed. With
/// <c>withRowIds</c> it also yields <c>__file</c> (the file DuckDB read, <see cref="LocalMirror.PathOf(ScanFile)"/>) and <c>__row</c> (the row's index in it),
/// which DML uses to know which files hold affected rows.
/// </summary>
internal static class TableRelation
{
    public const string FileColumn = "__file";
    public const string RowColumn = "__row";

    public static async Task<string> BuildAsync(DuckDbConnection connection, Snapshot snapshot, LocalMirror mirror, IReadOnlyList<ScanFile> files, bool withRowIds, CancellationToken cancellationToken)
    {
        List<ScanColumn> columns = global::Medallion.Delta.DeltaTable.DescribeColumns(snapshot);
        var sb = new StringBuilder("SELECT ");
        if (files.Count == 0)
        {
            for (int i = 0; i < columns.Count; i++)
            {
                sb.Append(i == 0 ? string.Empty : ", ").Append("CAST(NULL AS ").Append(DuckDbTypes.ToDuckDb(columns[i].Type)).Append(") AS ").Append(DuckDbConnection.QuoteIdentifier(columns[i].LogicalName));
            }

            if (withRowIds)
            {
                sb.Append(", CAST(NULL AS VARCHAR) AS ").Append(FileColumn).Append(", CAST(NULL AS BIGINT) AS ").Append(RowColumn);
            }

            return sb.Append(" WHERE false").ToString();
        }

        var pathList = new StringBuilder("[");
        for (int i = 0; i < files.Count; i++)
        {
            pathList.Append(i == 0 ? string.Empty : ", ").Append(DuckDbConnection.QuoteLiteral(mirror.PathOf(files[i])));
        }

        pathList.Append(']');
        string read = $"read_parquet({pathList}, union_by_name = true, filename = true, file_row_number = true)";
        HashSet<string> present = await PresentColumnsAsync(connection, pathList.ToString(), cancellationToken).ConfigureAwait(false);

        var partitions = new List<ScanColumn>();
        for (int i = 0; i < columns.Count; i++)
        {
            ScanColumn c = columns[i];
            sb.Append(i == 0 ? string.Empty : ", ");
            string type = DuckDbTypes.ToDuckDb(c.Type);
            if (c.IsPartition)
            {
                sb.Append("CAST(NULLIF(pv.p").Append(partitions.Count.ToString(CultureInfo.InvariantCulture)).Append(", '') AS ").Append(type).Append(')');
                partitions.Add(c);
            }
            else if (present.Contains(c.PhysicalName))
            {
                sb.Append(Scanning.DeltaScanSql.DataColumn(c, "d"));
            }
            else
            {
                // A column added by schema evolution after these files were written.
                sb.Append("CAST(NULL AS ").Append(type).Append(')');
            }

            sb.Append(" AS ").Append(DuckDbConnection.QuoteIdentifier(c.LogicalName));
        }

        if (withRowIds)
        {
            sb.Append(", d.filename AS ").Append(FileColumn).Append(", d.file_row_number AS ").Append(RowColumn);
        }

        sb.Append(" FROM ").Append(read).Append(" d");
        if (partitions.Count > 0)
        {
            sb.Append(" JOIN (VALUES ");
            for (int f = 0; f < files.Count; f++)
            {
                sb.Append(f == 0 ? "(" : ", (").Append(DuckDbConnection.QuoteLiteral(mirror.PathOf(files[f])));
                foreach (ScanColumn p in partitions)
                {
                    string? raw = RawPartitionValue(files[f], p);
                    sb.Append(", ").Append(raw is null ? "CAST(NULL AS VARCHAR)" : DuckDbConnection.QuoteLiteral(raw));
                }

                sb.Append(')');
            }

            sb.Append(") pv(f");
            for (int p = 0; p < partitions.Count; p++)
            {
                sb.Append(", p").Append(p.ToString(CultureInfo.InvariantCulture));
            }

            sb.Append(") ON d.filename = pv.f");
        }

        AppendDeletionVectorFilter(sb, mirror, files);
        return sb.ToString();
    }

    private static void AppendDeletionVectorFilter(StringBuilder sb, LocalMirror mirror, IReadOnlyList<ScanFile> files)
    {
        // One list literal per file, unnested: large deletion vectors stay a compact SQL text and a hash join.
        bool any = false;
        foreach (ScanFile f in files)
        {
            if (f.DeletedRowIndexes.Count == 0)
            {
                continue;
            }

            sb.Append(any ? " UNION ALL " : " ANTI JOIN (").Append("SELECT ").Append(DuckDbConnection.QuoteLiteral(mirror.PathOf(f))).Append(" AS f, unnest([")
                .AppendJoin(',', f.DeletedRowIndexes).Append("]::BIGINT[]) AS r");
            any = true;
        }

        if (any)
        {
            sb.Append(") dv ON d.filename = dv.f AND d.file_row_number = dv.r");
        }
    }

    private static string? RawPartitionValue(ScanFile file, ScanColumn column) =>
        file.Add.PartitionValues.TryGetValue(column.PhysicalName, out string? v) || file.Add.PartitionValues.TryGetValue(column.LogicalName, out v) ? v : null;

    private static async Task<HashSet<string>> PresentColumnsAsync(DuckDbConnection connection, string pathList, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet({pathList}, union_by_name = true))";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                names.Add(reader.GetString(0));
            }
        }

        return names;
    }
}
