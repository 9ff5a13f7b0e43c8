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
    /// when a row breaks a NOT NULL or CHECK constraint; <see cref="ErrorCode.DeltaConcurrentModification"/> when an overwrite
    /// lost a race to a conflicting commit; <see cref="ErrorCode.DeltaUnsupportedWriterFeature"/> for tables this writer cannot write.
    /// </exception>
    public Task<DeltaOperationResult> WriteAsync(string path, string sourceSql, DeltaWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(sourceSql);
        options ??= new DeltaWriteOptions();
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
            if (string.IsNullOrEmpty(domain) || domain.StartsWith("delta.", StringComparison.Ordinal))
            {
                throw new ArgumentException($"The metadata domain '{domain}' cannot be set by a write: names must be non-empty and not start with 'delta.' (reserved for the protocol).", nameof(options));
            }
        }

        return WithConflictRetriesAsync(() => WriteOnceAsync(path, sourceSql, options, cancellationToken));
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
        string literal = DuckDbTypes.Literal(trimmed);
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
        await PrepareSessionAsync(cancellationToken).ConfigureAwait(false);
        DeltaTable table = OpenTable(path);
        Snapshot? snapshot = await TryLatestAsync(table, cancellationToken).ConfigureAwait(false);
        var tx = new Transaction(table, snapshot, options.Isolation);
        string modeName = options.Mode == DeltaWriteMode.Overwrite ? "Overwrite" : "Append";
        if (options.ApplicationId is { } appId && tx.IsApplicationTransactionCommitted(appId, options.ApplicationVersion!.Value))
        {
            return new DeltaOperationResult("WRITE", table.Location, tx.ReadVersion, false);
        }

        List<SourceColumn> source = await SchemaAlignment.DescribeAsync(Connection, sourceSql, cancellationToken).ConfigureAwait(false);
        Metadata metadata;
        StructType schema;
        string operation;
        if (snapshot is null)
        {
            operation = "CREATE TABLE AS SELECT";
            schema = SchemaAlignment.InferSchema(source, table.Location);
            metadata = await NewMetadataAsync(table, schema, options.PartitionBy, options.Properties, null, null, cancellationToken).ConfigureAwait(false);
            tx.UpdateMetadata(metadata);
            schema = SchemaParser.Parse(metadata.SchemaString, table.Location);
        }
        else
        {
            operation = "WRITE";
            EnsureColumnMappingWritable(snapshot, table);
            metadata = snapshot.Metadata;
            StructType? replaced = ReplacedSchema(snapshot, source, options, table.Location);
            StructType aligned = replaced ?? SchemaAlignment.Align(snapshot.Schema, source, options.MergeSchema, table.Location);
            if (replaced is not null)
            {
                List<string> partitions = options.PartitionBy.Count > 0 ? [.. options.PartitionBy] : [.. snapshot.PartitionColumns];
                metadata = snapshot.Metadata with
                {
                    SchemaString = SchemaSerializer.Serialize(aligned),
                    PartitionColumns = partitions.TrueForAll(p => aligned.Find(p) is not null) ? partitions : [],
                };
                tx.UpdateMetadata(metadata);
                aligned = SchemaParser.Parse(metadata.SchemaString, table.Location);
            }
            else if (!ReferenceEquals(aligned, snapshot.Schema))
            {
                metadata = Evolve(table, snapshot, aligned);
                tx.UpdateMetadata(metadata);
                aligned = SchemaParser.Parse(metadata.SchemaString, table.Location);
            }

            schema = aligned;
        }

        if (options.ApplicationId is { } id)
        {
            tx.SetApplicationTransaction(id, options.ApplicationVersion!.Value);
        }

        foreach ((string domain, string configuration) in options.DomainMetadata)
        {
            tx.Add(new DomainMetadata(domain, configuration, false));
        }

        ColumnMappingMode mode = ModeOf(metadata);
        var removed = new List<ScanFile>();
        var adds = new List<AddFile>();
        long copiedRows = 0, deletedRows = 0;
        if (snapshot is not null && options.Mode == DeltaWriteMode.Overwrite)
        {
            if (options.ReplaceWhere is null)
            {
                tx.Reads.AddWholeTable();
                removed.AddRange(snapshot.Files);
            }
            else
            {
                Rewrite rewrite = await RemoveMatchingRowsAsync(table, snapshot, schema, metadata, options.ReplaceWhere, cancellationToken).ConfigureAwait(false);
                tx.Reads.AddWholeTable();
                removed.AddRange(rewrite.Touched);
                adds.AddRange(rewrite.Adds);
                copiedRows = rewrite.CopiedRows;
                deletedRows = rewrite.MatchedRows;
            }
        }

        string rows = options.ReplaceWhere is null ? sourceSql : RequireAll(sourceSql, options.ReplaceWhere, table.Location);
        string projected = SchemaAlignment.Project(rows, source, schema, mode, metadata.Configuration, table.Location);
        List<AddFile> written = await WriteFilesAsync(table, projected, schema, metadata, mode, cancellationToken).ConfigureAwait(false);
        adds.AddRange(written);

        long outputRows = 0, outputBytes = 0;
        foreach (AddFile a in written)
        {
            outputRows += FileStatistics.TryParse(a.Stats)?.NumRecords ?? 0;
            outputBytes += a.Size;
        }

        foreach (ScanFile f in removed)
        {
            tx.Remove(f);
        }

        foreach (AddFile a in adds)
        {
            tx.Add(a);
        }

        var metrics = Parameters(
            ("numFiles", Transaction.Metric(written.Count)),
            ("numOutputRows", Transaction.Metric(outputRows)),
            ("numOutputBytes", Transaction.Metric(outputBytes)),
            ("numRemovedFiles", options.Mode == DeltaWriteMode.Overwrite ? Transaction.Metric(removed.Count) : null),
            ("numCopiedRows", options.ReplaceWhere is null ? null : Transaction.Metric(copiedRows)),
            ("numDeletedRows", options.ReplaceWhere is null ? null : Transaction.Metric(deletedRows)));
        var parameters = Parameters(
            ("mode", modeName),
            ("partitionBy", JsonText.StringArray(metadata.PartitionColumns)),
            ("predicate", options.ReplaceWhere is null ? null : JsonText.StringArray([options.ReplaceWhere])));
        if (snapshot is null)
        {
            foreach ((string k, string v) in CreateParameters(metadata))
            {
                parameters[k] = v;
            }
        }

        CommitResult commit = await tx.CommitAsync(operation, parameters, metrics, cancellationToken).ConfigureAwait(false);
        var result = new DeltaOperationResult(operation, table.Location, commit.Version, commit.Committed)
        {
            FilesAdded = adds.Count,
            FilesRemoved = removed.Count,
            RowsAffected = outputRows,
            Metrics = metrics,
        };
        return await FinishAsync(table, commit, result, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// With <see cref="DeltaWriteOptions.OverwriteSchema"/> on a full overwrite of a table without column mapping: the
    /// schema of the data when it differs from the table's, else null (the usual alignment applies).
    /// </summary>
    private static StructType? ReplacedSchema(Snapshot snapshot, List<SourceColumn> source, DeltaWriteOptions options, string location)
    {
        if (!options.OverwriteSchema || options.Mode != DeltaWriteMode.Overwrite || options.ReplaceWhere is not null || ModeOf(snapshot.Metadata) != ColumnMappingMode.None)
        {
            return null;
        }

        StructType inferred = SchemaAlignment.InferSchema(source, location);
        return inferred.Equals(snapshot.Schema) ? null : inferred;
    }

    /// <summary>Wraps rows so that a row not matching <paramref name="predicate"/> aborts the write (replaceWhere's guarantee).</summary>
    private static string RequireAll(string sourceSql, string predicate, string table)
    {
        string message = SchemaAlignment.ConstraintMarker + $"a written row does not match replaceWhere ({predicate}) for the Delta table at '{table}'.";
        return $"SELECT * FROM ({sourceSql}) AS target WHERE CASE WHEN ({predicate}) IS NOT TRUE THEN error({DuckDbTypes.Literal(message)}) ELSE true END";
    }

    internal static ColumnMappingMode ModeOf(Metadata metadata) =>
        metadata.Configuration.TryGetValue("delta.columnMapping.mode", out string? m) && string.Equals(m, "name", StringComparison.OrdinalIgnoreCase)
            ? ColumnMappingMode.Name
            : ColumnMappingMode.None;

    private static void EnsureColumnMappingWritable(Snapshot snapshot, DeltaTable table)
    {
        if (snapshot.ColumnMappingMode == ColumnMappingMode.Id)
        {
            throw new MedallionException(ErrorCode.DeltaUnsupportedWriterFeature,
                $"The Delta table at '{table.Location}' uses column mapping mode 'id', which needs Parquet field ids this writer does not write.\nHelp: the table can still be read; write it with a client that supports column mapping by id.");
        }
    }

    /// <summary>The metadata after schema evolution: new columns, with column-mapping ids and names when mapping is on.</summary>
    private static Metadata Evolve(DeltaTable table, Snapshot snapshot, StructType evolved)
    {
        var configuration = new Dictionary<string, string?>(snapshot.Metadata.Configuration, StringComparer.Ordinal);
        if (snapshot.ColumnMappingMode == ColumnMappingMode.Name)
        {
            int maxId = WriterFeatures.IntProperty(snapshot.Metadata.Configuration, "delta.columnMapping.maxColumnId", 0);
            (evolved, maxId) = AssignColumnMapping(evolved, maxId, table);
            configuration["delta.columnMapping.maxColumnId"] = maxId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return snapshot.Metadata with { SchemaString = SchemaSerializer.Serialize(evolved), Configuration = configuration };
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
            physicalTop.Add(f with { Name = f.GetPhysicalName(mode) });
        }

        try
        {
            return await DataFileWriter.WriteAsync(Connection, table.Location, projectedSql, new StructType(physicalTop), partitionColumns, string.Empty, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code != ErrorCode.DeltaConstraintViolation)
        {
            throw TranslateWriteError(e, table.Location);
        }
    }
}
