namespace Medallion.Delta.Transactions;

/// <summary>What an <see cref="ICommitter"/> answers for one commit of one version.</summary>
public enum CommitResponse
{
    /// <summary>This commit is the version.</summary>
    Committed,

    /// <summary>Another commit holds the version; nothing was written.</summary>
    Conflicted,
}
