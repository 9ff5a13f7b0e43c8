using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Ingestion;

/// <summary>A source of rows (a database table, later a change stream) that streams them into DuckDB in batches.</summary>
public interface IIngestionSource
{
    /// <summary>
    /// A stable identifier of what is read (kind, server, database and table, never credentials), to store the
    /// position under, e.g. as the Delta <c>txn</c> application id.
    /// </summary>
    string Key { get; }

    /// <summary>
    /// Streams the rows after <paramref name="after"/> (all of them when null, or in full mode) as batches staged
    /// in DuckDB tables that <paramref name="target"/> reads. Memory is bounded by two batches whatever the table size.
    /// </summary>
    /// <param name="target">An open DuckDB connection; the batch tables are its temporary tables or tables of its database instance.</param>
    /// <param name="after">The last committed position, or null for a first run.</param>
    /// <param name="cancellationToken">Stops the stream; it then throws <see cref="System.OperationCanceledException"/>, never ends quietly.</param>
    /// <exception cref="MedallionException">
    /// The source is unreachable (transient, after retries), rejects the login, lacks the table or a named column,
    /// has a column of an unmappable type, or fails while rows are read; the message names the source, table and column.
    /// </exception>
    IAsyncEnumerable<SourceBatch> ReadAsync(DuckDbConnection target, SourcePosition? after, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tells the source that everything up to <paramref name="committed"/> is durably committed, so it may release
    /// it (a replication slot advances its confirmed LSN). Table sources keep no server-side state and return at once.
    /// </summary>
    Task AcknowledgeAsync(SourcePosition committed, CancellationToken cancellationToken = default);
}
