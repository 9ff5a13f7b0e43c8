using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
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

/// <summary>
/// One Delta write fed by several queries and committed once (from <see cref="DeltaWriter.BeginWriteAsync"/>).
/// Each query's rows go to data files when added; the schema is inferred from the first query when the table is
/// new and widened by later ones under <see cref="DeltaWriteOptions.MergeSchema"/>. Disposing a write that was not
/// committed abandons it (deletes its files). Not thread-safe.
/// </summary>
public sealed class DeltaStagedWrite : IAsyncDisposable
{
    private readonly DeltaWriter _writer;
    private readonly DeltaTable _table;
    private readonly Snapshot? _snapshot;
    private readonly Transaction _tx;
    private readonly DeltaWriteOptions _options;
    private readonly List<AddFile> _written = [];
    private readonly Dictionary<string, string> _domains;
    private readonly Dictionary<string, long> _applicationTransactions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metrics;
    private Metadata? _metadata;
    private StructType? _schema;
    private long _rows;
    private long _bytes;
    private bool _committed;

    internal DeltaStagedWrite(DeltaWriter writer, DeltaTable table, Snapshot? snapshot, Transaction tx, DeltaWriteOptions options)
    {
        _writer = writer;
        _table = table;
        _snapshot = snapshot;
        _tx = tx;
        _options = options;
        _metadata = snapshot?.Metadata;
        _domains = new Dictionary<string, string>(options.DomainMetadata, StringComparer.Ordinal);
        _metrics = new Dictionary<string, string>(options.Metrics, StringComparer.Ordinal);
        _schema = snapshot?.Schema;
        IsAlreadyCommitted = options.ApplicationId is { } appId && tx.IsApplicationTransactionCommitted(appId, options.ApplicationVersion!.Value);
    }

    /// <summary>The table version this write read; it commits the next one (-1: the table does not exist yet).</summary>
    public long ReadVersion => _tx.ReadVersion;

    /// <summary>The version the snapshot this write read holds for <paramref name="appId"/> (its <c>txn</c>), or null when it has none.</summary>
    public long? CommittedApplicationVersion(string appId) =>
        _snapshot is not null && _snapshot.TransactionVersions.TryGetValue(appId, out long version) ? version : null;

    /// <summary>True when the options' application version is already committed: adding is refused and the commit does nothing.</summary>
    public bool IsAlreadyCommitted { get; }

    /// <summary>Rows written to data files so far.</summary>
    public long RowCount => _rows;

    /// <summary>
    /// Sets a metadata domain committed with the rows, replacing the options' value for it: for what is known only
    /// once every query was added, such as the source position reached.
    /// </summary>
    public void SetDomainMetadata(string domain, string configuration)
    {
        DeltaWriter.EnsureUserDomain(domain, nameof(domain));
        ArgumentNullException.ThrowIfNull(configuration);

        _domains[domain] = configuration;
    }

    /// <summary>
    /// Adds an entry to the commit's <c>operationMetrics</c>, replacing the options' value for it: for figures known only
    /// once the rows were added and checked (see <see cref="DeltaWriteOptions.Metrics"/>).
    /// </summary>
    public void SetMetric(string name, string value)
    {
        DeltaWriter.EnsureUserMetric(name, nameof(name));
        ArgumentNullException.ThrowIfNull(value);

        _metrics[name] = value;
    }

    /// <summary>
    /// Records an application transaction (a <c>txn</c> action) in the commit besides the options' one, for positions
    /// known only once every query was added: a stream writing several partitions records one per partition (see
    /// <see cref="Transaction.SetApplicationTransaction"/> for how several are checked against concurrent commits).
    /// </summary>
    public void SetApplicationTransaction(string appId, long version)
    {
        ArgumentException.ThrowIfNullOrEmpty(appId);
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        _applicationTransactions[appId] = version;
    }

    /// <summary>Writes the rows of <paramref name="sourceSql"/> to new data files of the table, not yet visible.</summary>
    /// <exception cref="MedallionException">The rows do not fit the schema, or break a constraint (see <see cref="DeltaWriter.WriteAsync"/>).</exception>
    /// <exception cref="InvalidOperationException">The write was committed, or its application version already was.</exception>
    public async Task AddAsync(string sourceSql, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceSql);
        if (_committed || IsAlreadyCommitted)
        {
            throw new InvalidOperationException($"This write to '{_table.Location}' is {(_committed ? "committed" : "already committed by an earlier run")}; start a new one.");
        }

