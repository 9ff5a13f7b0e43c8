using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Medallion.DuckDb;

namespace Medallion.PgWire.Internal;

/// <summary>
/// Shares one memory limit among the DuckDB databases that serve sessions: the shared database and each restricted
/// user's own. DuckDB's <c>memory_limit</c> belongs to one database and no two databases can share a buffer pool, so the
/// limit is split: every database with a session gets an equal share, an idle one a small floor (only the shared
/// database is ever idle: a user's database goes with its last session).
/// </summary>
/// <remarks>
/// Guarantees. The limits of all the databases added here never add up to more than <see cref="LimitBytes"/>: shares are
/// recomputed whenever a session opens or closes, limits that go down are lowered before any goes up, and a database
/// whose limit cannot be lowered (DuckDB cannot free what a running query holds) keeps it while the others get only
/// what is left. A query that needs more than its database's share fails with DuckDB's out-of-memory error (SQLSTATE
/// 53200) and the server goes on. A user alone on the server has the whole limit; three at once a third each.
/// </remarks>
internal sealed class MemoryShares
{
    private const long MaxFloorBytes = 32L * 1024 * 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<DuckDbDatabase, Share> _shares = new(ReferenceEqualityComparer.Instance);

    /// <summary>Shares <paramref name="limitBytes"/> among the databases added.</summary>
    public MemoryShares(long limitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitBytes);
        LimitBytes = limitBytes;
        FloorBytes = Math.Min(MaxFloorBytes, limitBytes / 8);
    }

    /// <summary>What all the databases may use together.</summary>
    public long LimitBytes { get; }

    /// <summary>What a database without sessions keeps (and what a new database is opened with).</summary>
    public long FloorBytes { get; }

    /// <summary>The current limit of every database, for tests and diagnostics.</summary>
    public IReadOnlyList<long> Limits
    {
        get
        {
            lock (_lock)
            {
                return _shares.Values.Select(s => s.LimitBytes).ToList();
            }
        }
    }

    /// <summary>The <c>memory_limit</c> of <paramref name="database"/> in bytes, read back from DuckDB's rendering (<c>3.7 GiB</c>), rounded down.</summary>
    public static long ReadLimitBytes(DuckDbDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        using DuckDbConnection connection = database.CreateConnection();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT current_setting('memory_limit')";
        string text = (string)command.ExecuteScalar()!;
        string[] parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        double unit = parts.Length == 2 ? parts[1] switch
        {
            "bytes" => 1,
            "KiB" => 1L << 10,
            "MiB" => 1L << 20,
            "GiB" => 1L << 30,
            "TiB" => 1L << 40,
            "PiB" => 1L << 50,
            _ => 0,
        } : 0;
        if (unit == 0 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            throw new FormatException($"DuckDB shows its memory limit as '{text}', which is not a size.");
        }

        // DuckDB shows one decimal: take off the half unit it may have rounded up.
        return (long)((value - (unit > 1 ? 0.05 : 0)) * unit);
    }

    /// <summary>Adds a database with no session yet, whose <c>memory_limit</c> is <paramref name="limitBytes"/> (it goes down to the floor).</summary>
    public void Add(DuckDbDatabase database, long limitBytes)
    {
        lock (_lock)
        {
            _shares.Add(database, new Share(database) { LimitBytes = limitBytes });
            Rebalance();
        }
    }

    /// <summary>Removes a database about to be disposed; the others get its share.</summary>
    public void Remove(DuckDbDatabase database)
    {
        lock (_lock)
        {
            if (_shares.Remove(database))
            {
                Rebalance();
            }
        }
    }

    /// <summary>A session opened on <paramref name="database"/>.</summary>
    public void SessionOpened(DuckDbDatabase database) => ChangeSessions(database, +1);

    /// <summary>A session on <paramref name="database"/> closed.</summary>
    public void SessionClosed(DuckDbDatabase database) => ChangeSessions(database, -1);

    private void ChangeSessions(DuckDbDatabase database, int change)
    {
        lock (_lock)
        {
            if (_shares.TryGetValue(database, out Share? share))
            {
                share.Sessions += change;
                Rebalance();
            }
        }
    }

    /// <summary>Gives each database with sessions an equal share of what the idle ones' floors leave; lowers before it raises.</summary>
    private void Rebalance()
    {
        int active = _shares.Values.Count(s => s.Sessions > 0);
        long idleFloors = (_shares.Count - active) * FloorBytes;
        long each = active == 0 ? 0 : Math.Max(FloorBytes, (LimitBytes - idleFloors) / active);
        long Target(Share share) => share.Sessions > 0 ? each : FloorBytes;

        foreach (Share share in _shares.Values.Where(s => Target(s) < s.LimitBytes))
        {
            share.TrySet(Target(share));
        }

        long free = LimitBytes - _shares.Values.Sum(s => s.LimitBytes);
        foreach (Share share in _shares.Values.Where(s => Target(s) > s.LimitBytes))
        {
            long raised = Math.Min(Target(share), share.LimitBytes + Math.Max(0, free));
            if (raised > share.LimitBytes)
            {
                long before = share.LimitBytes;
                if (share.TrySet(raised))
                {
                    free -= raised - before;
                }
            }
        }
    }

    private sealed class Share(DuckDbDatabase database)
    {
        public int Sessions { get; set; }

        public long LimitBytes { get; set; }

        /// <summary>Sets the database's limit; false (the old limit kept) when DuckDB cannot free enough for a lower one.</summary>
        public bool TrySet(long bytes)
        {
            try
            {
                using DuckDbConnection connection = database.CreateConnection();
                using DuckDbCommand command = connection.CreateCommand();
                command.CommandText = string.Create(CultureInfo.InvariantCulture, $"SET memory_limit = '{bytes}B'");
                command.ExecuteNonQuery();
                LimitBytes = bytes;
                return true;
            }
            catch (DuckDbException)
            {
                return false;
            }
        }
    }
}
