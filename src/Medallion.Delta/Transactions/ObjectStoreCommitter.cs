using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Log;

namespace Medallion.Delta.Transactions;

/// <summary>
/// The default <see cref="ICommitter"/>: put-if-absent of <c>_delta_log/&lt;version&gt;.json</c> in the table's store, the
/// commit of a file-system or object-store table (PROTOCOL.md requires mutual exclusion of writers of one version). It
/// is as safe against other processes as the store's conditional put (<see cref="Storage.IObjectStore.SupportsConditionalPut"/>).
/// </summary>
public sealed class ObjectStoreCommitter : ICommitter
{
    /// <summary>The one instance (the committer keeps no state).</summary>
    public static ObjectStoreCommitter Instance { get; } = new();

    private ObjectStoreCommitter()
    {
    }

    /// <inheritdoc/>
    public async Task<CommitResponse> CommitAsync(DeltaTable table, long version, ReadOnlyMemory<byte> actions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        bool created = await table.Store.PutIfAbsentAsync(LogFile.CommitKey(version), actions, cancellationToken).ConfigureAwait(false);
        return created ? CommitResponse.Committed : CommitResponse.Conflicted;
    }
}
