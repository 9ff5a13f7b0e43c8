namespace Medallion.Delta.Transactions;

/// <summary>The outcome of a commit attempt.</summary>
/// <param name="Version">The version committed, or the existing version when nothing had to be committed.</param>
/// <param name="Committed">False when the application transaction (<c>txn</c>) was already committed, so the write was a no-op.</param>
/// <param name="Attempts">How many put-if-absent attempts it took (1 without contention).</param>
public sealed record CommitResult(long Version, bool Committed, int Attempts)
{
    /// <summary>
    /// The table's metadata at <see cref="Version"/> when this transaction committed it (the metadata it wrote, or the one
    /// it read, which no winner it committed after may have changed); null when nothing was committed. Lets a writer
    /// decide whether the version is due a checkpoint without loading the table again.
    /// </summary>
    public Actions.Metadata? Metadata { get; init; }

    /// <summary>
    /// The table at <see cref="Version"/>, built from the snapshot the transaction read and the actions it committed,
    /// when no other commit came between them and the commit kept the protocol and metadata (or created the table);
    /// else null. Lets a writer go on from its own commit without reading it back from the store. Its
    /// <see cref="Snapshots.Snapshot.Timestamp"/> is the commit's own clock until the log is listed again.
    /// </summary>
    public Snapshots.Snapshot? Snapshot { get; init; }
}
