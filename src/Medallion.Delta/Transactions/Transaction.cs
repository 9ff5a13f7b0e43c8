using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Actions;
using Medallion.Delta.Internal;
using Medallion.Delta.Log;
using Medallion.Delta.Scans;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.Storage;

namespace Medallion.Delta.Transactions;

/// <summary>
/// One optimistic transaction on a Delta table. It collects the actions of one commit and what was read, and commits
/// them through the table's <see cref="ICommitter"/> (by default put-if-absent of <c>_delta_log/&lt;version&gt;.json</c>).
/// When another writer wins a version, the commit says so (<see cref="CommitOutcome.Conflicted"/>); <see cref="RebaseAsync"/>
/// checks the winners against this transaction and moves it past them, and the caller decides whether to try again.
/// </summary>
/// <remarks>
/// Guarantees: a commit file is complete or absent (the store's put-if-absent is atomic); the same <c>txn</c>
/// application version never commits twice; a failed or cancelled commit leaves the table version unchanged.
/// Not thread-safe: one transaction belongs to one operation.
/// <para>
/// Use (as delta-kernel-rs's <c>Transaction</c>): create it on the snapshot the operation read (or
/// <see langword="null"/> to create a table), record what was read in <see cref="Reads"/>, add the actions
/// (<see cref="Add(AddFile)"/>, <see cref="Remove"/>, <see cref="UpdateMetadata"/>, ...), then
/// <see cref="CommitAsync"/>: it tries once and returns how that went; while it is <see cref="CommitOutcome.Conflicted"/>,
/// <see cref="RebaseAsync"/> (which throws a conflict that names the winning commit) and commit again, as often as the
/// caller's policy allows. Data files must be in the store before the commit that adds them; the kernel writes only the log.
/// </para>
/// </remarks>
public sealed class Transaction
{
    private readonly List<DeltaAction> _actions = [];
    private readonly HashSet<string> _removedPaths = new(StringComparer.Ordinal);
    private Metadata? _newMetadata;
    private readonly List<Txn> _txns = [];
    private long _nextVersion;
    private int _attempts;
    private bool _mustRebase;
    private bool _committed;
    private long? _alreadyCommittedAt;
    private string? _operation;
    private bool _blindAppend;

    /// <summary>Starts a transaction on <paramref name="table"/> that read <paramref name="readSnapshot"/>.</summary>
    /// <param name="table">The table to commit to.</param>
    /// <param name="readSnapshot">The snapshot the operation read, or <see langword="null"/> when it creates the table.</param>
    /// <param name="isolation">How strictly concurrent winners are checked against what this transaction read.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.DeltaUnsupportedWriterFeature"/> when the table needs a writer feature this writer does not support.</exception>
    public Transaction(DeltaTable table, Snapshot? readSnapshot, DeltaIsolationLevel isolation = DeltaIsolationLevel.WriteSerializable)
    {
        ArgumentNullException.ThrowIfNull(table);
        Table = table;
        ReadSnapshot = readSnapshot;
        Isolation = isolation;
        _nextVersion = ReadVersion + 1;
        if (readSnapshot is not null)
        {
            WriterFeatures.EnsureWritable(readSnapshot.Protocol, readSnapshot.Schema, table.Location);
        }
    }

    /// <summary>The table this transaction commits to.</summary>
    public DeltaTable Table { get; }

    /// <summary>The snapshot the operation read; <see langword="null"/> when it creates the table.</summary>
    public Snapshot? ReadSnapshot { get; }

    /// <summary>The version of <see cref="ReadSnapshot"/>, or -1 when the table is being created.</summary>
    public long ReadVersion => ReadSnapshot?.Version ?? -1;

    /// <summary>How strictly concurrent winners are checked against what this transaction read.</summary>
    public DeltaIsolationLevel Isolation { get; }

    /// <summary>What the operation read; a concurrent commit that changed it is a conflict.</summary>
    public ReadSet Reads { get; } = new();

    /// <summary>The clock for commit timestamps and tombstones (ms since the epoch); replaceable in tests.</summary>
    public Func<long> Clock { get; init; } = static () => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>The run making this commit, recorded as the <c>job</c> of its <c>commitInfo</c>; none when null.</summary>
    public CommitJob? Job { get; set; }

