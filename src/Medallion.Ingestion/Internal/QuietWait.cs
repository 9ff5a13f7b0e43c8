using System;
using System.Diagnostics;
using System.Threading;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// Ends a pass over a logical replication stream once it is drained: cancels <see cref="Token"/> after
/// <see cref="SourceTableOptions.ChangeWait"/> spent waiting for a message between transactions, but only once the
/// server has reported decoding as far as its WAL reached when the stream began. A resumed stream first decodes the
/// WAL from its slot on, and WAL of other tables (a bulk load) keeps it silent for as long as that takes: ending
/// there would leave changes committed before the pass began for a later pass, which starts over from the slot.
/// </summary>
/// <remarks>
/// The stream's reader calls <see cref="Waiting"/> before it waits between transactions and <see cref="Busy"/> when
/// a message arrives; a timer on another thread checks the two conditions, so a caught-up report that arrives while
/// the reader waits (a keepalive, which the driver handles without yielding a message) still ends the wait.
/// </remarks>
internal sealed class QuietWait : IDisposable
{
    private readonly CancellationTokenSource _quiet;
    private readonly TimeSpan _wait;
    private readonly Func<bool> _caughtUp;
    private readonly Timer _timer;
    private readonly Lock _lock = new();
    // When the reader began waiting between transactions (a Stopwatch timestamp); null while it handles a message
    // or is inside a transaction.
    private long? _waitingSince;
    private bool _disposed;

    /// <param name="wait">How long a wait between transactions makes the stream quiet.</param>
    /// <param name="caughtUp">Whether the server has reported decoding as far as its WAL reached when the stream began; called on a timer thread.</param>
    /// <param name="cancellationToken">The caller's token: cancelling it cancels <see cref="Token"/> too.</param>
    public QuietWait(TimeSpan wait, Func<bool> caughtUp, CancellationToken cancellationToken)
    {
        _quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _wait = wait;
        _caughtUp = caughtUp;
        // A few checks per wait, so the stream ends at most a quarter of a wait late.
        TimeSpan period = TimeSpan.FromTicks(Math.Clamp(wait.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerMillisecond * 250));
        _timer = new Timer(_ => Check(), null, period, period);
    }

    /// <summary>Cancelled when the stream is quiet, or when the caller's token is.</summary>
    public CancellationToken Token => _quiet.Token;

    /// <summary>The reader is about to wait for the next message between transactions: the quiet time starts.</summary>
    public void Waiting()
    {
        lock (_lock)
        {
            _waitingSince = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>A message arrived (or a batch is with the sink, or a transaction is open): nothing is quiet until <see cref="Waiting"/>.</summary>
    public void Busy()
    {
        lock (_lock)
        {
            _waitingSince = null;
        }
    }

    /// <summary>Ends the wait now, quiet or not (the reader is leaving).</summary>
    public void Stop()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _quiet.Cancel();
            }
        }
    }

    private void Check()
    {
        lock (_lock)
        {
            if (!_disposed && _waitingSince is long since && !_quiet.IsCancellationRequested && Stopwatch.GetElapsedTime(since) >= _wait && _caughtUp())
            {
                _quiet.Cancel();
            }
        }
    }

    public void Dispose()
    {
        // A check already running on the timer's thread finishes before the token goes, and none cancels after.
        lock (_lock)
        {
            _disposed = true;
        }

        _timer.Dispose();
        _quiet.Dispose();
    }
}
