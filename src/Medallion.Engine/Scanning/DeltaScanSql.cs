using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Scans;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;

namespace Medallion.Engine.Scanning;

/// <summary>
/// Turns a <see cref="ScanPlan"/> into one DuckDB query that returns exactly the table's logical rows:
/// <c>read_parquet</c> over the files (by name, so files missing a column give nulls), physical columns
/// renamed and cast to their logical types, partition columns joined in from the log as typed literals,
/// and rows listed in deletion vectors removed by (file name, row number). A table with neither partitions nor
/// deletion vectors is a plain <c>read_parquet</c>.
/// </summary>
public static partial class DeltaScanSql
{
    /// <summary>
    /// Plans a scan of <paramref name="snapshot"/> of <paramref name="table"/> (<see cref="LocalScans.PlanLocalScanAsync"/>:
    /// pruned with <paramref name="filter"/>, its files fetched to the table's <see cref="LocalMirror"/>) and builds its query text.
    /// </summary>
    public static async Task<string> BuildAsync(DeltaTable table, Snapshot snapshot, ScanPredicate? filter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ScanPlan plan = await table.PlanLocalScanAsync(snapshot, filter, cancellationToken).ConfigureAwait(false);
        return Build(plan, LocalMirror.Of(table.Store));
    }

    /// <summary>Builds the query text for <paramref name="plan"/>, whose files DuckDB reads from <paramref name="files"/> (fetched there: <see cref="LocalScans.PlanLocalScanAsync"/>).</summary>
    public static string Build(ScanPlan plan, LocalMirror files)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(files);
        IReadOnlyList<ScanColumn> columns = plan.Columns;
        if (plan.Files.Count == 0)
        {
            return "SELECT " + string.Join(", ", columns.Select(c => "CAST(NULL AS " + TypeName(c.Type) + ") AS " + Q(c.LogicalName))) + " WHERE false";
        }

        var sql = new StringBuilder();
        List<ScanColumn> partitions = columns.Where(c => c.IsPartition).ToList();
        List<ScanFile> withDv = plan.Files.Where(f => f.DeletedRowIndexes.Count > 0).ToList();
        if (partitions.Count == 0 && withDv.Count == 0)
        {
            // Nothing to attach per file: a plain read, which DuckDB streams in parallel without the join's hash table
            // and without materializing file names and row numbers.
            sql.Append("SELECT ").AppendJoin(", ", columns.Select(c => DataColumn(c, "d") + " AS " + Q(c.LogicalName)))
                .Append(" FROM read_parquet([").AppendJoin(", ", plan.Files.Select(f => DuckDbConnection.QuoteLiteral(files.PathOf(f))))
                .Append("], union_by_name = true) d");
            return sql.ToString();
        }

        sql.Append("WITH f(\"__file\"").Append(string.Concat(partitions.Select((_, i) => ", \"__p" + i + "\""))).Append(") AS (VALUES ");
        sql.AppendJoin(", ", plan.Files.Select(file =>
            "(" + DuckDbConnection.QuoteLiteral(files.PathOf(file)) + string.Concat(partitions.Select(p => ", " + Literal(file.PartitionValues.GetValueOrDefault(p.LogicalName), p.Type))) + ")"));
        sql.Append(')');
        if (withDv.Count > 0)
        {
            sql.Append(", dv AS (");
            sql.AppendJoin(" UNION ALL ", withDv.Select(file =>
                "SELECT " + DuckDbConnection.QuoteLiteral(files.PathOf(file)) + " AS \"__file\", unnest([" + string.Join(",", file.DeletedRowIndexes) + "]::BIGINT[]) AS \"__row\""));
            sql.Append(')');
        }

        sql.Append(" SELECT ");
        int partitionIndex = 0;
        sql.AppendJoin(", ", columns.Select(c => c.IsPartition
            ? "f.\"__p" + partitionIndex++ + "\" AS " + Q(c.LogicalName)
            : DataColumn(c, "d") + " AS " + Q(c.LogicalName)));
        sql.Append(" FROM read_parquet([").AppendJoin(", ", plan.Files.Select(f => DuckDbConnection.QuoteLiteral(files.PathOf(f))))
            .Append("], union_by_name = true, filename = true, file_row_number = true) d JOIN f ON d.filename = f.\"__file\"");
        if (withDv.Count > 0)
        {
            sql.Append(" WHERE NOT EXISTS (SELECT 1 FROM dv WHERE dv.\"__file\" = d.filename AND dv.\"__row\" = d.file_row_number)");
        }

