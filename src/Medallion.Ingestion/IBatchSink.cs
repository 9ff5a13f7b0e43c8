using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Ingestion;

/// <summary>
/// Where batches go: bronze implements it (Parquet through DuckDB, then a Delta commit whose <c>txn</c> holds the
/// position). <see cref="IngestionRunner"/> drives it.
/// </summary>
public interface IBatchSink
{
    /// <summary>The position stored with the last commit for <paramref name="sourceKey"/>, or null when there is none.</summary>
    Task<SourcePosition?> GetCommittedPositionAsync(string sourceKey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes one batch: reads <see cref="SourceBatch.Relation"/> before returning (its rows are replaced afterwards).
    /// When <see cref="SourceBatch.IsCommitPoint"/> is true, commits everything staged so far plus this batch,
    /// together with <see cref="SourceBatch.Position"/>, atomically before returning (bronze: one Delta commit whose
    /// <c>txn</c> holds the position); otherwise stages the rows, uncommitted.
    /// </summary>
    /// <remarks>The source acknowledges the position to the server only after this returns.</remarks>
    Task WriteBatchAsync(string sourceKey, SourceBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends a stream that delivered every batch: commits what is still staged (all of a full load, replacing the
    /// table's previous content) with <paramref name="position"/>. Not called when the stream failed or was
    /// cancelled: the sink then discards what it staged, so nothing is half-committed.
    /// </summary>
    Task CompleteAsync(string sourceKey, SourcePosition? position, CancellationToken cancellationToken = default);
}
