using System;
using System.Diagnostics;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// The timing every change stream's pass follows: when the pass is over (<see cref="SourceTableOptions.PassDuration"/>)
/// and when a batch is due at a transaction boundary (<see cref="SourceTableOptions.BatchRows"/>, or, in continuous
/// runs, once no further change is waiting and the pass's previous commit is <see cref="SourceTableOptions.CommitInterval"/>
/// old, and at the latest <see cref="SourceTableOptions.CommitInterval"/> after its first change). Both are asked only
/// at commits.
/// </summary>
/// <remarks>
/// The spacing bounds the files a stream makes (one a commit) at one per <see cref="SourceTableOptions.CommitInterval"/>
/// whatever the rate, and keeps the interval the knob that trades latency for fewer files; a change that comes after a
/// quiet spell is committed at once.
/// </remarks>
internal sealed class ChangePassClock
{
    private readonly SourceTableOptions _options;
    private readonly long _passStart;
    private readonly Stopwatch _batchClock = new();
    // Since the pass's last commit; not running before its first, which need not wait.
    private readonly Stopwatch _sinceCommit = new();

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
    /// How long a batch that could go alone (nothing more has arrived) still waits for more changes: until the pass's
    /// previous commit is <see cref="SourceTableOptions.CommitInterval"/> old; zero when it may go now.
    /// </summary>
    public TimeSpan UntilGroupCommit =>
        _options.CommitInterval is TimeSpan interval && _sinceCommit.IsRunning && _sinceCommit.Elapsed < interval ? interval - _sinceCommit.Elapsed : TimeSpan.Zero;

    /// <summary>
    /// A batch of <paramref name="inBatch"/> changes is to be committed at this commit: it is full, or, with a
    /// <see cref="SourceTableOptions.CommitInterval"/>, nothing more has arrived (<paramref name="nextArrived"/> false:
    /// group commit) and <see cref="UntilGroupCommit"/> has passed, or its first change is that old (changes keep
    /// coming faster than they are committed).
    /// </summary>
    /// <param name="inBatch">Changes in the batch.</param>
    /// <param name="nextArrived">The stream's next message is here already, so it can join the batch without a wait.</param>
    public bool BatchDue(long inBatch, bool nextArrived) =>
        inBatch >= _options.BatchRows
        || (inBatch > 0 && _options.CommitInterval is TimeSpan interval
            && ((!nextArrived && UntilGroupCommit == TimeSpan.Zero) || _batchClock.Elapsed >= interval));

    /// <summary>Call when a batch goes to be committed: the spacing of the next group commit counts from now.</summary>
    public void Committed() => _sinceCommit.Restart();
}
