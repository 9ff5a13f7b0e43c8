using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Actions;
using Medallion.Delta.Scans;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;
using Medallion.DuckDb;
using Medallion.Engine.Writing;

namespace Medallion.Engine;

public sealed partial class DeltaWriter
{
    /// <summary>
    /// Writes the rows of <paramref name="sourceSql"/> (any DuckDB query; see <see cref="SourceQuery"/> for files) to the
    /// table at <paramref name="path"/>, creating the table (schema from the query) when there is none.
    /// </summary>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.DeltaSchemaMismatch"/> when the data does not fit the schema; <see cref="ErrorCode.DeltaConstraintViolation"/>
    /// when a row breaks a NOT NULL or CHECK constraint; <see cref="ErrorCode.DeltaValueOutOfRange"/> when a value does not fit its
    /// column's type; <see cref="ErrorCode.DeltaConcurrentModification"/> when an overwrite
    /// lost a race to a conflicting commit; <see cref="ErrorCode.DeltaUnsupportedWriterFeature"/> for tables this writer cannot write.
    /// </exception>
    public Task<DeltaOperationResult> WriteAsync(string path, string sourceSql, DeltaWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(sourceSql);
        options ??= new DeltaWriteOptions();
        ValidateWriteOptions(options);
        return WithConflictRetriesAsync("WRITE", path, () => WriteOnceAsync(path, sourceSql, options, cancellationToken));
    }

    private static void ValidateWriteOptions(DeltaWriteOptions options)
    {
        if (options.ReplaceWhere is not null && options.Mode != DeltaWriteMode.Overwrite)
        {
            throw new ArgumentException("ReplaceWhere needs Mode = Overwrite.", nameof(options));
        }

        if ((options.ApplicationId is null) != (options.ApplicationVersion is null))
        {
            throw new ArgumentException("ApplicationId and ApplicationVersion go together.", nameof(options));
        }

        foreach (string domain in options.DomainMetadata.Keys)
        {
            EnsureUserDomain(domain, nameof(options));
        }

        foreach (string metric in options.Metrics.Keys)
        {
            EnsureUserMetric(metric, nameof(options));
        }
    }

    /// <summary>The <c>operationMetrics</c> a write's commit sets itself (see <see cref="DeltaStagedWrite.CommitAsync"/>).</summary>
    private static readonly HashSet<string> s_writeMetrics = new(StringComparer.Ordinal)
    {
        "numFiles", "numOutputRows", "numOutputBytes", "numRemovedFiles", "numCopiedRows", "numDeletedRows",
    };

    /// <summary>Refuses a metric a caller may not add to a write's commit: empty, or one the write sets itself.</summary>
    internal static void EnsureUserMetric(string metric, string parameterName)
    {
        if (string.IsNullOrEmpty(metric) || s_writeMetrics.Contains(metric))
        {
            throw new ArgumentException($"The metric '{metric}' cannot be added to a write's commit: names must be non-empty and not one the write sets itself ({string.Join(", ", s_writeMetrics)}).", parameterName);
        }
    }

    /// <summary>Refuses a metadata domain a write may not set: empty, or reserved for the protocol (<c>delta.</c>).</summary>
    internal static void EnsureUserDomain(string domain, string parameterName)
    {
        if (string.IsNullOrEmpty(domain) || domain.StartsWith("delta.", StringComparison.Ordinal))
        {
            throw new ArgumentException($"The metadata domain '{domain}' cannot be set by a write: names must be non-empty and not start with 'delta.' (reserved for the protocol).", parameterName);
        }
    }

    /// <summary>
    /// A query reading <paramref name="from"/>: a <c>.parquet</c>, <c>.csv</c>, <c>.tsv</c>, <c>.json</c> or <c>.ndjson</c>
    /// file (or glob) becomes the matching DuckDB reader; anything else is taken as SQL.
    /// </summary>
    public static string SourceQuery(string from)
    {
        ArgumentException.ThrowIfNullOrEmpty(from);
        string trimmed = from.Trim();
        string lower = trimmed.ToLowerInvariant();
        string literal = DuckDbConnection.QuoteLiteral(trimmed);
        if (!trimmed.Contains(' ', StringComparison.Ordinal) || File.Exists(trimmed))
        {
            if (lower.EndsWith(".parquet", StringComparison.Ordinal))
            {
                return $"SELECT * FROM read_parquet({literal})";
            }

            if (lower.EndsWith(".csv", StringComparison.Ordinal) || lower.EndsWith(".tsv", StringComparison.Ordinal) || lower.EndsWith(".csv.gz", StringComparison.Ordinal))
            {
                return $"SELECT * FROM read_csv({literal})";
            }

            if (lower.EndsWith(".json", StringComparison.Ordinal) || lower.EndsWith(".ndjson", StringComparison.Ordinal) || lower.EndsWith(".jsonl", StringComparison.Ordinal))
            {
                return $"SELECT * FROM read_json({literal})";
            }
        }

        return trimmed;
    }

