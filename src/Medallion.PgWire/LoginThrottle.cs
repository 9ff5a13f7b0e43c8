using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace Medallion.PgWire;

/// <summary>
/// Counts failed logins per client address and says how long the answer to the next failure from that address
/// must wait: nothing for the first <see cref="FreeFailures"/> failures, then the base delay, doubling with each
/// further failure up to the cap.
/// </summary>
/// <remarks>
/// Only failures wait (as PostgreSQL's auth_delay), so people sharing an address with a guesser (an office behind
/// one NAT) log in as fast as ever. Memory is bounded: at most <see cref="MaxAddresses"/> addresses are kept; when a
/// new one arrives at the bound, forgiven addresses go first, then the one whose last failure is oldest. An IPv6
/// client is counted by its /64, since one host usually holds the whole prefix. Thread-safe.
/// </remarks>
public sealed class LoginThrottle
{
    /// <summary>Failures from one address answered without delay.</summary>
    public const int FreeFailures = 3;

    /// <summary>The most addresses remembered at once.</summary>
    public const int MaxAddresses = 10_000;

    /// <summary>An address is forgiven after this long without a failed login.</summary>
    public static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(5);

    private readonly Dictionary<IPAddress, Entry> _failures = [];
    private readonly Lock _gate = new();
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;
    private readonly TimeProvider _time;

    /// <summary>Creates a throttle; a zero <paramref name="baseDelay"/> turns it off.</summary>
    /// <param name="baseDelay">The wait after the first failure beyond the free ones.</param>
    /// <param name="maxDelay">The longest wait, however many failures.</param>
    /// <param name="time">The clock that decides when an address is forgiven.</param>
    public LoginThrottle(TimeSpan baseDelay, TimeSpan maxDelay, TimeProvider time)
    {
        _baseDelay = baseDelay;
        _maxDelay = maxDelay;
        _time = time;
    }

    /// <summary>The number of addresses with failures remembered now.</summary>
    public int TrackedAddresses
    {
        get
        {
            lock (_gate)
            {
                return _failures.Count;
            }
        }
    }

    /// <summary>Records a failed login from <paramref name="address"/>; returns the failures counted for it now.</summary>
    public int RecordFailure(IPAddress? address)
    {
        if (address is null || _baseDelay <= TimeSpan.Zero)
        {
            return 0;
        }

        IPAddress key = KeyOf(address);
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            int failures = _failures.TryGetValue(key, out Entry entry) && !IsForgiven(entry, now) ? entry.Failures + 1 : 1;
            if (failures == 1 && !_failures.ContainsKey(key) && _failures.Count >= MaxAddresses)
            {
                MakeRoom(now);
            }

            _failures[key] = new Entry(failures, now);
            return failures;
        }
    }

    /// <summary>How long the answer to a failed login from <paramref name="address"/> waits, given the failures counted so far.</summary>
    public TimeSpan DelayFor(IPAddress? address)
    {
        if (address is null || _baseDelay <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        IPAddress key = KeyOf(address);
        long now = _time.GetTimestamp();
        int failures;
        lock (_gate)
        {
            if (!_failures.TryGetValue(key, out Entry entry) || IsForgiven(entry, now))
            {
                return TimeSpan.Zero;
            }

            failures = entry.Failures;
        }

        if (failures <= FreeFailures)
        {
            return TimeSpan.Zero;
        }

        // Past 30 doublings any base delay is beyond any sensible cap; stopping there keeps the shift in range.
        int doublings = Math.Min(failures - FreeFailures - 1, 30);
        double delayMs = _baseDelay.TotalMilliseconds * (1L << doublings);
        return delayMs >= _maxDelay.TotalMilliseconds ? _maxDelay : TimeSpan.FromMilliseconds(delayMs);
    }

    private bool IsForgiven(Entry entry, long now) => _time.GetElapsedTime(entry.LastFailure, now) > ForgetAfter;

    private void MakeRoom(long now)
    {
        var forgiven = new List<IPAddress>();
        IPAddress? oldest = null;
        long oldestTime = long.MaxValue;
        foreach ((IPAddress address, Entry entry) in _failures)
        {
            if (IsForgiven(entry, now))
            {
                forgiven.Add(address);
            }
            else if (entry.LastFailure < oldestTime)
            {
                oldest = address;
                oldestTime = entry.LastFailure;
            }
        }

        foreach (IPAddress address in forgiven)
        {
            _failures.Remove(address);
        }

        if (forgiven.Count == 0 && oldest is not null)
        {
            _failures.Remove(oldest);
        }
    }

    private static IPAddress KeyOf(IPAddress address)
    {
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

    private readonly record struct Entry(int Failures, long LastFailure);
}
