using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Schema;
using Medallion.DuckDb;

namespace Medallion.Engine.Writing;

/// <summary>
/// Schema enforcement and evolution for writes: matches a source query's columns to the table's by name (ignoring
/// case), refuses types the table's do not take (<see cref="StoreAssignment"/>) and unknown columns (naming them), or with mergeSchema adds new columns; then
/// builds the projection that casts to the table's types, checks NOT NULL columns and CHECK constraints row by row
/// (DuckDB's <c>error()</c> aborts the COPY), and renames to physical names.
/// </summary>
internal static class SchemaAlignment
{
    /// <summary>The marker in the messages of constraint errors raised inside DuckDB.</summary>
    public const string ConstraintMarker = "Delta constraint violated: ";

    private static readonly IReadOnlyDictionary<string, JsonElement> s_noMetadata = new Dictionary<string, JsonElement>();

    public static async Task<List<SourceColumn>> DescribeAsync(DuckDbConnection connection, string sourceSql, CancellationToken cancellationToken)
    {
        var columns = new List<SourceColumn>();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ({sourceSql}) AS __source)";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                string name = reader.GetString(0), type = reader.GetString(1);
                DeltaType? delta = DuckDbTypes.FromDuckDb(type, out string? reason);
                columns.Add(new SourceColumn(name, type, delta, reason));
            }
        }

        return columns;
    }

    /// <summary>A schema for a new table from a source's columns (all nullable).</summary>
    public static StructType InferSchema(IReadOnlyList<SourceColumn> source, string table)
    {
        var fields = new List<StructField>(source.Count);
        var problems = new List<string>();
        foreach (SourceColumn c in source)
        {
            if (c.Type is null)
            {
                problems.Add($"'{c.Name}' ({c.Unsupported})");
                continue;
            }

            fields.Add(new StructField(c.Name, c.Type, true, s_noMetadata));
        }

        if (problems.Count > 0)
        {
            throw new MedallionException(ErrorCode.DeltaSchemaMismatch,
                $"Cannot write to the Delta table at '{table}': columns {string.Join(", ", problems)} cannot be stored in Delta.\nHelp: cast them in the query.");
        }

        return new StructType(fields);
    }

    /// <summary>
    /// Checks <paramref name="source"/> against <paramref name="schema"/>; with <paramref name="mergeSchema"/> returns
    /// the evolved schema (new nullable columns at the end), else the same schema.
    /// </summary>
    public static StructType Align(StructType schema, IReadOnlyList<SourceColumn> source, bool mergeSchema, string table)
    {
        var mismatches = new List<string>();
        var extra = new List<SourceColumn>();
        foreach (SourceColumn c in source)
        {
            StructField? f = schema.Find(c.Name);
            if (f is null)
            {
                extra.Add(c);
                continue;
            }

            if (c.Type is null)
            {
                mismatches.Add($"'{c.Name}': {c.Unsupported}");
            }
            else if (!StoreAssignment.Allows(c.Type, f.Type, c.DuckDbType))
            {
                mismatches.Add($"'{c.Name}': the table has {f.Type}, the data has {c.Type} ({c.DuckDbType})");
            }
        }

        foreach (StructField f in schema.Fields)
        {
            if (!f.Nullable && FindSource(source, f.Name) is null && GenerationExpression(f) is null)
            {
                mismatches.Add($"'{f.Name}': the column is NOT NULL but the data does not have it");
            }
        }

        if (extra.Count > 0 && !mergeSchema)
        {
            var names = new List<string>();
            foreach (SourceColumn c in extra)
            {
                names.Add($"'{c.Name}' ({c.Type?.ToString() ?? c.DuckDbType})");
            }

            mismatches.Add($"the data has columns the table does not: {string.Join(", ", names)}");
        }

        if (mismatches.Count > 0)
        {
            throw new MedallionException(ErrorCode.DeltaSchemaMismatch,
                $"The data does not match the schema of the Delta table at '{table}': {string.Join("; ", mismatches)}.\nHelp: cast or rename the columns in the query{(extra.Count > 0 ? ", or write with mergeSchema to add the new columns" : string.Empty)}.");
        }

        if (extra.Count == 0)
        {
            return schema;
        }

        var fields = new List<StructField>(schema.Fields);
        foreach (SourceColumn c in extra)
        {
            if (c.Type is null)
            {
                throw new MedallionException(ErrorCode.DeltaSchemaMismatch,
                    $"Cannot add column '{c.Name}' to the Delta table at '{table}': {c.Unsupported}.\nHelp: cast it in the query.");
            }

            fields.Add(new StructField(c.Name, c.Type, true, s_noMetadata));
        }

        return new StructType(fields);
    }

    private static string SourceValue(SourceColumn column) => "__source." + DuckDbConnection.QuoteIdentifier(column.Name);

    private static SourceColumn? FindSource(IReadOnlyList<SourceColumn> source, string name)
    {
        foreach (SourceColumn c in source)
        {
            if (string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return c;
            }
        }

        return null;
    }

    /// <summary>The <c>delta.generationExpression</c> of a generated column, else null.</summary>
    public static string? GenerationExpression(StructField field) =>
        field.Metadata.TryGetValue("delta.generationExpression", out JsonElement e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    /// <summary>
    /// A generated column's value: the expression over the row's other columns; a value the source provides must equal
    /// it (null-safe, as Delta's check), else the write stops naming the column and both values.
    /// </summary>
    private static string GeneratedValue(StructField f, string expression, bool provided, string column, string table)
    {
        string computed = $"CAST(({expression}) AS {DuckDbTypes.ToDuckDb(f.Type)})";
        if (!provided)
        {
            return computed;
        }

        string message = ConstraintMarker + $"generated column '{f.Name}' of the Delta table at '{table}' (GENERATED ALWAYS AS ({expression})) received ";
        string text = $"{DuckDbConnection.QuoteLiteral(message)} || coalesce(CAST({column} AS VARCHAR), 'NULL') || ' for a row where the expression gives ' || coalesce(CAST({computed} AS VARCHAR), 'NULL') || '. Help: leave the column out of the written rows (it is computed) or write the value the expression gives.'";
        return $"CASE WHEN {column} IS NOT DISTINCT FROM {computed} THEN {column} ELSE error({text}) END";
    }

    /// <summary>
    /// The query that turns source rows into the table's physical rows: every table column cast to its type (absent
    /// ones null), NOT NULL and CHECK constraints enforced, generated columns computed when absent and checked when given
    /// (or, with <c>recomputeGenerated</c> for DML rewriting rows whose other columns changed, always computed afresh),
    /// columns renamed to physical names.
    /// </summary>
    public static string Project(string sourceSql, IReadOnlyList<SourceColumn> source, StructType schema, ColumnMappingMode mode, Delta.Actions.Metadata metadata, string table, bool recomputeGenerated = false)
    {
        IReadOnlyDictionary<string, string?> configuration = metadata.Configuration;
        var inner = new StringBuilder("SELECT ");
        for (int i = 0; i < schema.Fields.Count; i++)
        {
            StructField f = schema.Fields[i];
            SourceColumn? c = FindSource(source, f.Name);
            inner.Append(i == 0 ? string.Empty : ", ")
                .Append(c is null ? $"CAST(NULL AS {DuckDbTypes.ToDuckDb(f.Type)})" : StoreAssignment.Convert(SourceValue(c), c.Type, f.Type, new StoreTarget(table, f.Name,
                    StoreAssignment.RowKey(schema, metadata.PartitionColumns, f.Name, k => FindSource(source, k.Name) is { } key ? SourceValue(key) : null))))
                .Append(" AS ").Append(DuckDbConnection.QuoteIdentifier(f.Name));
        }

        inner.Append(" FROM (").Append(sourceSql).Append(") AS __source");

        var outer = new StringBuilder("SELECT ");
        for (int i = 0; i < schema.Fields.Count; i++)
        {
            StructField f = schema.Fields[i];
            string column = "__row." + DuckDbConnection.QuoteIdentifier(f.Name);
            if (GenerationExpression(f) is { } expression)
            {
                column = GeneratedValue(f, expression, provided: !recomputeGenerated && FindSource(source, f.Name) is not null, column, table);
            }

            if (!f.Nullable)
            {
                string message = ConstraintMarker + $"NOT NULL column '{f.Name}' of the Delta table at '{table}' received a null value.";
                column = $"CASE WHEN {column} IS NULL THEN error({DuckDbConnection.QuoteLiteral(message)}) ELSE {column} END";
            }

            outer.Append(i == 0 ? string.Empty : ", ")
                .Append(Scanning.DeltaScanSql.PhysicalValue(column, f.Type, mode)).Append(" AS ").Append(DuckDbConnection.QuoteIdentifier(f.GetPhysicalName(mode)));
        }

        outer.Append(" FROM (").Append(inner).Append(") AS __row");
        bool first = true;
        foreach ((string key, string? expression) in configuration)
        {
            if (!key.StartsWith("delta.constraints.", StringComparison.Ordinal) || string.IsNullOrWhiteSpace(expression))
            {
                continue;
            }

            string name = key["delta.constraints.".Length..];
            string message = ConstraintMarker + $"CHECK constraint '{name}' ({expression}) of the Delta table at '{table}' is not true for a written row.";
            outer.Append(first ? " WHERE " : " AND ")
                .Append("CASE WHEN (").Append(expression).Append(") IS NOT TRUE THEN error(").Append(DuckDbConnection.QuoteLiteral(message)).Append(") ELSE true END");
            first = false;
        }

        return outer.ToString();
    }
}
