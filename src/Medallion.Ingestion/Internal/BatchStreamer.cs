using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Microsoft.Extensions.Logging;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// Cuts a row stream into batches: appends rows into a batch table until it holds
/// <see cref="SourceTableOptions.BatchRows"/>, then hands the batch out and reads the next one into a second table
/// meanwhile, so at most two batches are ever staged.
/// </summary>
internal static class BatchStreamer
{
    /// <summary>Connects, starts the read (closing the connection if that fails), and streams its batches.</summary>
    public static async IAsyncEnumerable<SourceBatch> StreamAsync<TConnection>(
        SourceTableOptions options,
        string table,
        DuckDbConnection target,
        Func<CancellationToken, Task<TConnection>> connect,
        Func<TConnection, CancellationToken, Task<ReadPlan>> start,
        ILogger logger,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TConnection : IAsyncDisposable
    {
        TConnection connection = await connect(cancellationToken).ConfigureAwait(false);
        ReadPlan plan;
        try
        {
            plan = await start(connection, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await foreach (SourceBatch batch in StreamAsync(options, table, target, plan, logger, snapshotAt: null, cancellationToken).ConfigureAwait(false))
        {
            yield return batch;
        }
    }

    /// <summary>
    /// Streams the batches of a started read and closes the reader (and its connection) at the end.
    /// <c>snapshotAt</c> is set for the initial snapshot of change data capture: where the change stream starts
    /// (the slot's consistent point, the binlog position of the snapshot), which every snapshot batch carries.
    /// </summary>
    /// <remarks>
    /// The rows are read on a thread of their own, on a second connection to <paramref name="target"/>'s database,
    /// into two batch tables in turn: while the consumer writes one batch out, the next one is read, so the source
    /// and the writer work at the same time and at most two batches are held.
    /// </remarks>
    public static async IAsyncEnumerable<SourceBatch> StreamAsync(
        SourceTableOptions options,
        string table,
        DuckDbConnection target,
        ReadPlan plan,
        ILogger logger,
        SourcePosition? snapshotAt,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        (IReadOnlyList<ColumnPlan> columnPlans, IRowReader reader, BoundaryTracker? tracker) = plan;
        await using (reader.ConfigureAwait(false))
        {
            using DuckDbConnection staging = target.OpenSibling();
            using var first = new BatchTable(staging, columnPlans, options.SourceName, table);
            using var second = new BatchTable(staging, columnPlans, options.SourceName, table);
            var filler = new BatchFiller(options, table, reader, tracker, snapshotAt, logger, columnPlans.Select(c => c.ToSourceColumn()).ToArray());
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task<SourceBatch?> next = filler.FillAsync(first, stop.Token);
            try
            {
                for (BatchTable other = second; ; other = other == first ? second : first)
                {
                    SourceBatch? batch = await next.ConfigureAwait(false);
                    cancellationToken.ThrowIfCancellationRequested();
                    if (batch is null)
                    {
                        yield break;
                    }

                    // The consumer is done with the other table once it asks for this batch.
                    next = filler.FillAsync(other, stop.Token);
                    yield return batch;
                }
            }
            finally
            {
                // A consumer that stops early (or fails) must not leave a read running into tables disposed below.
                await stop.CancelAsync().ConfigureAwait(false);
                try
                {
                    await next.ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or MedallionException)
                {
                    // The read was stopped on purpose; the consumer's own outcome is what the caller sees.
                }
            }
        }
    }

    /// <summary>Fills batch tables one at a time from a row reader, on a dedicated thread, and numbers the batches.</summary>
    private sealed class BatchFiller(SourceTableOptions options, string table, IRowReader reader, BoundaryTracker? tracker, SourcePosition? snapshotAt, ILogger logger, SourceColumn[] columns)
    {
        private long _sequence;
        private long _rows;
        private bool _ended;

        /// <summary>Reads up to a batch of rows into <paramref name="batchTable"/>; null when the stream has ended.</summary>
        public Task<SourceBatch?> FillAsync(BatchTable batchTable, CancellationToken cancellationToken) => _ended
            ? Task.FromResult<SourceBatch?>(null)
            : Task.Factory.StartNew(() => Fill(batchTable, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        private SourceBatch? Fill(BatchTable batchTable, CancellationToken cancellationToken)
        {
            DuckDbAppender appender = batchTable.Begin();
            long inBatch = 0;
            try
            {
                using CancellationTokenRegistration registration = cancellationToken.Register(reader.Cancel);
                while (inBatch < options.BatchRows)
                {
                    RowOutcome outcome = reader.ReadRow(appender);
                    if (outcome == RowOutcome.End)
                    {
                        _ended = true;
                        break;
                    }

                    if (outcome == RowOutcome.Appended)
                    {
                        inBatch++;
                    }

                    if ((inBatch & 1023) == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                }
            }
            catch (MedallionException e) when (cancellationToken.IsCancellationRequested)
            {
                // A cancelled read fails on the server's side; the caller asked for it, so it sees a cancellation.
                throw new OperationCanceledException("The read was cancelled.", e, cancellationToken);
            }

            cancellationToken.ThrowIfCancellationRequested();
            // A full load always ends with a batch, even an empty one: its completion replaces the table.
            if (inBatch == 0 && !(options.Mode == IngestionMode.Full && _sequence == 0))
            {
                batchTable.Complete();
                return null;
            }

            _rows += inBatch;
            batchTable.Complete();
            LogMessages.BatchStaged(logger, options.SourceName, table, ++_sequence, inBatch);
            SourcePosition position = tracker?.Position() ?? snapshotAt?.WithRows(_rows) ?? new SourcePosition(options.Mode, _rows, [], [], []);
            return new SourceBatch(batchTable.Relation, columns, _sequence, inBatch, position, isCommitPoint: options.Mode == IngestionMode.Incremental);
        }
    }
}
