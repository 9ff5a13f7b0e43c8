using System;
using System.Collections.Generic;
using System.Threading;

namespace Medallion.PgWire.Internal;

/// <summary>
/// Says when an event that may come in floods (refused connections, failed logins, plain connections) is logged: the
/// first one of a key at once, then at most one a <c>period</c>, each line carrying how many were not logged since the
/// one before. So a flood costs one line a minute per address, and the line says how big it was.
/// </summary>
/// <remarks>Bounded: at most 10,000 keys; at the bound, keys not seen for a period go first, then every key (a line is
/// then logged early, never lost). Thread-safe.</remarks>
internal sealed class LogLimiter<TKey>(TimeProvider time, TimeSpan period)
    where TKey : notnull
{
    private const int MaxKeys = 10_000;

    private readonly Dictionary<TKey, Entry> _entries = [];
    private readonly Lock _gate = new();

    /// <summary>Whether to log this event of <paramref name="key"/> now; <paramref name="suppressed"/> is how many of its events were not logged since its last line.</summary>
    public bool ShouldLog(TKey key, out int suppressed)
    {
        long now = time.GetTimestamp();
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out Entry? entry) && time.GetElapsedTime(entry.LastLogged, now) < period)
            {
                entry.Suppressed++;
                suppressed = 0;
                return false;
            }

            suppressed = entry?.Suppressed ?? 0;
            if (entry is null && _entries.Count >= MaxKeys)
            {
                Trim(now);
            }

            _entries[key] = new Entry { LastLogged = now };
            return true;
        }
    }

    private void Trim(long now)
    {
        var stale = new List<TKey>();
        foreach ((TKey key, Entry entry) in _entries)
        {
            if (time.GetElapsedTime(entry.LastLogged, now) >= period)
            {
                stale.Add(key);
            }
        }

        if (stale.Count == 0)
        {
            _entries.Clear();
            return;
        }

        foreach (TKey key in stale)
        {
            _entries.Remove(key);
        }
    }

    private sealed class Entry
    {
        public long LastLogged;
        public int Suppressed;
    }
}
