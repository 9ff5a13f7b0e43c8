using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Delta.Snapshots;

namespace Medallion.Engine;

/// <summary>
/// The latest snapshot a writer saw of each table, the base from which the next operation on the table reads only the
/// newer log entries instead of the checkpoint and everything after it. A writer has one of its own; a process that runs
/// many writers over the same tables (a scheduler running jobs again and again) shares one among them, so a run does
/// not reload a checkpoint the previous run already read. Thread-safe.
/// </summary>
/// <remarks>
/// Entries are only bases: every use lists the log from the entry's own commit on and falls back to a full load when
/// that commit changed (<see cref="Medallion.Delta.DeltaTable.UpdateSnapshotAsync"/>), so another process's commits,
/// or a table deleted and created again, are always seen. The cache is bounded by the data files its snapshots list
/// (the memory they hold), dropping the least recently used tables first.
/// </remarks>
public sealed class DeltaSnapshotCache
{
    private readonly object _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _files;
    private long _clock;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="maxFiles">How many data files the cached snapshots may list in all (default 2,000,000, some hundreds of MB).</param>
    public DeltaSnapshotCache(long maxFiles = 2_000_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFiles);
        MaxFiles = maxFiles;
    }

    /// <summary>How many data files the cached snapshots may list in all.</summary>
    public long MaxFiles { get; }

    /// <summary>How many tables have a snapshot in the cache.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The snapshot held for <paramref name="location"/>; one loaded without its files counts only when <paramref name="withoutFiles"/> allows it.</summary>
    internal bool TryGet(string location, bool withoutFiles, out Snapshot snapshot)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(location, out Entry? entry) && (withoutFiles || entry.Snapshot.HasFiles))
            {
                entry.LastUse = ++_clock;
                snapshot = entry.Snapshot;
                return true;
            }
        }

        snapshot = null!;
        return false;
    }

    internal void Set(string location, Snapshot snapshot)
    {
        lock (_lock)
        {
            RemoveLocked(location);
            int files = snapshot.HasFiles ? snapshot.Files.Count : 0;
            _entries[location] = new Entry(snapshot, files) { LastUse = ++_clock };
            _files += files;
            if (_files <= MaxFiles)
            {
                return;
            }

            foreach (string evicted in _entries.Where(e => e.Key != location).OrderBy(e => e.Value.LastUse).Select(e => e.Key).ToList())
            {
                RemoveLocked(evicted);
                if (_files <= MaxFiles)
                {
                    return;
                }
            }
        }
    }

    internal void Remove(string location)
    {
        lock (_lock)
        {
            RemoveLocked(location);
        }
    }

    private void RemoveLocked(string location)
    {
        if (_entries.Remove(location, out Entry? old))
        {
            _files -= old.Files;
        }
    }

    private sealed class Entry(Snapshot snapshot, long files)
    {
        public Snapshot Snapshot { get; } = snapshot;

        public long Files { get; } = files;

        public long LastUse { get; set; }
    }
}
