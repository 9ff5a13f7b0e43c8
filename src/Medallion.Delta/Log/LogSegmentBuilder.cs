using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Internal;
using Medallion.Storage;
using Microsoft.Extensions.Logging;

namespace Medallion.Delta.Log;

/// <summary>
/// Lists <c>_delta_log</c> and picks the files that reconstruct a version. Guarantees: the returned segment
/// has no version gaps, its checkpoint is complete (all parts present) and not newer than the version; when
/// the log cannot provide that, the error names the missing file.
/// </summary>
internal static class LogSegmentBuilder
{
    /// <summary>Builds the segment for <paramref name="version"/>, or for the newest version when it is <see langword="null"/>.</summary>
    public static async Task<LogSegment> BuildAsync(IObjectStore store, long? version, ILogger logger, CancellationToken cancellationToken)
    {
        // The hint lets us list only from the checkpoint on: listing cost follows the tail, not the history.
        LastCheckpoint? hint = await LastCheckpoint.TryReadAsync(store, logger, cancellationToken).ConfigureAwait(false);
        if (hint is not null && (version is null || hint.Version <= version))
        {
            // "~" sorts after every character of a log file name, so this skips everything of version - 1 and before.
            string? startAfter = hint.Version > 0 ? LogFile.LogDirectory + (hint.Version - 1).ToString("D20", CultureInfo.InvariantCulture) + "~" : null;
            List<LogFile> tail = await ListAsync(store, startAfter, version, cancellationToken).ConfigureAwait(false);
            LogSegment? segment = TryAssemble(store.Location, tail, version, requireCheckpoint: true);
            if (segment is not null)
            {
                return segment;
            }

            // The hint points at a checkpoint that is missing or incomplete: fall back to the full listing.
            LogMessages.CheckpointHintStale(logger, store.Location, hint.Version);
        }

        List<LogFile> files = await ListAsync(store, null, version, cancellationToken).ConfigureAwait(false);
        if (version is long target && !files.Any(f => f.Kind == LogFileKind.Commit || f.IsCheckpoint)
            && (await ListAsync(store, null, null, cancellationToken).ConfigureAwait(false)).FirstOrDefault(f => f.Kind == LogFileKind.Commit || f.IsCheckpoint) is { } earliest)
        {
            // Nothing at or before the version, but a log after it: cleaned up past it, not a missing table.
            throw new MedallionException(ErrorCode.DeltaVersionNotFound,
                $"Version {target} of the Delta table at '{store.Location}' cannot be reconstructed: the log starts at version {earliest.Version}.\nHelp: the older log files were cleaned up; read version {earliest.Version} or later.");
        }

        return TryAssemble(store.Location, files, version, requireCheckpoint: false)!;
    }

    /// <summary>Lists the commit files (ascending), for history and timestamp lookups.</summary>
    public static async Task<List<LogFile>> ListCommitsAsync(IObjectStore store, CancellationToken cancellationToken)
    {
        List<LogFile> files = await ListAsync(store, null, null, cancellationToken).ConfigureAwait(false);
        return files.Where(f => f.Kind == LogFileKind.Commit).ToList();
    }

    internal static async Task<List<LogFile>> ListAsync(IObjectStore store, string? startAfter, long? maxVersion, CancellationToken cancellationToken)
    {
        var files = new List<LogFile>();
        await foreach (ObjectInfo info in store.ListAsync(LogFile.LogDirectory, startAfter, cancellationToken).ConfigureAwait(false))
        {
            if (LogFile.TryParse(info) is { } file)
            {
                if (maxVersion is long max && file.Version > max)
                {
                    // Listing is sorted, but names of other kinds can follow; versions only grow, so stop here.
                    break;
                }

                files.Add(file);
            }
        }

        return files;
    }

    private static LogSegment? TryAssemble(string location, List<LogFile> files, long? version, bool requireCheckpoint)
    {
        var commits = new SortedDictionary<long, LogFile>();
        foreach (LogFile f in files)
        {
            if (f.Kind == LogFileKind.Commit)
            {
                commits[f.Version] = f;
            }
        }

        long newestCheckpoint = -1;
        List<LogFile> checkpoint = [];
        foreach (IGrouping<long, LogFile> group in files.Where(f => f.IsCheckpoint).GroupBy(f => f.Version).OrderByDescending(g => g.Key))
        {
            if (version is long v && group.Key > v)
            {
                continue;
            }

            List<LogFile>? complete = CompleteCheckpoint(group);
            if (complete is not null)
            {
                newestCheckpoint = group.Key;
                checkpoint = complete;
                break;
            }
        }

        if (requireCheckpoint && newestCheckpoint < 0)
        {
            return null;
        }

        if (commits.Count == 0 && newestCheckpoint < 0)
        {
            throw new MedallionException(ErrorCode.DeltaTableNotFound,
                $"No Delta table at '{location}': '_delta_log' has no commit files.\nHelp: check the path; a Delta table has a '_delta_log' folder with files such as 00000000000000000000.json.");
        }

        long latest = commits.Count > 0 ? System.Math.Max(commits.Keys.Last(), newestCheckpoint) : newestCheckpoint;
        long target = version ?? latest;
        if (target > latest)
        {
            throw new MedallionException(ErrorCode.DeltaVersionNotFound,
                $"Version {target} of the Delta table at '{location}' does not exist; the newest version is {latest}.");
        }

        long first = newestCheckpoint >= 0 ? newestCheckpoint + 1 : 0;
        if (newestCheckpoint < 0 && commits.Count > 0 && commits.Keys.First() > 0)
        {
            long earliest = commits.Keys.First();
            if (target < earliest || !commits.ContainsKey(0))
            {
                throw new MedallionException(ErrorCode.DeltaVersionNotFound,
                    $"Version {target} of the Delta table at '{location}' cannot be reconstructed: the log starts at version {earliest} and has no checkpoint at or before version {target}.\nHelp: the older log files were cleaned up; read version {earliest} or later, or a version that has a checkpoint.");
            }
        }

        var segmentCommits = new List<LogFile>();
        for (long v = first; v <= target; v++)
        {
            if (!commits.TryGetValue(v, out LogFile? commit))
            {
                throw new MedallionException(ErrorCode.DeltaLogGap,
                    $"The log of the Delta table at '{location}' has a gap: commit file '_delta_log/{LogFile.CommitFileName(v)}' is missing (needed for version {target}).\nHelp: the table was damaged or is being copied; restore the missing file, or read a version before {v}.");
            }

            segmentCommits.Add(commit);
        }

        LogFile? checksum = files.LastOrDefault(f => f.Kind == LogFileKind.Checksum && f.Version <= target && f.Version >= newestCheckpoint);
        return new LogSegment(location, target, newestCheckpoint, checkpoint, segmentCommits) { Checksum = checksum };
    }

    private static List<LogFile>? CompleteCheckpoint(IGrouping<long, LogFile> group)
    {
        // Prefer single-file checkpoints; a multi-part checkpoint counts only with every part present.
        LogFile? single = group.FirstOrDefault(f => f.Kind == LogFileKind.UuidCheckpoint) ?? group.FirstOrDefault(f => f.Kind == LogFileKind.ClassicCheckpoint);
        if (single is not null)
        {
            return [single];
        }

        foreach (IGrouping<int, LogFile> byCount in group.Where(f => f.Kind == LogFileKind.MultiPartCheckpoint).GroupBy(f => f.Parts))
        {
            var parts = byCount.GroupBy(f => f.Part).Select(g => g.First()).OrderBy(f => f.Part).ToList();
            if (parts.Count == byCount.Key)
            {
                return parts;
            }
        }

        return null;
    }
}
