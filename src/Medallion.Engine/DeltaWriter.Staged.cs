using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;

namespace Medallion.Engine;

public sealed partial class DeltaWriter
{
    /// <summary>
    /// Starts one write whose rows come from several queries (e.g. the batches of a streamed source): each
    /// <see cref="DeltaStagedWrite.AddAsync"/> writes data files at once, so memory stays bounded by one query's
    /// result, and <see cref="DeltaStagedWrite.CommitAsync"/> makes them all visible in one commit, with the options'
    /// <c>txn</c> and metadata domains. Nothing is visible before that commit; an abandoned write leaves orphan files
    /// that VACUUM removes.
    /// </summary>
    /// <remarks>Not retried on a conflict (its files are already written against the version it read); the caller starts again.</remarks>
    public Task<DeltaStagedWrite> BeginWriteAsync(string path, DeltaWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new DeltaWriteOptions();
        ValidateWriteOptions(options);
        return StartWriteAsync(path, options, cancellationToken);
    }

    /// <summary>
    /// The snapshot of the table at <paramref name="path"/> at <paramref name="version"/>: the one this writer holds when it
    /// is that version (the version it just committed, say), else read from the log.
    /// </summary>
    /// <exception cref="MedallionException">As <see cref="Delta.DeltaTable.GetSnapshotAsync"/>.</exception>
    public async Task<Snapshot> GetSnapshotAsync(string path, long version, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        DeltaTable table = OpenTable(path);
        return Snapshots.TryGet(table.Location, withoutFiles: false, out Snapshot known) && known.Version == version
            ? known
            : await table.GetSnapshotAsync(version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The newest snapshot of the table at <paramref name="path"/> (its domains, txn versions, schema), or null when there is
    /// no table; without its files when this writer <see cref="AppendsFromVersionChecksums"/>.
    /// </summary>
    public Task<Snapshot?> TryGetSnapshotAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return TryLatestAsync(OpenTable(path), cancellationToken, withoutFiles: true);
    }

    private async Task<DeltaStagedWrite> StartWriteAsync(string path, DeltaWriteOptions options, CancellationToken cancellationToken)
    {
        await PrepareSessionAsync(cancellationToken).ConfigureAwait(false);
        DeltaTable table = OpenTable(path);
        // An overwrite removes the files it replaces, so only an append may start from a snapshot without them.
        Snapshot? snapshot = await TryLatestAsync(table, cancellationToken, withoutFiles: options.Mode == DeltaWriteMode.Append).ConfigureAwait(false);
        EnsureMayChange(table, snapshot, "WRITE");
        return new DeltaStagedWrite(this, table, snapshot, new Transaction(table, snapshot, options.Isolation), options);
    }
}