        return sql.ToString();
    }

    /// <summary>The logical value of a data file column: renamed nested fields rebuilt, top-level primitives cast to their logical type.</summary>
    internal static string DataColumn(ScanColumn c, string alias)
    {
        string reference = alias + "." + Q(c.PhysicalName);
        // Casting top-level primitives gives the logical type even when older files hold a narrower one (type widening).
        return c.Type is PrimitiveType or DecimalType ? "CAST(" + reference + " AS " + TypeName(c.Type) + ")" : Rename(reference, c.Type, c.PhysicalType, 0);
    }

    /// <summary>
    /// The value of a logical column as data files hold it under column mapping: nested struct fields renamed to their
    /// physical names (the inverse of what <see cref="DataColumn"/> does on reading).
    /// </summary>
    internal static string PhysicalValue(string reference, DeltaType logical, ColumnMappingMode mode) =>
        mode == ColumnMappingMode.None ? reference : Rename(reference, ColumnMapping.ToPhysical(logical, mode), logical, 0);

    /// <summary>
    /// Rebuilds a nested value of type <paramref name="physical"/> with the field names of <paramref name="logical"/>,
    /// field by field in order: structs with <c>struct_pack</c>, lists with <c>list_transform</c>, maps entry by entry.
    /// Parts without renamed fields are passed through as they are. Reading renames physical to logical; writing,
    /// the other way round.
    /// </summary>
    private static string Rename(string reference, DeltaType logical, DeltaType physical, int depth)
    {
        if (!HasRenames(logical, physical))
        {
            return reference;
        }

        string element = "e" + depth.ToString(CultureInfo.InvariantCulture);
        switch (logical, physical)
        {
            case (StructType l, StructType p):
                var fields = new StringBuilder();
                for (int i = 0; i < l.Fields.Count; i++)
                {
                    fields.Append(i == 0 ? string.Empty : ", ").Append(Q(l.Fields[i].Name)).Append(" := ")
                        .Append(Rename("struct_extract(" + reference + ", " + DuckDbConnection.QuoteLiteral(p.Fields[i].Name) + ")", l.Fields[i].Type, p.Fields[i].Type, depth + 1));
                }

                // struct_pack of a NULL struct's fields would give a struct of NULLs, not NULL.
                return "CASE WHEN " + reference + " IS NULL THEN NULL ELSE struct_pack(" + fields + ") END";
            case (ArrayType l, ArrayType p):
                return "list_transform(" + reference + ", lambda " + element + ": " + Rename(element, l.ElementType, p.ElementType, depth + 1) + ")";
            case (MapType l, MapType p):
                return "map_from_entries(list_transform(map_entries(" + reference + "), lambda " + element + ": struct_pack(key := "
                    + Rename(element + ".key", l.KeyType, p.KeyType, depth + 1) + ", value := " + Rename(element + ".value", l.ValueType, p.ValueType, depth + 1) + ")))";
            default:
                return reference;
        }
    }

    private static bool HasRenames(DeltaType logical, DeltaType physical) => (logical, physical) switch
    {
        (StructType l, StructType p) => l.Fields.Select((f, i) => !string.Equals(f.Name, p.Fields[i].Name, StringComparison.Ordinal) || HasRenames(f.Type, p.Fields[i].Type)).Any(b => b),
        (ArrayType l, ArrayType p) => HasRenames(l.ElementType, p.ElementType),
        (MapType l, MapType p) => HasRenames(l.KeyType, p.KeyType) || HasRenames(l.ValueType, p.ValueType),
        _ => false,
    };

    private static string Q(string identifier) => DuckDbConnection.QuoteIdentifier(identifier);

    /// <summary>The DuckDB type of a Delta type.</summary>
    public static string TypeName(DeltaType type) => DuckDbTypes.ToDuckDb(type);

    private static string Literal(object? value, DeltaType type)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        string text = value switch
        {
            null => "NULL",
            string s => DuckDbConnection.QuoteLiteral(s),
            bool b => b ? "true" : "false",
            DateOnly d => DuckDbConnection.QuoteLiteral(d.ToString("yyyy-MM-dd", inv)),
            DateTimeOffset o => DuckDbConnection.QuoteLiteral(o.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", inv) + "+00"),
            DateTime t => DuckDbConnection.QuoteLiteral(t.ToString("yyyy-MM-dd HH:mm:ss.ffffff", inv)),
            byte[] bytes => "from_hex(" + DuckDbConnection.QuoteLiteral(Convert.ToHexString(bytes)) + ")",
            IFormattable f => DuckDbConnection.QuoteLiteral(f.ToString(null, inv)),
            _ => DuckDbConnection.QuoteLiteral(value.ToString() ?? string.Empty),
        };
        return "CAST(" + text + " AS " + TypeName(type) + ")";
    }
}
