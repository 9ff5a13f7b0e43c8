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
/// Cuts a row stream into batches: appends rows into the batch table until it holds
/// <see cref="SourceTableOptions.BatchRows"/>, then hands the batch out, and starts the next one only when the
/// consumer asks for it, so at most one batch is ever staged.
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

        await foreach (SourceBatch batch in StreamAsync(options, table, target, plan, logger, snapshotLsn: null, cancellationToken).ConfigureAwait(false))
        {
            yield return batch;
        }
    }

    /// <summary>
    /// Streams the batches of a started read and closes the reader (and its connection) at the end.
    /// <c>snapshotLsn</c> is set for the initial snapshot of change data capture: the slot's consistent point.
    /// </summary>
    public static async IAsyncEnumerable<SourceBatch> StreamAsync(
        SourceTableOptions options,
        string table,
        DuckDbConnection target,
        ReadPlan plan,
        ILogger logger,
        ulong? snapshotLsn,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        (IReadOnlyList<ColumnPlan> columnPlans, IRowReader reader, BoundaryTracker? tracker) = plan;
        await using (reader.ConfigureAwait(false))
        {
            using var batchTable = new BatchTable(target, columnPlans);
            SourceColumn[] columns = columnPlans.Select(c => c.ToSourceColumn()).ToArray();
            bool incremental = options.Mode == IngestionMode.Incremental;
            long sequence = 0, rows = 0, inBatch = 0;
            DuckDbAppender appender = batchTable.Begin();
            while (true)
            {
                RowOutcome outcome = await reader.ReadRowAsync(appender, cancellationToken).ConfigureAwait(false);
                if (outcome == RowOutcome.End)
                {
                    break;
                }

                if (outcome == RowOutcome.Skipped)
                {
                    continue;
                }

                rows++;
                if (++inBatch == options.BatchRows)
                {
                    yield return Complete(++sequence, inBatch);
                    inBatch = 0;
                    appender = batchTable.Begin();
                }
            }

            // A full load always ends with a batch, even an empty one: its completion replaces the table.
            if (inBatch > 0 || (options.Mode == IngestionMode.Full && sequence == 0))
            {
                yield return Complete(++sequence, inBatch);
            }

            SourceBatch Complete(long number, long count)
            {
                batchTable.Complete(options.SourceName, table);
                LogMessages.BatchStaged(logger, options.SourceName, table, number, count);
                SourcePosition position = tracker?.Position() ?? new SourcePosition(options.Mode, rows, [], [], [], snapshotLsn);
                return new SourceBatch(batchTable.QuotedName, columns, number, count, position, isCommitPoint: incremental);
            }
        }
    }
}
