namespace Medallion.Delta.Transactions;

/// <summary>The outcome of one <see cref="Transaction.CommitAsync"/>.</summary>
/// <param name="Outcome">How the commit ended.</param>
/// <param name="Version">
/// The version committed; the version that holds the application transaction when nothing had to be committed; the version
/// another writer took (<see cref="CommitOutcome.Conflicted"/>) or the one whose commit request failed (<see cref="CommitOutcome.Retryable"/>).
/// </param>
/// <param name="Attempts">How many commit requests the transaction has made so far (1 without contention).</param>
public sealed record CommitResult(CommitOutcome Outcome, long Version, int Attempts)
{
    /// <summary>True when this commit is <see cref="Version"/> of the table.</summary>
    public bool Committed => Outcome == CommitOutcome.Committed;

    /// <summary>The failure of the commit request, for <see cref="CommitOutcome.Retryable"/>; else null.</summary>
    public MedallionException? Error { get; init; }

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
