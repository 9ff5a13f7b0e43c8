using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Medallion.PgWire.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.PgWire;

/// <summary>
/// The one gate every password check goes through, whatever the surface (the SQL endpoint, the REST API's HTTP Basic,
/// the web UI's sign-in form): a check takes a place of its address and a place of its account before the password is
/// looked at, so guesses sent in parallel wait for each other like guesses sent in a row; a failed check keeps its
/// places (and its answer) for a delay that doubles with the failures of its address and of its account.
/// </summary>
/// <remarks>
/// <para>
/// Numbers. At most <see cref="LoginGuardOptions.AttemptsPerAddress"/> checks from one address and
/// <see cref="LoginGuardOptions.AttemptsPerAccount"/> for one account run at once; the first three failures of an
/// address or account cost nothing more, then each failure holds its places for <see cref="LoginGuardOptions.FailedLoginDelay"/>,
/// doubling up to <see cref="LoginGuardOptions.MaxFailedLoginDelay"/>. A guesser on one address therefore gets at most
/// AttemptsPerAddress guesses per MaxFailedLoginDelay once the delay has grown (4 per 30 s by default), however many
/// connections it opens; many addresses against one account, AttemptsPerAccount per MaxFailedLoginDelay. Failures are
/// forgotten <see cref="ForgetAfter"/> after the last one (the lock-out window).
/// </para>
/// <para>
/// Who is not slowed. A right password is never delayed for its own sake: it waits only while every place of its
/// address or account is held. Since one address can hold at most half an account's places by default, the account's
/// owner logs in from another address while a single address guesses; people sharing the guesser's address (an office
/// behind one NAT) wait at most for a place.
/// </para>
/// <para>
/// A place held by a failure is released when its delay ends, whether or not the client waits for its answer. Memory is
/// bounded: at most <see cref="MaxTracked"/> addresses and as many accounts are remembered; at the bound, forgiven entries
/// go first, then the one whose last failure is oldest (never one with a check in progress). An IPv6 client is counted
/// by its /64. Every failure is logged (at most one line per address a minute, with the count of the others) and
/// reported to <see cref="LoginGuardOptions.Failed"/>. Thread-safe.
/// </para>
/// </remarks>
public sealed class LoginGuard
{
    /// <summary>The surface of the SQL endpoint (PostgreSQL wire protocol).</summary>
    public const string SqlSurface = "sql";

    /// <summary>The surface of the REST API (HTTP Basic).</summary>
    public const string ApiSurface = "api";

    /// <summary>The surface of the web UI's sign-in form.</summary>
    public const string WebSurface = "web";

    /// <summary>Failures of an address or account answered without delay.</summary>
    public const int FreeFailures = 3;

    /// <summary>The most addresses (and, apart, accounts) remembered at once.</summary>
    public const int MaxTracked = 10_000;

    /// <summary>An address or account is forgiven after this long without a failed login.</summary>
    public static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(5);

    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, Entry> _addresses = [];
    private readonly Dictionary<string, Entry> _accounts = new(StringComparer.Ordinal);
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LogLimiter<IPAddress> _failureLog;

