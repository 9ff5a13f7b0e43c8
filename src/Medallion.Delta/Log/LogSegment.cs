using System.Collections.Generic;

namespace Medallion.Delta.Log;

/// <summary>
/// The files that reconstruct one version: the newest complete checkpoint at or before it (if any) and every
/// commit after that checkpoint up to the version, with no gaps.
/// </summary>
/// <param name="TableLocation">The table root, for messages.</param>
/// <param name="Version">The version the segment reconstructs.</param>
/// <param name="CheckpointVersion">The checkpoint's version, or -1 when replay starts at commit 0.</param>
/// <param name="CheckpointParts">The checkpoint files (several for a multi-part checkpoint); empty without a checkpoint.</param>
/// <param name="Commits">The commit files after the checkpoint, ascending and contiguous.</param>
internal sealed record LogSegment(string TableLocation, long Version, long CheckpointVersion, IReadOnlyList<LogFile> CheckpointParts, IReadOnlyList<LogFile> Commits)
{
    /// <summary>
    /// The newest version checksum listed at or before <see cref="Version"/> whose later commits are all in <see cref="Commits"/>
    /// (so at or after the checkpoint), or null: the start of a load without the file list.
    /// </summary>
    public LogFile? Checksum { get; init; }
}
