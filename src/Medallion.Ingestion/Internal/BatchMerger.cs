using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// Interleaves the batches of several streams of one full load (the parts of a table read at once) into one stream,
/// numbered from 1, each carrying the rows delivered so far by all of them.
/// </summary>
/// <remarks>
/// Each part keeps the contract of <see cref="BatchStreamer"/>: its previous batch is free once the consumer asks
/// for the next batch, so a part is asked for its next batch only when the consumer asks for one after taking that
/// part's batch. Every part reads ahead into its second batch table meanwhile, so at most two batches per part are
/// staged. The empty batch of an empty part is dropped once another batch was yielded; one that comes first is
/// yielded, so a load that delivers nothing still yields a batch (a full load's completion replaces the table).
/// </remarks>
internal static class BatchMerger
{
    public static async IAsyncEnumerable<SourceBatch> MergeAsync(
        IReadOnlyList<IAsyncEnumerable<SourceBatch>> parts, IngestionMode mode, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var enumerators = new IAsyncEnumerator<SourceBatch>?[parts.Count];
        var pending = new Task<bool>?[parts.Count];
        try
        {
            for (int i = 0; i < parts.Count; i++)
            {
                IAsyncEnumerator<SourceBatch> enumerator = parts[i].GetAsyncEnumerator(stop.Token);
                enumerators[i] = enumerator;
                pending[i] = enumerator.MoveNextAsync().AsTask();
            }

            long sequence = 0, rows = 0;
            while (pending.Any(p => p is not null))
            {
                Task<bool> done = await Task.WhenAny(pending.Where(p => p is not null)!).ConfigureAwait(false);
                int part = Array.IndexOf(pending, done);
                pending[part] = null;
                if (!await done.ConfigureAwait(false))
                {
                    continue;
                }

                IAsyncEnumerator<SourceBatch> source = enumerators[part]!;
                SourceBatch batch = source.Current;
                if (batch.RowCount > 0 || sequence == 0)
                {
                    rows += batch.RowCount;
                    yield return new SourceBatch(batch.Relation, batch.Columns, ++sequence, batch.RowCount, new SourcePosition(mode, rows, [], [], []), isCommitPoint: false);
                }

                pending[part] = source.MoveNextAsync().AsTask();
            }
        }
        finally
        {
            // A part still reading is stopped, and each is disposed (closing its connection) once its read has ended.
            await stop.CancelAsync().ConfigureAwait(false);
            for (int i = 0; i < parts.Count; i++)
            {
                if (pending[i] is { } reading)
                {
                    try
                    {
                        await reading.ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is OperationCanceledException or MedallionException)
                    {
                        // Stopped on purpose; the outcome the caller sees is the one that ended the merge.
                    }
                }

                if (enumerators[i] is { } enumerator)
                {
                    await enumerator.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }
}
