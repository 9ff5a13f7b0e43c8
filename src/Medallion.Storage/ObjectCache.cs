using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace Medallion.Storage;

/// <summary>
/// The local, size-bounded cache through which engines that read local files only (DuckDB) read objects of remote
/// stores, and where they write files before these are uploaded. Each store location gets a folder named by the hash
/// of the location, holding objects under their keys, so a cached file is addressed by (location, key): Delta data
/// files are immutable, so a cached one never needs revalidation.
/// </summary>
/// <remarks>
/// Several processes on the machine share one cache: a downloaded file is written under a temporary name and renamed
/// into place, so a reader sees a whole file or none, and two processes fetching the same object both end with the
/// same content. When the cache outgrows <see cref="MaxSizeBytes"/>, the least recently used files (by the time they
/// were last fetched, written or read through the cache) are deleted, but never one used in the last
/// <see cref="EvictionGrace"/>: a running scan or an upload in progress keeps its files.
/// </remarks>
public sealed class ObjectCache
{
    /// <summary>The default bound of the cache: 20 GiB.</summary>
    public const long DefaultMaxSizeBytes = 20L << 30;

    /// <summary>Suffix of files being downloaded; never read, and removed by eviction when a process died mid-download.</summary>
    internal const string TempSuffix = ".medallion-tmp";

    /// <summary>How long a file that was just used is safe from eviction.</summary>
    public static readonly TimeSpan EvictionGrace = TimeSpan.FromMinutes(10);

    private long _addedSinceTrim;

    /// <summary>A cache in <paramref name="directory"/> (created when first used) holding at most <paramref name="maxSizeBytes"/>.</summary>
    public ObjectCache(string directory, long maxSizeBytes = DefaultMaxSizeBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSizeBytes);
        Directory = Path.GetFullPath(directory);
        MaxSizeBytes = maxSizeBytes;
    }

    /// <summary>The cache directory.</summary>
    public string Directory { get; }

    /// <summary>The size the cache is trimmed to.</summary>
    public long MaxSizeBytes { get; }

    /// <summary>The default cache directory: <c>$XDG_CACHE_HOME/medallion/objects</c>, else <c>~/.cache/medallion/objects</c>.</summary>
    public static string DefaultDirectory
    {
        get
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string baseDirectory = !string.IsNullOrEmpty(xdg) ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(baseDirectory, "medallion", "objects");
        }
    }

    /// <summary>The folder that mirrors the store at <paramref name="location"/>.</summary>
    public string FolderFor(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(location));
        return Path.Combine(Directory, Convert.ToHexStringLower(hash.AsSpan(0, 16)));
    }

    /// <summary>Marks a cached file as just used, so eviction takes it last.</summary>
    internal static void Touch(string path)
    {
        try
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another process evicted or replaced it meanwhile; the caller fetches again if it must.
        }
    }

    /// <summary>Records that <paramref name="bytes"/> were added, and trims the cache once an eighth of its bound was added since the last trim.</summary>
    internal void Added(long bytes)
    {
        if (Interlocked.Add(ref _addedSinceTrim, bytes) >= MaxSizeBytes / 8)
        {
            Interlocked.Exchange(ref _addedSinceTrim, 0);
            Trim();
        }
    }

    /// <summary>Deletes the least recently used files until the cache holds at most <see cref="MaxSizeBytes"/> (files used within <see cref="EvictionGrace"/> are kept).</summary>
    /// <returns>The number of bytes the cache holds afterwards.</returns>
    public long Trim()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return 0;
        }

        var files = new List<FileInfo>();
        long total = 0;
        foreach (FileInfo file in new DirectoryInfo(Directory).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }))
        {
            files.Add(file);
            total += file.Length;
        }

        if (total <= MaxSizeBytes)
        {
            return total;
        }

        DateTime keepAfter = DateTime.UtcNow - EvictionGrace;
        files.Sort(static (a, b) => a.LastWriteTimeUtc.CompareTo(b.LastWriteTimeUtc));
        foreach (FileInfo file in files)
        {
            if (total <= MaxSizeBytes || file.LastWriteTimeUtc > keepAfter)
            {
                break;
            }

            // Read before the delete: a deleted FileInfo's Length throws (FileNotFoundException, an IOException, which would
            // leave the total as it was and go on deleting every old file instead of just enough).
            long length = file.Length;
            try
            {
                file.Delete();
                total -= length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another process removed it first, or it is not ours to remove; the next trim retries.
            }
        }

        return total;
    }
}
