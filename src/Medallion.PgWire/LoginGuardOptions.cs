using System;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.PgWire;

/// <summary>How a <see cref="LoginGuard"/> limits password checks.</summary>
public sealed record LoginGuardOptions
{
    /// <summary>
    /// After three failed logins from one address (an IPv6 /64) or for one account, a further failure holds its place
    /// (and its answer) this long, doubling with each failure up to <see cref="MaxFailedLoginDelay"/>. 500 ms by default;
    /// <see cref="TimeSpan.Zero"/> turns the delay off (the places still limit checks in parallel).
    /// </summary>
    public TimeSpan FailedLoginDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest a failed login holds its place because of <see cref="FailedLoginDelay"/>; 30 s by default.</summary>
    public TimeSpan MaxFailedLoginDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Password checks from one address (an IPv6 /64) in progress at once, a failed one counting until its delay
    /// ends; more wait for a place. 4 by default.
    /// </summary>
    public int AttemptsPerAddress { get; init; } = 4;

    /// <summary>
    /// Password checks for one account in progress at once, from any address; more wait for a place. Twice
    /// <see cref="AttemptsPerAddress"/> by default (8), so one address alone can never take every place of an account
    /// and its owner still gets in from elsewhere.
    /// </summary>
    public int AttemptsPerAccount { get; init; } = 8;

    /// <summary>How long a login waits for a place before it is refused; 10 s by default.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Called for each failed or refused login (after the failure is counted, before its answer), for the audit; awaited,
    /// so an audit that falls behind slows the guesser down. Not called when null.
    /// </summary>
    public Func<LoginFailure, CancellationToken, ValueTask>? Failed { get; init; }
}