    /// <summary>Creates a guard.</summary>
    /// <param name="options">Places, delays and the audit sink; the defaults when null.</param>
    /// <param name="time">The clock of delays and forgiveness; the system's when null.</param>
    /// <param name="logger">Where failed logins are logged (rate-limited); nowhere when null.</param>
    public LoginGuard(LoginGuardOptions? options = null, TimeProvider? time = null, ILogger? logger = null)
    {
        Options = options ?? new LoginGuardOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.AttemptsPerAddress, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.AttemptsPerAccount, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.FailedLoginDelay, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.MaxWait, TimeSpan.Zero, nameof(options));
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _failureLog = new LogLimiter<IPAddress>(_time, TimeSpan.FromMinutes(1));
    }

    /// <summary>The clock of delays and forgiveness.</summary>
    internal TimeProvider Time => _time;

    /// <summary>The places, delays and audit sink the guard works with.</summary>
    public LoginGuardOptions Options { get; }

    /// <summary>The number of addresses and accounts remembered now (with failures or checks in progress).</summary>
    public (int Addresses, int Accounts) Tracked
    {
        get
        {
            lock (_gate)
            {
                return (_addresses.Count, _accounts.Count);
            }
        }
    }

    /// <summary>
    /// Takes a place of the client's address and of the account for one password check, waiting for one to come free
    /// (first come, first served) up to <see cref="LoginGuardOptions.MaxWait"/>. End the attempt with
    /// <see cref="LoginAttempt.Succeeded"/> or <see cref="LoginAttempt.FailAsync"/>; disposing it unended gives the places
    /// back (the client left before its password could be checked).
    /// </summary>
    /// <param name="surface"><see cref="SqlSurface"/>, <see cref="ApiSurface"/> or <see cref="WebSurface"/>.</param>
    /// <param name="account">The user name the client gave.</param>
    /// <param name="client">The client's address and port; a client without one shares the places of "unknown".</param>
    /// <param name="cancellationToken">Stops waiting (the client left, or its time to log in is up).</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.LoginThrottled"/> when no place came free in time (reported as a failure).</exception>
    public async ValueTask<LoginAttempt> BeginAsync(string surface, string account, EndPoint? client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(surface);
        ArgumentNullException.ThrowIfNull(account);
        IPAddress address = KeyOf((client as IPEndPoint)?.Address);
        Waiter waiter;
        lock (_gate)
        {
            if (TryTake(address, account))
            {
                return new LoginAttempt(this, surface, account, client, address);
            }

            waiter = new Waiter(address, account);
            waiter.Node = _waiters.AddLast(waiter);
        }

        try
        {
            await waiter.Granted.Task.WaitAsync(Options.MaxWait, _time, cancellationToken).ConfigureAwait(false);
            return new LoginAttempt(this, surface, account, client, address);
        }
        catch (Exception error) when (error is TimeoutException or OperationCanceledException)
        {
            bool granted;
            lock (_gate)
            {
                granted = waiter.Node is null;
                if (waiter.Node is { } node)
                {
                    _waiters.Remove(node);
                    waiter.Node = null;
                }
            }

            if (granted)
            {
                // The place came just as the wait ended: give it back.
                Release(address, account);
            }

            if (error is OperationCanceledException)
            {
                throw;
            }

            string reason = $"too many logins in progress from {address} or for user \"{account}\"; try again in a few seconds";
            await ReportAsync(surface, account, client, address, throttled: true, reason, cancellationToken).ConfigureAwait(false);
            throw new MedallionException(ErrorCode.LoginThrottled, reason);
        }
    }

    /// <summary>Counts a failed check and returns how long its places (and its answer) are held.</summary>
    internal TimeSpan CountFailure(IPAddress address, string account)
    {
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            int addressFailures = AddFailure(_addresses, address, now);
            int accountFailures = AddFailure(_accounts, account, now);
            return Options.FailedLoginDelay <= TimeSpan.Zero ? TimeSpan.Zero : DelayAfter(Math.Max(addressFailures, accountFailures));
        }
    }

    /// <summary>Gives back a check's places and hands them to the first waiters they fit.</summary>
    internal void Release(IPAddress address, string account)
    {
        var granted = new List<Waiter>();
        lock (_gate)
        {
            Decrement(_addresses, address);
            Decrement(_accounts, account);
            for (LinkedListNode<Waiter>? node = _waiters.First; node is not null;)
            {
                LinkedListNode<Waiter>? next = node.Next;
                if (TryTake(node.Value.Address, node.Value.Account))
                {
                    _waiters.Remove(node);
                    node.Value.Node = null;
                    granted.Add(node.Value);
                }

                node = next;
            }
        }

        foreach (Waiter waiter in granted)
        {
            waiter.Granted.TrySetResult();
        }
    }

    /// <summary>Holds the places of a failed check for <paramref name="delay"/>, whatever becomes of its client.</summary>
    internal void ReleaseAfter(TimeSpan delay, IPAddress address, string account)
    {
        if (delay <= TimeSpan.Zero)
        {
            Release(address, account);
            return;
        }

        _ = Task.Delay(delay, _time).ContinueWith(_ => Release(address, account), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Logs a failure (rate-limited per address) and reports it to the audit sink.</summary>
    internal async ValueTask ReportAsync(string surface, string account, EndPoint? client, IPAddress address, bool throttled, string reason, CancellationToken cancellationToken)
    {
        if (_failureLog.ShouldLog(address, out int suppressed))
        {
            LogMessages.LoginFailed(_logger, account, client?.ToString() ?? "unknown", surface, reason, suppressed);
        }

        if (Options.Failed is { } sink)
        {
            await sink(new LoginFailure(account, client, surface, _time.GetUtcNow(), throttled, reason), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The delay after the <paramref name="failures"/>th failure: none for the free ones, then doubling up to the cap.</summary>
    internal TimeSpan DelayAfter(int failures)
    {
        if (failures <= FreeFailures)
        {
            return TimeSpan.Zero;
        }

        // Past 30 doublings any base delay is beyond any sensible cap; stopping there keeps the shift in range.
        int doublings = Math.Min(failures - FreeFailures - 1, 30);
        double delayMs = Options.FailedLoginDelay.TotalMilliseconds * (1L << doublings);
        return delayMs >= Options.MaxFailedLoginDelay.TotalMilliseconds ? Options.MaxFailedLoginDelay : TimeSpan.FromMilliseconds(delayMs);
    }

    /// <summary>The address a client is counted under: IPv4 as is (also when mapped to IPv6), IPv6 by its /64.</summary>
    internal static IPAddress KeyOf(IPAddress? address)
    {
        if (address is null)
        {
            return IPAddress.None;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        byte[] bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes);
    }

    private bool TryTake(IPAddress address, string account)
    {
        long now = _time.GetTimestamp();
        Entry addressEntry = GetOrAdd(_addresses, address, now);
        Entry accountEntry = GetOrAdd(_accounts, account, now);
        if (addressEntry.InProgress >= Options.AttemptsPerAddress || accountEntry.InProgress >= Options.AttemptsPerAccount)
        {
            return false;
        }

        addressEntry.InProgress++;
        accountEntry.InProgress++;
        return true;
    }

    private int AddFailure<TKey>(Dictionary<TKey, Entry> entries, TKey key, long now)
        where TKey : notnull
    {
        Entry entry = GetOrAdd(entries, key, now);
        entry.Failures = IsForgiven(entry, now) ? 1 : entry.Failures + 1;
        entry.LastFailure = now;
        return entry.Failures;
    }

    private void Decrement<TKey>(Dictionary<TKey, Entry> entries, TKey key)
        where TKey : notnull
    {
        if (!entries.TryGetValue(key, out Entry? entry) || entry.InProgress == 0)
        {
            return;
        }

        entry.InProgress--;
        if (entry.InProgress == 0 && IsForgiven(entry, _time.GetTimestamp()))
        {
            // Nothing to remember: right passwords leave no trace.
            entries.Remove(key);
        }
    }

    private Entry GetOrAdd<TKey>(Dictionary<TKey, Entry> entries, TKey key, long now)
        where TKey : notnull
    {
        if (entries.TryGetValue(key, out Entry? entry))
        {
            return entry;
        }

        if (entries.Count >= MaxTracked)
        {
            MakeRoom(entries, now);
        }

        entry = new Entry { LastFailure = long.MinValue };
        entries[key] = entry;
        return entry;
    }

    private bool IsForgiven(Entry entry, long now) =>
        entry.LastFailure == long.MinValue || _time.GetElapsedTime(entry.LastFailure, now) > ForgetAfter;

    private void MakeRoom<TKey>(Dictionary<TKey, Entry> entries, long now)
        where TKey : notnull
    {
        var forgiven = new List<TKey>();
        TKey? oldest = default;
        bool found = false;
        long oldestTime = long.MaxValue;
        foreach ((TKey key, Entry entry) in entries)
        {
            if (entry.InProgress > 0)
            {
                continue;
            }

            if (IsForgiven(entry, now))
            {
                forgiven.Add(key);
            }
            else if (entry.LastFailure < oldestTime)
            {
                oldest = key;
                oldestTime = entry.LastFailure;
                found = true;
            }
        }

        foreach (TKey key in forgiven)
        {
            entries.Remove(key);
        }

        if (forgiven.Count == 0 && found)
        {
            entries.Remove(oldest!);
        }
    }

    private sealed class Entry
    {
        public int Failures;
        public long LastFailure;
        public int InProgress;
    }

    private sealed class Waiter(IPAddress address, string account)
    {
        public IPAddress Address { get; } = address;

        public string Account { get; } = account;

        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The waiter's place in the queue; null once it left the queue with its places.</summary>
        public LinkedListNode<Waiter>? Node { get; set; }
    }
}