    /// <summary>The metadata this transaction commits under: the new one if it changes it, else the read one.</summary>
    public Metadata? Metadata => _newMetadata ?? ReadSnapshot?.Metadata;

    /// <summary>The actions added so far, in order (without the protocol, metadata and <c>txn</c> lines the commit adds).</summary>
    public IReadOnlyList<DeltaAction> Actions => _actions;

    /// <summary>Adds a data file (already written to the store) to the table in this commit.</summary>
    public void Add(AddFile add) => _actions.Add(add ?? throw new ArgumentNullException(nameof(add)));

    /// <summary>Adds a change data file (already written to the store) to this commit.</summary>
    public void Add(AddCdcFile cdc) => _actions.Add(cdc ?? throw new ArgumentNullException(nameof(cdc)));

    /// <summary>Sets the configuration of a metadata domain in this commit; a domain appears at most once per commit.</summary>
    /// <exception cref="InvalidOperationException">The domain is already set in this commit.</exception>
    public void Add(DomainMetadata domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        if (_actions.Exists(a => a is DomainMetadata d && string.Equals(d.Domain, domain.Domain, StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"The domain '{domain.Domain}' is already set in this commit to '{Table.Location}'.");
        }

        _actions.Add(domain);
    }

    /// <summary>Removes a live file of the read snapshot (a tombstone with full metadata), and marks it read.</summary>
    /// <param name="file">The file.</param>
    /// <param name="dataChange">Whether the removal changes the table's data (false for a compaction).</param>
    /// <param name="withStats">
    /// Whether the tombstone repeats the file's statistics (optional in the protocol). False when the file is removed
    /// because of what it holds (an erasure): its minimum and maximum values may be the very values being erased.
    /// </param>
    public void Remove(ScanFile file, bool dataChange = true, bool withStats = true)
    {
        ArgumentNullException.ThrowIfNull(file);
        AddFile a = file.Add;
        _removedPaths.Add(TablePaths.Decode(a.Path));
        Reads.AddFile(TablePaths.Decode(a.Path));
        _actions.Add(new RemoveFile(a.Path, Clock(), dataChange, true, a.PartitionValues, a.Size, withStats ? a.Stats : null, a.DeletionVector));
    }

    /// <summary>Sets the table metadata (schema, partition columns, properties) committed with this transaction.</summary>
    public void UpdateMetadata(Metadata metadata) => _newMetadata = metadata ?? throw new ArgumentNullException(nameof(metadata));

    /// <summary>
    /// Records an application transaction: the commit also records <paramref name="version"/> for <paramref name="appId"/>
    /// (setting the same id again replaces its version). A commit may record several ids (one <c>txn</c> action each,
    /// e.g. one per Kafka topic-partition): it is then a no-op when every id is already at its version or later (the same
    /// work was committed), and conflicts when a concurrent commit advanced only some of them.
    /// </summary>
    public void SetApplicationTransaction(string appId, long version)
    {
        ArgumentException.ThrowIfNullOrEmpty(appId);
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        _txns.RemoveAll(t => string.Equals(t.AppId, appId, StringComparison.Ordinal));
        _txns.Add(new Txn(appId, version, Clock()));
    }

    /// <summary>True when the read snapshot already holds <paramref name="version"/> (or later) for <paramref name="appId"/>.</summary>
    public bool IsApplicationTransactionCommitted(string appId, long version) =>
        ReadSnapshot is not null && ReadSnapshot.TransactionVersions.TryGetValue(appId, out long committed) && committed >= version;

    /// <summary>The version the next <see cref="CommitAsync"/> tries: the read version plus one, or after the winners a <see cref="RebaseAsync"/> moved past.</summary>
    public long NextVersion => _nextVersion;

    /// <summary>
    /// Tries once to commit, through the table's <see cref="DeltaTable.Committer"/>, as <see cref="NextVersion"/>, with
    /// <paramref name="operation"/> as the <c>commitInfo</c> operation, and says how it ended: committed; already committed
    /// (the application transactions set with <see cref="SetApplicationTransaction"/> are in the table, so nothing is written);
    /// conflicted (another writer has the version: <see cref="RebaseAsync"/> and try again, or give up); retryable (the commit
    /// request failed transiently). How often to try again is the caller's choice, as in delta-kernel-rs.
    /// </summary>
    /// <param name="operation">The operation name recorded in <c>commitInfo</c> (e.g. <c>WRITE</c>, <c>MERGE</c>).</param>
    /// <param name="parameters">The <c>operationParameters</c> of <c>commitInfo</c>.</param>
    /// <param name="metrics">The <c>operationMetrics</c> of <c>commitInfo</c> (see <see cref="Metric"/>).</param>
    /// <param name="cancellationToken">Cancels the commit; a cancelled commit leaves the table version unchanged.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.DeltaConcurrentModification"/> when the read snapshot already holds some of this commit's
    /// application transactions but not all; <see cref="ErrorCode.DeltaOperationNotAllowed"/> when it would remove data from
    /// an append-only table; a non-transient failure of the commit request.
    /// </exception>
    /// <exception cref="InvalidOperationException">The transaction committed already, or its last attempt conflicted and it was not rebased.</exception>
    public async Task<CommitResult> CommitAsync(
        string operation,
        IReadOnlyDictionary<string, string> parameters,
        IReadOnlyDictionary<string, string> metrics,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentException.ThrowIfNullOrEmpty(operation);
        if (_committed || _mustRebase)
        {
            throw new InvalidOperationException(_committed
                ? $"This transaction on '{Table.Location}' committed version {_nextVersion}; start a new one."
                : $"Version {_nextVersion} of '{Table.Location}' was committed by another writer; rebase this transaction before committing again.");
        }

        if (_alreadyCommittedAt is long at)
        {
            return new CommitResult(CommitOutcome.AlreadyCommitted, at, _attempts);
        }

        if (_txns.Count > 0)
        {
            int committed = _txns.Count(t => IsApplicationTransactionCommitted(t.AppId, t.Version));
            if (committed == _txns.Count)
            {
                return new CommitResult(CommitOutcome.AlreadyCommitted, ReadVersion, 0);
            }

            if (committed > 0)
            {
                Txn first = _txns.First(t => IsApplicationTransactionCommitted(t.AppId, t.Version));
                throw new MedallionException(ErrorCode.DeltaConcurrentModification,
                    $"{operation} on the Delta table at '{Table.Location}' (read at version {ReadVersion}) records application transaction '{first.AppId}' at version {first.Version}, but the table already holds it at version {ReadSnapshot!.TransactionVersions[first.AppId]}, while others of this commit are new.\nHelp: read the table's application versions again and redo the work from there.");
            }
        }

        List<DeltaAction> body = PrepareBody(operation);
        _operation = operation;
        _blindAppend = IsBlindAppend();
        cancellationToken.ThrowIfCancellationRequested();
        var lines = new List<DeltaAction>(body.Count + 1) { BuildCommitInfo(operation, parameters, metrics, _blindAppend) };
        lines.AddRange(body);
        byte[] bytes = ActionSerializer.Serialize(lines);
        long version = _nextVersion;
        _attempts++;
        CrashPoint.Reach("delta.commit.before-put");
        CommitResponse response;
        try
        {
            response = await Table.Committer.CommitAsync(Table, version, bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.IsTransient)
        {
            return new CommitResult(CommitOutcome.Retryable, version, _attempts) { Error = e };
        }

        if (response == CommitResponse.Conflicted)
        {
            _mustRebase = true;
            return new CommitResult(CommitOutcome.Conflicted, version, _attempts);
        }

        _committed = true;
        IObjectStore store = Table.Store;
        string key = LogFile.CommitKey(version);
        // Parsed back from the bytes written, so the snapshot is what a reader of the log would build.
        Snapshot? after = version == ReadVersion + 1
            ? LogReplay.AfterCommit(store, ReadSnapshot, version, CommitReader.Parse(bytes, key, store.Location), bytes.Length)
            : null;
        return new CommitResult(CommitOutcome.Committed, version, _attempts) { Metadata = Metadata, Snapshot = after };
    }

    /// <summary>
    /// After a <see cref="CommitOutcome.Conflicted"/> commit: reads the commits other writers made from the lost version on,
    /// checks each against what this transaction read and writes (PROTOCOL.md leaves conflict rules to writers; these follow
    /// Delta Lake's WriteSerializable/Serializable rules), and moves <see cref="NextVersion"/> past the newest.
    /// </summary>
    /// <param name="cancellationToken">Cancels the reading of the winners.</param>
    /// <returns>
    /// True when the transaction can commit again; false when a winner already committed its application transactions,
    /// so the next <see cref="CommitAsync"/> answers <see cref="CommitOutcome.AlreadyCommitted"/> without writing.
    /// </returns>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.DeltaConcurrentModification"/> when a winner conflicts with what this transaction read or removes
    /// (transient: run the operation again); <see cref="ErrorCode.DeltaTableAlreadyExists"/> when another writer created the
    /// table first.
    /// </exception>
    /// <exception cref="InvalidOperationException">The last commit of this transaction did not conflict.</exception>
    public async Task<bool> RebaseAsync(CancellationToken cancellationToken = default)
    {
        if (!_mustRebase)
        {
            throw new InvalidOperationException($"This transaction on '{Table.Location}' has no lost commit to rebase.");
        }

        IObjectStore store = Table.Store;
        while (await TryReadCommitAsync(store, _nextVersion, cancellationToken).ConfigureAwait(false) is { } winner)
        {
            if (CheckWinner(_nextVersion, winner, _operation!, _blindAppend) is long alreadyAt)
            {
                _alreadyCommittedAt = alreadyAt;
                break;
            }

            string winnerOperation = winner.Find(a => a is CommitInfoAction) is CommitInfoAction info ? info.CommitInfo.Operation ?? "an unknown operation" : "an unknown operation";
            LogMessages.RebasedPastWinner(Table.Logger, _operation!, Table.Location, ReadVersion, _nextVersion, winnerOperation);
            _nextVersion++;
        }

        _mustRebase = false;
        return _alreadyCommittedAt is null;
    }

    private List<DeltaAction> PrepareBody(string operation)
    {
        var body = new List<DeltaAction>();
        Protocol? current = ReadSnapshot?.Protocol;
        bool writesDomains = _actions.Exists(a => a is DomainMetadata);
        if (_newMetadata is not null)
        {
            StructType schema = SchemaParser.Parse(_newMetadata.SchemaString, $"the new metadata of '{Table.Location}'");
            Protocol required = WriterFeatures.Required(_newMetadata, schema, current, writesDomains);
            WriterFeatures.EnsureWritable(required, schema, Table.Location);
            if (current is null || !SameProtocol(current, required))
            {
                body.Add(new ProtocolAction(required));
            }

            body.Add(new MetadataAction(_newMetadata));
        }
        else if (ReadSnapshot is null)
        {
            throw new InvalidOperationException($"The first commit to '{Table.Location}' must set the table metadata.");
        }
        else if (writesDomains)
        {
            // The first domainMetadata action on a table upgrades its protocol to list the feature (writer version 7).
            Protocol required = WriterFeatures.Required(ReadSnapshot.Metadata, ReadSnapshot.Schema, current, writesDomainMetadata: true);
            if (!SameProtocol(current!, required))
            {
                body.Add(new ProtocolAction(required));
            }
        }

        Metadata metadata = Metadata!;
        if (WriterFeatures.IsTrue(metadata.Configuration, "delta.appendOnly") && ReadSnapshot is not null)
        {
            foreach (DeltaAction a in _actions)
            {
                if (a is RemoveFile { DataChange: true } r)
                {
                    throw new MedallionException(ErrorCode.DeltaOperationNotAllowed,
                        $"{operation} would remove data from the Delta table at '{Table.Location}' (file '{r.Path}'), but the table is append-only (delta.appendOnly = true).\nHelp: only append to this table, or unset the property with 'ALTER'-style property changes first.");
                }
            }
        }

        body.AddRange(_txns);

        body.AddRange(_actions);
        return body;
    }

    private static bool SameProtocol(Protocol a, Protocol b) =>
        a.MinReaderVersion == b.MinReaderVersion && a.MinWriterVersion == b.MinWriterVersion
        && SameList(a.ReaderFeatures, b.ReaderFeatures) && SameList(a.WriterFeatures, b.WriterFeatures);

    private static bool SameList(IReadOnlyList<string>? a, IReadOnlyList<string>? b)
    {
        var x = new HashSet<string>(a ?? [], StringComparer.Ordinal);
        return x.SetEquals(b ?? []);
    }

    /// <summary>A blind append adds files without reading or removing anything and without changing metadata.</summary>
    private bool IsBlindAppend()
    {
        if (_newMetadata is not null || !Reads.IsEmpty)
        {
            return false;
        }

        foreach (DeltaAction a in _actions)
        {
            if (a is RemoveFile or AddFile { DataChange: false })
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<List<DeltaAction>?> TryReadCommitAsync(IObjectStore store, long version, CancellationToken cancellationToken)
    {
        string key = LogFile.CommitKey(version);
        byte[] bytes;
        try
        {
            bytes = await store.ReadAllAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code == ErrorCode.StorageObjectNotFound)
        {
            return null;
        }

        return CommitReader.Parse(bytes, key, store.Location);
    }

    /// <summary>
    /// Checks one winning commit. Returns the winner's version when it already committed this transaction's
    /// application version (so this write is a no-op); throws on a conflict; returns null when this transaction
    /// can move past the winner.
    /// </summary>
    private long? CheckWinner(long winnerVersion, List<DeltaAction> winner, string operation, bool blindAppend)
    {
        string winnerOperation = "an unknown operation";
        bool winnerBlindAppend = false;
        foreach (DeltaAction a in winner)
        {
            if (a is CommitInfoAction c)
            {
                winnerOperation = c.CommitInfo.Operation ?? winnerOperation;
                winnerBlindAppend = c.CommitInfo.Raw.Bool("isBlindAppend") ?? false;
            }
        }

        foreach (DeltaAction a in winner)
        {
            switch (a)
            {
                case Txn t when _txns.Find(mine => string.Equals(mine.AppId, t.AppId, StringComparison.Ordinal)) is { } mine:
                    if (CoversAll(winner))
                    {
                        return winnerVersion;
                    }

                    // It advanced an application this commit advances too, but not all of them to where this one does: the
                    // two did overlapping work (two consumers of one Kafka partition), and only one may count.
                    throw Conflict(operation, winnerVersion, winnerOperation, $"it recorded application transaction '{t.AppId}' at version {t.Version}, which this {operation} records at version {mine.Version}");
                case ProtocolAction:
                    throw Conflict(operation, winnerVersion, winnerOperation, "it changed the table protocol");
                case DomainMetadata d when _actions.Exists(a => a is DomainMetadata mine && string.Equals(mine.Domain, d.Domain, StringComparison.Ordinal)):
                    throw Conflict(operation, winnerVersion, winnerOperation, $"it changed the metadata domain '{d.Domain}', which this {operation} also sets");
                case MetadataAction when ReadSnapshot is null:
                    throw new MedallionException(ErrorCode.DeltaTableAlreadyExists,
                        $"Cannot create the Delta table at '{Table.Location}': another writer created it concurrently (version {winnerVersion}, {winnerOperation}).\nHelp: write to the existing table instead.");
                case MetadataAction:
                    throw Conflict(operation, winnerVersion, winnerOperation, "it changed the table metadata (schema, partitioning or properties)");
                case RemoveFile r when r.DataChange || _removedPaths.Count > 0:
                    string path = TablePaths.Decode(r.Path);
                    if (_removedPaths.Contains(path))
                    {
                        throw Conflict(operation, winnerVersion, winnerOperation, $"it removed file '{path}', which this {operation} also removes");
                    }

                    if (Reads.Files.Contains(path) || (r.DataChange && Reads.WholeTable))
                    {
                        throw Conflict(operation, winnerVersion, winnerOperation, $"it removed file '{path}', which this {operation} read");
                    }

                    break;
                case AddFile add when add.DataChange && !blindAppend:
                    // Under WriteSerializable, rows a concurrent blind append added are allowed to be missed.
                    if (Isolation == DeltaIsolationLevel.WriteSerializable && winnerBlindAppend)
                    {
                        break;
                    }

                    if (MayMatchReads(add))
                    {
                        throw Conflict(operation, winnerVersion, winnerOperation,
                            $"it added file '{TablePaths.Decode(add.Path)}' holding rows in the data this {operation} read");
                    }

                    break;
            }
        }

        return null;
    }

    /// <summary>Whether the winner recorded every application transaction of this commit at its version or later.</summary>
    private bool CoversAll(List<DeltaAction> winner) =>
        _txns.TrueForAll(mine => winner.Exists(a => a is Txn t && string.Equals(t.AppId, mine.AppId, StringComparison.Ordinal) && t.Version >= mine.Version));

    private bool MayMatchReads(AddFile add)
    {
        if (Reads.WholeTable)
        {
            return true;
        }

        if (Reads.Predicates.Count == 0 || ReadSnapshot is not { } snapshot)
        {
            return false;
        }

        var partitionFields = new List<StructField>();
        foreach (string column in snapshot.PartitionColumns)
        {
            if (snapshot.Schema.Find(column) is { } f)
            {
                partitionFields.Add(f);
            }
        }

        string where = $"the Delta table at '{Table.Location}'";
        Dictionary<string, object?> values = PartitionValueReader.Read(add.PartitionValues, partitionFields, snapshot.ColumnMappingMode, add.Path, where);
        var file = new ScanFile(add, TablePaths.Decode(add.Path), TablePaths.Decode(add.Path), values, FileStatistics.TryParse(add.Stats));
        foreach (ScanPredicate p in Reads.Predicates)
        {
            if (new DataSkipping(snapshot, p).MayMatch(file))
            {
                return true;
            }
        }

        return false;
    }

    private MedallionException Conflict(string operation, long winnerVersion, string winnerOperation, string what) =>
        new(ErrorCode.DeltaConcurrentModification,
            $"{operation} on the Delta table at '{Table.Location}' (read at version {ReadVersion}) conflicts with version {winnerVersion} ({winnerOperation}), committed concurrently: {what}.\nHelp: run the {operation} again; it will read version {winnerVersion} or later.");

    private CommitInfoAction BuildCommitInfo(string operation, IReadOnlyDictionary<string, string> parameters, IReadOnlyDictionary<string, string> metrics, bool blindAppend)
    {
        long now = Clock();
        JsonElement raw = ActionSerializer.BuildObject(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("timestamp", now);
            w.WriteString("operation", operation);
            w.WriteStartObject("operationParameters");
            foreach ((string k, string v) in parameters)
            {
                w.WriteString(k, v);
            }

            w.WriteEndObject();
            if (ReadVersion >= 0)
            {
                w.WriteNumber("readVersion", ReadVersion);
            }

            w.WriteString("isolationLevel", Isolation.ToString());
            w.WriteBoolean("isBlindAppend", blindAppend);
            w.WriteStartObject("operationMetrics");
            foreach ((string k, string v) in metrics)
            {
                w.WriteString(k, v);
            }

            w.WriteEndObject();
            Job?.Write(w);
            w.WriteString("engineInfo", EngineInfo);
            w.WriteString("txnId", Guid.NewGuid().ToString());
            w.WriteEndObject();
        });
        return new CommitInfoAction(CommitInfo.Parse(raw));
    }

    /// <summary><c>Medallion/&lt;version&gt;</c>, the <c>engineInfo</c> of every commit this writer makes.</summary>
    public static string EngineInfo { get; } = "Medallion/" + ProductVersion();

    private static string ProductVersion()
    {
        string? v = typeof(Transaction).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(v))
        {
            return typeof(Transaction).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        }

        int plus = v.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? v : v[..plus];
    }

    /// <summary>Milliseconds as the invariant string commitInfo metrics use.</summary>
    public static string Metric(long value) => value.ToString(CultureInfo.InvariantCulture);
}