        List<SourceColumn> source = await SchemaAlignment.DescribeAsync(_writer.Connection, sourceSql, cancellationToken).ConfigureAwait(false);
        (Metadata metadata, StructType schema) = await _writer.ResolveSchemaAsync(_table, _metadata, _schema, _tx, source, _options, cancellationToken).ConfigureAwait(false);
        (_metadata, _schema) = (metadata, schema);
        ColumnMappingMode mode = DeltaWriter.ModeOf(metadata);
        string rows = _options.ReplaceWhere is null ? sourceSql : DeltaWriter.RequireAll(sourceSql, _options.ReplaceWhere, _table.Location);
        string projected = SchemaAlignment.Project(rows, source, schema, mode, metadata, _table.Location);
        List<AddFile> written = await _writer.WriteFilesAsync(_table, projected, schema, metadata, mode, cancellationToken).ConfigureAwait(false);
        foreach (AddFile a in written)
        {
            _rows += FileStatistics.TryParse(a.Stats)?.NumRecords ?? 0;
            _bytes += a.Size;
        }

        _written.AddRange(written);
    }

    /// <summary>
    /// A query over the rows added so far (not yet visible in the table), with the table's logical column names and
    /// types, partition columns included: for checking what a write would commit before committing it. Reads the data
    /// files, so it is cheap for the few columns a check needs. With column mapping, the files' physical columns (and
    /// struct fields) are read back under their logical names.
    /// </summary>
    /// <exception cref="InvalidOperationException">Nothing was added yet.</exception>
    public string AddedRowsSql()
    {
        if (_metadata is null || _schema is null)
        {
            throw new InvalidOperationException($"Nothing was added to the write to '{_table.Location}' yet.");
        }

        ColumnMappingMode mode = DeltaWriter.ModeOf(_metadata);
        var partitions = new HashSet<string>(_metadata.PartitionColumns, StringComparer.OrdinalIgnoreCase);
        if (_written.Count == 0)
        {
            return "SELECT " + string.Join(", ", _schema.Fields.Select(f => $"CAST(NULL AS {DuckDbTypes.ToDuckDb(f.Type)}) AS {DuckDbConnection.QuoteIdentifier(f.Name)}")) + " WHERE false";
        }

        // Files of one partition share their values, so each partition's files are one read_parquet with the values as literals.
        var branches = new List<string>();
        LocalMirror mirror = LocalMirror.Of(_table.Store);
        foreach (IGrouping<string, AddFile> group in _written.GroupBy(a => string.Join("\u0001", a.PartitionValues.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value)), StringComparer.Ordinal))
        {
            AddFile first = group.First();
            string columns = string.Join(", ", _schema.Fields.Select(f =>
            {
                string type = DuckDbTypes.ToDuckDb(f.Type);
                string physical = f.GetPhysicalName(mode);
                string value = !partitions.Contains(f.Name) ? Scanning.DeltaScanSql.DataColumn(new ScanColumn(f.Name, physical, f.ColumnId, f.Type, ColumnMapping.ToPhysical(f.Type, mode), false), "d")
                    : first.PartitionValues.TryGetValue(physical, out string? text) && text is not null ? DuckDbConnection.QuoteLiteral(text)
                    : "NULL";
                return $"CAST({value} AS {type}) AS {DuckDbConnection.QuoteIdentifier(f.Name)}";
            }));
            string files = string.Join(", ", group.Select(a => DuckDbConnection.QuoteLiteral(mirror.PathOf(Uri.UnescapeDataString(a.Path)))));
            branches.Add($"SELECT {columns} FROM read_parquet([{files}], union_by_name = true) AS d");
        }

        return string.Join(" UNION ALL ", branches);
    }

    /// <summary>
    /// Ends the write without committing and deletes the data files it added, so a refused write leaves no orphans
    /// (nor, for a table that did not exist, the folders the write created).
    /// </summary>
    /// <param name="cancellationToken">Cancels the deletes; files not deleted yet are orphans that VACUUM removes.</param>
    /// <exception cref="InvalidOperationException">The write was committed.</exception>
    public async Task AbandonAsync(CancellationToken cancellationToken = default)
    {
        if (_committed)
        {
            throw new InvalidOperationException($"This write to '{_table.Location}' is committed; it cannot be abandoned.");
        }

        _committed = true;
        LocalMirror mirror = LocalMirror.Of(_table.Store);
        foreach (AddFile a in _written)
        {
            string key = Uri.UnescapeDataString(a.Path);
            File.Delete(mirror.PathOf(key));
            // A remote store got the file when it was written; removing the object is a quick request. A local store's delete finds nothing left.
            await _table.Store.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        }

        _written.Clear();
        if (_snapshot is null)
        {
            RemoveEmptyFolders(mirror.Root);
        }
    }

    /// <summary>
    /// Abandons the write (<see cref="AbandonAsync"/>) unless it was committed or abandoned: a write left by an exception or
    /// an early return deletes its files. Does nothing after <see cref="CommitAsync"/> began, whatever its outcome, since a
    /// commit whose answer was lost may have made the files part of the table.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (!_committed)
        {
            await AbandonAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Removes <paramref name="folder"/> when the abandoned write left it (and its subfolders) empty: a new table's folder, its partition folders.</summary>
    private static void RemoveEmptyFolders(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (string child in Directory.GetDirectories(folder))
        {
            RemoveEmptyFolders(child);
        }

        if (Directory.GetFileSystemEntries(folder).Length == 0)
        {
            Directory.Delete(folder);
        }
    }

    /// <summary>
    /// Commits every file added, with the options' <c>txn</c> and metadata domains, in one commit (an overwrite
    /// also removes the files it replaces). Does nothing when the application version was already committed.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaConcurrentModification"/> when a concurrent commit conflicts (for example, it set the same metadata domain).</exception>
    /// <exception cref="InvalidOperationException">Nothing was added to a table that does not exist yet (its schema is unknown), or the write was committed.</exception>
    public async Task<DeltaOperationResult> CommitAsync(CancellationToken cancellationToken = default)
    {
        if (IsAlreadyCommitted)
        {
            return new DeltaOperationResult("WRITE", _table.Location, _tx.ReadVersion, false);
        }

        if (_committed || _metadata is null || _schema is null)
        {
            throw new InvalidOperationException(_committed
                ? $"This write to '{_table.Location}' is already committed."
                : $"Nothing was added to the new table at '{_table.Location}', so its schema is unknown; add at least one (possibly empty) query.");
        }

        _committed = true;
        if (_options.ApplicationId is { } id)
        {
            _tx.SetApplicationTransaction(id, _options.ApplicationVersion!.Value);
        }

        foreach ((string appId, long version) in _applicationTransactions)
        {
            _tx.SetApplicationTransaction(appId, version);
        }

        foreach ((string domain, string configuration) in _domains)
        {
            _tx.Add(new DomainMetadata(domain, configuration, false));
        }

        var removed = new List<ScanFile>();
        var adds = new List<AddFile>();
        long copiedRows = 0, deletedRows = 0;
        if (_snapshot is not null && _options.Mode == DeltaWriteMode.Overwrite)
        {
            _tx.Reads.AddWholeTable();
            if (_options.ReplaceWhere is null)
            {
                removed.AddRange(_snapshot.Files);
            }
            else
            {
                Rewrite rewrite = await _writer.RemoveMatchingRowsAsync(_table, _snapshot, _schema, _metadata, _options.ReplaceWhere, cancellationToken).ConfigureAwait(false);
                removed.AddRange(rewrite.Touched);
                adds.AddRange(rewrite.Adds);
                copiedRows = rewrite.CopiedRows;
                deletedRows = rewrite.MatchedRows;
            }
        }

        adds.AddRange(_written);
        foreach (ScanFile f in removed)
        {
            _tx.Remove(f);
        }

        foreach (AddFile a in adds)
        {
            _tx.Add(a);
        }

        bool overwrite = _options.Mode == DeltaWriteMode.Overwrite;
        var metrics = DeltaWriter.Parameters(
            ("numFiles", Transaction.Metric(_written.Count)),
            ("numOutputRows", Transaction.Metric(_rows)),
            ("numOutputBytes", Transaction.Metric(_bytes)),
            ("numRemovedFiles", overwrite ? Transaction.Metric(removed.Count) : null),
            ("numCopiedRows", _options.ReplaceWhere is null ? null : Transaction.Metric(copiedRows)),
            ("numDeletedRows", _options.ReplaceWhere is null ? null : Transaction.Metric(deletedRows)));
        foreach ((string name, string value) in _metrics)
        {
            metrics[name] = value;
        }

        var parameters = DeltaWriter.Parameters(
            ("mode", overwrite ? "Overwrite" : "Append"),
            ("partitionBy", JsonText.StringArray(_metadata.PartitionColumns)),
            ("predicate", _options.ReplaceWhere is null ? null : JsonText.StringArray([_options.ReplaceWhere])));
        string operation = "WRITE";
        if (_snapshot is null)
        {
            operation = "CREATE TABLE AS SELECT";
            foreach ((string k, string v) in DeltaWriter.CreateParameters(_metadata))
            {
                parameters[k] = v;
            }
        }

        CommitResult commit = await _writer.CommitAsync(_tx, operation, parameters, metrics, cancellationToken).ConfigureAwait(false);
        var result = new DeltaOperationResult(operation, _table.Location, commit.Version, commit.Committed)
        {
            FilesAdded = adds.Count,
            FilesRemoved = removed.Count,
            RowsAffected = _rows,
            Metrics = metrics,
        };
        return await _writer.FinishAsync(_table, commit, result, cancellationToken).ConfigureAwait(false);
    }
}
