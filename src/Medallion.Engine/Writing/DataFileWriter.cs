using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Delta.Schema;
using Medallion.Delta.Transactions;
using Medallion.DuckDb;
using Medallion.Storage;

namespace Medallion.Engine.Writing;

/// <summary>
/// Writes the rows of a query as Parquet data files of a table with DuckDB's
/// <c>COPY (query) TO ... (FORMAT parquet, PARTITION_BY (...), RETURN_STATS)</c> and describes each file as an
/// <c>add</c> action: path relative to the table root (percent-encoded), partition values serialized per the
/// protocol, size and statistics from <c>RETURN_STATS</c>. Files with no rows are deleted, not added.
/// DuckDB writes local files: the files go to the store's <see cref="LocalMirror"/> (a local store's own directory, a
/// remote store's folder in the object cache) and are published (uploaded, in parallel) before this returns, so before any commit
/// can name them.
/// </summary>
internal static class DataFileWriter
{
    /// <param name="connection">An open connection whose session time zone is UTC.</param>
    /// <param name="store">The table's store.</param>
    /// <param name="selectSql">A query whose columns are the physical data and partition columns, already cast to the table's types.</param>
    /// <param name="physicalSchema">The table schema with physical names (partition columns included).</param>
    /// <param name="partitionColumns">Physical names of the partition columns, in order.</param>
    /// <param name="subdirectory">A folder under the root for unpartitioned files (e.g. <c>_change_data</c>), or empty.</param>
    /// <param name="cancellationToken">Cancels the write; files already written stay as orphans that VACUUM removes.</param>
    /// <param name="withFieldIds">Write each column's and struct field's <c>delta.columnMapping.id</c> as its Parquet field id (column mapping mode id).</param>
    public static async Task<List<AddFile>> WriteAsync(
        DuckDbConnection connection,
        IObjectStore store,
        string selectSql,
        StructType physicalSchema,
        IReadOnlyList<string> partitionColumns,
        string subdirectory,
        CancellationToken cancellationToken,
        bool withFieldIds = false)
    {
        LocalMirror mirror = LocalMirror.Of(store);
        string tableRoot = mirror.Root;
        string target;
        string options;
        if (partitionColumns.Count > 0)
        {
            target = subdirectory.Length == 0 ? tableRoot : Path.Combine(tableRoot, subdirectory);
            // DuckDB creates the partition folders but not missing parents of the table root (a new table in a new namespace).
            LakeFileAccess.CreateDirectory(target);
            var quoted = new List<string>(partitionColumns.Count);
            foreach (string c in partitionColumns)
            {
                quoted.Add(DuckDbConnection.QuoteIdentifier(c));
            }

            // APPEND: the table directory already holds files and _delta_log; uuid names never collide.
            options = $"FORMAT parquet, PARTITION_BY ({string.Join(", ", quoted)}), FILENAME_PATTERN 'part-{{uuid}}', APPEND, RETURN_STATS";
        }
        else
        {
            string folder = subdirectory.Length == 0 ? tableRoot : Path.Combine(tableRoot, subdirectory);
            LakeFileAccess.CreateDirectory(folder);
            target = Path.Combine(folder, "part-00000-" + Guid.NewGuid().ToString() + "-c000.snappy.parquet");
            options = "FORMAT parquet, RETURN_STATS";
        }

        var dataSchema = DataColumns(physicalSchema, partitionColumns);
        if (withFieldIds)
        {
            options += ", FIELD_IDS {" + FieldEntries(dataSchema.Fields) + "}";
        }

        string sql = $"COPY ({selectSql}) TO {DuckDbConnection.QuoteLiteral(target)} ({options})";
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var adds = new List<AddFile>();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        DuckDbDataReader reader;
        try
        {
            reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDbException e) when (DiskFull.Caused(e))
        {
            // The partial file takes space the disk lacks and would only wait for VACUUM; a partitioned write's files
            // have names DuckDB chose, and are left to VACUUM.
            if (partitionColumns.Count == 0)
            {
                File.Delete(target);
            }

            throw new MedallionException(ErrorCode.StorageFull,
                $"Could not write the data files of the Delta table at '{store.Location}': {DiskFull.Text} (DuckDB: {e.Message}).\nHelp: free space on that disk (or grow it) and run again; nothing was committed.", e);
        }

        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                string file = reader.GetString(reader.GetOrdinal("filename"));
                long count = reader.GetInt64(reader.GetOrdinal("count"));
                if (count == 0)
                {
                    File.Delete(file);
                    continue;
                }

                // DuckDB creates files (and partition folders) with the process's umask; the lake's are the owner's only.
                LakeFileAccess.Restrict(file, tableRoot);
                long size = reader.GetInt64(reader.GetOrdinal("file_size_bytes"));
                int statsOrdinal = reader.GetOrdinal("column_statistics");
                var stats = reader.IsDBNull(statsOrdinal) ? null : reader.GetValue(statsOrdinal) as IReadOnlyDictionary<object, object?>;
                int keysOrdinal = reader.GetOrdinal("partition_keys");
                var keys = reader.IsDBNull(keysOrdinal) ? null : reader.GetValue(keysOrdinal) as IReadOnlyDictionary<object, object?>;
                string relative = Path.GetRelativePath(tableRoot, file).Replace(Path.DirectorySeparatorChar, '/');
                adds.Add(new AddFile(
                    ActionSerializer.EncodePath(relative),
                    PartitionValues(keys, physicalSchema, partitionColumns),
                    size,
                    now,
                    true,
                    StatsBuilder.Build(count, stats, dataSchema),
                    new Dictionary<string, string?>(),
                    null,
                    null,
                    null));
            }
        }

        await mirror.PublishAsync(adds.ConvertAll(a => Uri.UnescapeDataString(a.Path)), cancellationToken).ConfigureAwait(false);
        return adds;
    }

    /// <summary>
    /// The entries of DuckDB's <c>FIELD_IDS</c> struct (without its braces; empty when no field has an id): <c>'physical name': id, 'struct column': {'__duckdb_field_id': id, 'child': id},
    /// 'list column': {'__duckdb_field_id': id, 'element': {'child': id}}, 'map column': {..., 'key': {...}, 'value': {...}}}</c>.
    /// The schema carries physical names at every level; lists' elements and maps' keys and values have no id of their
    /// own (Delta gives ids to struct fields only), but the struct fields inside them do.
    /// </summary>
    private static string FieldEntries(IReadOnlyList<StructField> fields)
    {
        var parts = new List<string>();
        foreach (StructField f in fields)
        {
            if (f.ColumnId is not int id)
            {
                continue;
            }

            string value = id.ToString(CultureInfo.InvariantCulture);
            if (NestedEntries(f.Type) is { Length: > 0 } children)
            {
                value = $"{{'__duckdb_field_id': {value}, {children}}}";
            }

            parts.Add(DuckDbConnection.QuoteLiteral(f.Name) + ": " + value);
        }

        return string.Join(", ", parts);
    }

    /// <summary>The <c>FIELD_IDS</c> entries inside a value of <paramref name="type"/>: its struct fields, or its list element's or map key's and value's.</summary>
    private static string NestedEntries(DeltaType type)
    {
        var parts = new List<string>();
        void Child(string name, DeltaType child)
        {
            if (NestedEntries(child) is { Length: > 0 } entries)
            {
                parts.Add($"'{name}': {{{entries}}}");
            }
        }

        switch (type)
        {
            case StructType s:
                return FieldEntries(s.Fields);
            case ArrayType a:
                Child("element", a.ElementType);
                break;
            case MapType m:
                Child("key", m.KeyType);
                Child("value", m.ValueType);
                break;
        }

        return string.Join(", ", parts);
    }

    private static StructType DataColumns(StructType physicalSchema, IReadOnlyList<string> partitionColumns)
    {
        var partitions = new HashSet<string>(partitionColumns, StringComparer.Ordinal);
        var fields = new List<StructField>();
        foreach (StructField f in physicalSchema.Fields)
        {
            if (!partitions.Contains(f.Name))
            {
                fields.Add(f);
            }
        }

        return new StructType(fields);
    }

    private static Dictionary<string, string?> PartitionValues(IReadOnlyDictionary<object, object?>? keys, StructType physicalSchema, IReadOnlyList<string> partitionColumns)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (string column in partitionColumns)
        {
            object? raw = null;
            keys?.TryGetValue(column, out raw);
            DeltaType type = physicalSchema.Find(column)?.Type ?? PrimitiveType.String;
            values[column] = raw is string text ? SerializePartitionValue(text, type) : null;
        }

        return values;
    }

    /// <summary>DuckDB's text of a partition value in the protocol's serialization (PROTOCOL.md "Partition Value Serialization").</summary>
    internal static string? SerializePartitionValue(string text, DeltaType type)
    {
        if (type is PrimitiveType { Name: "timestamp" } && StatsBuilder.TryTimestamp(text, out DateTime utc))
        {
            // The recommended form: adjusted to UTC, ISO 8601.
            return utc.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        }

        if (type is PrimitiveType { Name: "timestamp_ntz" } && StatsBuilder.TryTimestamp(text, out DateTime local))
        {
            return local.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        }

        // An empty string is a null partition for every type (which is also what Delta makes of an empty string value).
        return text.Length == 0 ? null : text;
    }
}
