using System;
using System.Diagnostics;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// The timing every change stream's pass follows: when the pass is over (<see cref="SourceTableOptions.PassDuration"/>)
/// and when a batch is due at a transaction boundary (<see cref="SourceTableOptions.BatchRows"/>, or, in continuous
/// runs, as soon as no further change is waiting and at the latest <see cref="SourceTableOptions.CommitInterval"/>
/// after its first change). Both are asked only at commits.
/// </summary>
internal sealed class ChangePassClock
{
    private readonly SourceTableOptions _options;
    private readonly long _passStart;
    private readonly Stopwatch _batchClock = new();

    /// <param name="options">The source's settings.</param>
    /// <param name="previousPassEnd">When the source's previous pass stopped reading (a <see cref="Stopwatch"/> timestamp), if there was one.</param>
    public ChangePassClock(SourceTableOptions options, long? previousPassEnd)
    {
        _options = options;
        // A pass's time counts from where the previous pass stopped reading: the commit of its last batch and the
        // closing and reopening of the stream (which a server sometimes takes a second over) come out of it, so the
        // rows that arrived meanwhile wait one interval, not two. It still reads for half its time at least: a pass
        // that ended at its first transaction would spend more time reopening the stream than reading it.
        TimeSpan passTime = options.PassDuration ?? TimeSpan.Zero;
        long now = Stopwatch.GetTimestamp();
        long halfPass = (long)(passTime.TotalSeconds / 2 * Stopwatch.Frequency);
        _passStart = previousPassEnd is long previous ? Math.Max(previous, now - halfPass) : now;
    }

    /// <summary>The pass has run for its <see cref="SourceTableOptions.PassDuration"/>: it ends at this commit.</summary>
    public bool PassOver => _options.PassDuration is TimeSpan pass && Stopwatch.GetElapsedTime(_passStart) >= pass;

    /// <summary>Call before appending a change to a batch that holds <paramref name="inBatch"/> changes.</summary>
    public void Appending(long inBatch)
    {
        if (inBatch == 0)
        {
            _batchClock.Restart();
        }
    }

    /// <summary>
    /// A batch of <paramref name="inBatch"/> changes is to be committed at this commit: it is full, or, with a
    /// <see cref="SourceTableOptions.CommitInterval"/>, nothing more has arrived (<paramref name="nextArrived"/> false:
    /// group commit) or its first change is that old (changes keep coming faster than they are committed).
    /// </summary>
    /// <param name="inBatch">Changes in the batch.</param>
    /// <param name="nextArrived">The stream's next message is here already, so it can join the batch without a wait.</param>
    public bool BatchDue(long inBatch, bool nextArrived) =>
        inBatch >= _options.BatchRows
        || (inBatch > 0 && _options.CommitInterval is TimeSpan interval && (!nextArrived || _batchClock.Elapsed >= interval));
}