    private async Task<DeltaOperationResult> WriteOnceAsync(string path, string sourceSql, DeltaWriteOptions options, CancellationToken cancellationToken)
    {
        DeltaStagedWrite write = await StartWriteAsync(path, options, cancellationToken).ConfigureAwait(false);
        if (write.IsAlreadyCommitted)
        {
            return await write.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        await write.AddAsync(sourceSql, cancellationToken).ConfigureAwait(false);
        return await write.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The metadata and schema that rows described by <paramref name="source"/> are written under: a new table's
    /// (inferred from the rows) when <paramref name="current"/> is null, else the current ones, widened when
    /// <see cref="DeltaWriteOptions.MergeSchema"/> allows new columns. A change is recorded in <paramref name="tx"/>.
    /// </summary>
    internal async Task<(Metadata Metadata, StructType Schema)> ResolveSchemaAsync(
        DeltaTable table, Metadata? current, StructType? currentSchema, Transaction tx, List<SourceColumn> source, DeltaWriteOptions options, CancellationToken cancellationToken)
    {
        if (current is null || currentSchema is null)
        {
            StructType inferred = SchemaAlignment.InferSchema(source, table.Location);
            Metadata created = await NewMetadataAsync(table, inferred, options.PartitionBy, options.Properties, null, null, cancellationToken).ConfigureAwait(false);
            tx.UpdateMetadata(created);
            return (created, SchemaParser.Parse(created.SchemaString, table.Location));
        }

        if (ReplacedSchema(current, currentSchema, source, options, table.Location) is { } replaced)
        {
            List<string> partitions = options.PartitionBy.Count > 0 ? [.. options.PartitionBy] : [.. current.PartitionColumns];
            Metadata overwritten = current with
            {
                SchemaString = SchemaSerializer.Serialize(replaced),
                PartitionColumns = partitions.TrueForAll(p => replaced.Find(p) is not null) ? partitions : [],
            };
            tx.UpdateMetadata(overwritten);
            return (overwritten, SchemaParser.Parse(overwritten.SchemaString, table.Location));
        }

        StructType aligned = SchemaAlignment.Align(currentSchema, source, options.MergeSchema, table.Location);
        if (ReferenceEquals(aligned, currentSchema))
        {
            return (current, currentSchema);
        }

        Metadata evolved = Evolve(current, aligned);
        tx.UpdateMetadata(evolved);
        return (evolved, SchemaParser.Parse(evolved.SchemaString, table.Location));
    }

    /// <summary>
    /// With <see cref="DeltaWriteOptions.OverwriteSchema"/> on a full overwrite of a table without column mapping: the
    /// schema of the data when it differs from the table's, else null (the usual alignment applies).
    /// </summary>
    private static StructType? ReplacedSchema(Metadata current, StructType currentSchema, List<SourceColumn> source, DeltaWriteOptions options, string location)
    {
        if (!options.OverwriteSchema || options.Mode != DeltaWriteMode.Overwrite || options.ReplaceWhere is not null || ModeOf(current) != ColumnMappingMode.None)
        {
            return null;
        }

        StructType inferred = SchemaAlignment.InferSchema(source, location);
        return inferred.Equals(currentSchema) ? null : inferred;
    }

    /// <summary>Wraps rows so that a row not matching <paramref name="predicate"/> aborts the write (replaceWhere's guarantee).</summary>
    internal static string RequireAll(string sourceSql, string predicate, string table)
    {
        string message = SchemaAlignment.ConstraintMarker + $"a written row does not match replaceWhere ({predicate}) for the Delta table at '{table}'.";
        return $"SELECT * FROM ({sourceSql}) AS target WHERE CASE WHEN ({predicate}) IS NOT TRUE THEN error({DuckDbConnection.QuoteLiteral(message)}) ELSE true END";
    }

    internal static ColumnMappingMode ModeOf(Metadata metadata) =>
        !metadata.Configuration.TryGetValue("delta.columnMapping.mode", out string? m) ? ColumnMappingMode.None
        : string.Equals(m, "name", StringComparison.OrdinalIgnoreCase) ? ColumnMappingMode.Name
        : string.Equals(m, "id", StringComparison.OrdinalIgnoreCase) ? ColumnMappingMode.Id
        : ColumnMappingMode.None;

    /// <summary>The metadata after schema evolution: new columns, with column-mapping ids and names when mapping is on.</summary>
    private static Metadata Evolve(Metadata current, StructType evolved)
    {
        var configuration = new Dictionary<string, string?>(current.Configuration, StringComparer.Ordinal);
        if (ModeOf(current) is ColumnMappingMode.Name or ColumnMappingMode.Id)
        {
            int maxId = WriterFeatures.IntProperty(current.Configuration, "delta.columnMapping.maxColumnId", 0);
            (evolved, maxId) = AssignColumnMapping(evolved, maxId);
            configuration["delta.columnMapping.maxColumnId"] = maxId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return current with { SchemaString = SchemaSerializer.Serialize(evolved), Configuration = configuration };
    }

    /// <summary>Writes already projected (physical) rows as data files of the table.</summary>
    internal async Task<List<AddFile>> WriteFilesAsync(DeltaTable table, string projectedSql, StructType schema, Metadata metadata, ColumnMappingMode mode, CancellationToken cancellationToken)
    {
        var partitionColumns = new List<string>();
        foreach (string p in metadata.PartitionColumns)
        {
            partitionColumns.Add(schema.Find(p)!.GetPhysicalName(mode));
        }

        var physicalTop = new List<StructField>();
        foreach (StructField f in schema.Fields)
        {
            physicalTop.Add(ColumnMapping.ToPhysical(f, mode));
        }

        try
        {
            return await DataFileWriter.WriteAsync(Connection, table.Store, projectedSql, new StructType(physicalTop), partitionColumns, string.Empty, cancellationToken, withFieldIds: mode == ColumnMappingMode.Id || WriterFeatures.IsTrue(metadata.Configuration, Delta.Iceberg.UniForm.IcebergCompatV2Property)).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code != ErrorCode.DeltaConstraintViolation)
        {
            throw TranslateWriteError(e, table.Location);
        }
    }
}
