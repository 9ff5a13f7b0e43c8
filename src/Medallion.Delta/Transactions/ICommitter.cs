using System;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Delta.Transactions;

/// <summary>
/// The seam through which a <see cref="Transaction"/> makes its actions a version of a table's log (delta-kernel-rs's
/// <c>Committer</c>). The default, <see cref="ObjectStoreCommitter"/>, writes <c>_delta_log/&lt;version&gt;.json</c> with the
/// store's put-if-absent; a catalog that coordinates commits (a catalog-managed table) implements this to ratify the
/// version itself. A table's committer is <see cref="DeltaTable.Committer"/>.
/// </summary>
/// <remarks>
/// Guarantees an implementation keeps: of two commits of one version at most one gets
/// <see cref="CommitResponse.Committed"/>, and a reader of the log sees a committed version whole or not at all; a call
/// that answers <see cref="CommitResponse.Conflicted"/> wrote nothing. A failure of its own (a store or catalog request)
/// is thrown as a <see cref="MedallionException"/>, transient when asking again may succeed; the transaction then reports
/// the commit as <see cref="CommitOutcome.Retryable"/>.
/// </remarks>
public interface ICommitter
{
    /// <summary>Commits <paramref name="actions"/> as <paramref name="version"/> of <paramref name="table"/>'s log, unless that version exists.</summary>
    /// <param name="table">The table committed to.</param>
    /// <param name="version">The version to create: the version the transaction read plus one, or later after a rebase.</param>
    /// <param name="actions">The commit's actions, newline-delimited JSON as the log holds them.</param>
    /// <param name="cancellationToken">Cancels the commit; a cancelled commit wrote nothing, or its answer is lost as with any failure.</param>
    /// <returns>Whether this call created the version, or another commit holds it.</returns>
    /// <exception cref="MedallionException">The commit request failed (transient when asking again may succeed).</exception>
    Task<CommitResponse> CommitAsync(DeltaTable table, long version, ReadOnlyMemory<byte> actions, CancellationToken cancellationToken);
}
