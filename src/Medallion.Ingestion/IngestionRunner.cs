using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;

namespace Medallion.Ingestion;

/// <summary>Moves one source into one sink: resume from the committed position, write each batch, complete, acknowledge.</summary>
public static class IngestionRunner
{
    /// <summary>
    /// Lands the source in the bronze table at <paramref name="tablePath"/>: runs it to its current end into a
    /// <see cref="BronzeSink"/> committing through <paramref name="writer"/>, resuming after the position the table holds
    /// for <paramref name="sourceName"/>. Every database and API source that is read (not pushed) lands through here.
    /// </summary>
    /// <param name="source">The source; it stages its batches in the writer's connection.</param>
    /// <param name="writer">Writes Parquet and commits on its open DuckDB connection, with the caller's stores, logs and commit fence (see <see cref="BronzeSink(DeltaWriter, string, string)"/>).</param>
    /// <param name="tablePath">The bronze table's root directory (created by the first commit when missing).</param>
    /// <param name="sourceName">The source's name as the project knows it; names the metadata domain of its position.</param>
    /// <param name="cancellationToken">Stops the run; what was committed stays committed, nothing is half-committed.</param>
    /// <returns>What moved, the version this run committed last (null when nothing), and the table's version now (null when it has none).</returns>
    /// <exception cref="MedallionException">The source or the table failed, or the writer's fence refused a commit; what was committed before stays committed, and the source is not acknowledged past it.</exception>
    public static async Task<BronzeLanding> LandAsync(
        IIngestionSource source, DeltaWriter writer, string tablePath, string sourceName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(writer);
        var sink = new BronzeSink(writer, tablePath, sourceName);
        IngestionResult result = await RunAsync(source, sink, writer.Connection, cancellationToken).ConfigureAwait(false);
        long? version = sink.LastCommittedVersion ?? await sink.GetTableVersionAsync(cancellationToken).ConfigureAwait(false);
        return new BronzeLanding(result, sink.LastCommittedVersion, version);
    }

    /// <summary>Runs the source to its current end (one run of a pipeline's source step).</summary>
    /// <returns>How many batches and rows were written, and the position reached.</returns>
    /// <exception cref="MedallionException">The source or the sink failed; what was committed before stays committed.</exception>
    public static async Task<IngestionResult> RunAsync(IIngestionSource source, IBatchSink sink, DuckDbConnection target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(target);

        SourcePosition? start = await sink.GetCommittedPositionAsync(source.Key, cancellationToken).ConfigureAwait(false);
        SourcePosition? last = start;
        long batches = 0, rows = 0;
        await foreach (SourceBatch batch in source.ReadAsync(target, start, cancellationToken).ConfigureAwait(false))
        {
            await sink.WriteBatchAsync(source.Key, batch, cancellationToken).ConfigureAwait(false);
            batches++;
            rows += batch.RowCount;
            last = batch.Position;
            if (batch.IsCommitPoint)
            {
                await source.AcknowledgeAsync(batch.Position, cancellationToken).ConfigureAwait(false);
            }
        }

        await sink.CompleteAsync(source.Key, last, cancellationToken).ConfigureAwait(false);
        if (last is not null && !ReferenceEquals(last, start))
        {
            await source.AcknowledgeAsync(last, cancellationToken).ConfigureAwait(false);
        }

        return new IngestionResult(batches, rows, last);
    }
}
