using System;
using System.CommandLine;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Cli.Commands;

/// <summary>
/// Bounds how a long-running command stops (<c>server</c>, <c>run --continuous</c>, <c>ingest --continuous</c>): on Ctrl+C or SIGTERM the work
/// under way gets its grace to finish by itself, then <see cref="Abort"/> cancels it, and it has
/// <see cref="AfterCancel"/> more to observe that; past that the command returns anyway, so a stop never hangs.
/// </summary>
internal sealed class ShutdownGrace : IDisposable
{
    /// <summary>How long cancelled work may take to stop (a model's DuckDB query interrupted, a run recorded cancelled).</summary>
    public static readonly TimeSpan AfterCancel = TimeSpan.FromSeconds(10);

    /// <summary>The option's name; <see cref="MedallionCli"/> reads it to give the process its time to stop.</summary>
    public const string OptionName = "--grace";

    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _overdue = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenRegistration _stopped;
    private readonly Timer _overdueTimer;

    /// <param name="grace">How long the work under way may go on after <paramref name="stop"/>.</param>
    /// <param name="stop">Ctrl+C or SIGTERM.</param>
    public ShutdownGrace(TimeSpan grace, CancellationToken stop)
    {
        Grace = grace;
        _overdueTimer = new Timer(_ => _overdue.TrySetResult());
        _stopped = stop.Register(() =>
        {
            _abort.CancelAfter(grace);
            _overdueTimer.Change(grace + AfterCancel, Timeout.InfiniteTimeSpan);
        });
    }

    /// <summary>The grace the work has after the stop.</summary>
    public TimeSpan Grace { get; }

    /// <summary>Cancelled once the grace after the stop is over: the work under way stops (and commits nothing more).</summary>
    public CancellationToken Abort => _abort.Token;

    /// <summary>True when the grace ran out and the work was cancelled.</summary>
    public bool Aborted => _abort.IsCancellationRequested;

    /// <summary>The <c>--grace</c> option, with what it means for the command; a value that is not a duration is a parse error.</summary>
    public static Option<string> CreateOption(string description)
    {
        var option = new Option<string>(OptionName) { Description = description, DefaultValueFactory = _ => "30s", HelpName = "duration" };
        SqlEndpointArguments.AcceptOnlyDurations(option, "30s, 2min or 500ms", TimeSpan.Zero);
        return option;
    }

    /// <summary>Waits for <paramref name="work"/>; false when it had not ended <see cref="AfterCancel"/> after it was cancelled.</summary>
    public async Task<bool> EndedAsync(Task work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (await Task.WhenAny(work, _overdue.Task).ConfigureAwait(false) != work)
        {
            return false;
        }

        await work.ConfigureAwait(false);
        return true;
    }

    public void Dispose()
    {
        _stopped.Dispose();
        _overdueTimer.Dispose();
        _abort.Dispose();
    }
}
