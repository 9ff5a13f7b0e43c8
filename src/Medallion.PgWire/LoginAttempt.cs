using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.PgWire;

/// <summary>
/// One password check holding its places in a <see cref="LoginGuard"/>: end it with <see cref="Succeeded"/> or
/// <see cref="FailAsync"/>; disposing it unended gives its places back.
/// </summary>
public sealed class LoginAttempt : IDisposable
{
    private readonly LoginGuard _guard;
    private readonly string _surface;
    private readonly string _account;
    private readonly EndPoint? _client;
    private readonly IPAddress _address;
    private int _ended;

    internal LoginAttempt(LoginGuard guard, string surface, string account, EndPoint? client, IPAddress address)
    {
        _guard = guard;
        _surface = surface;
        _account = account;
        _client = client;
        _address = address;
    }

    /// <summary>The password was right: the places are given back at once.</summary>
    public void Succeeded()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            _guard.Release(_address, _account);
        }
    }

    /// <summary>
    /// The password was wrong or the user unknown: counts the failure against the address and the account, logs and
    /// audits it, and waits as long as the failure holds its places before the caller answers. The places are held for
    /// that long even when <paramref name="cancellationToken"/> ends the wait (the client left).
    /// </summary>
    /// <param name="reason">What the client is told, for the log and the audit.</param>
    /// <param name="cancellationToken">Stops waiting (not the holding).</param>
    public async Task FailAsync(string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            throw new InvalidOperationException("The login attempt has ended already.");
        }

        TimeSpan delay = _guard.CountFailure(_address, _account);
        _guard.ReleaseAfter(delay, _address, _account);
        await _guard.ReportAsync(_surface, _account, _client, _address, throttled: false, reason, cancellationToken).ConfigureAwait(false);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _guard.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gives the places back when the attempt was not ended (the client left before its password was checked).</summary>
    public void Dispose() => Succeeded();
}
