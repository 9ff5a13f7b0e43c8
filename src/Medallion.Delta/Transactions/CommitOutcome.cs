namespace Medallion.Delta.Transactions;

/// <summary>How one <see cref="Transaction.CommitAsync"/> ended (delta-kernel-rs's committed, conflicted and retryable transactions).</summary>
public enum CommitOutcome
{
    /// <summary>The transaction is <see cref="CommitResult.Version"/> of the table.</summary>
    Committed,

    /// <summary>
    /// Nothing was written: the table already holds every application transaction (<c>txn</c>) of this commit, at
    /// <see cref="CommitResult.Version"/> (a retry of work that was committed).
    /// </summary>
    AlreadyCommitted,

    /// <summary>
    /// Another writer committed <see cref="CommitResult.Version"/> first; nothing was written. The caller may
    /// <see cref="Transaction.RebaseAsync"/> the transaction past the winners and commit again, or give up.
    /// </summary>
    Conflicted,

    /// <summary>
    /// The commit request failed transiently (<see cref="CommitResult.Error"/>): asking again may succeed. Whether the
    /// version was written may be unknown (a lost answer), so a caller that commits again must be able to recognise its own
    /// commit among the winners (an application transaction does); the engine's writer reports the error instead.
    /// </summary>
    Retryable,
}
