using System.Collections.Generic;
using Medallion.Delta.Scans;

namespace Medallion.Delta.ChangeDataFeed;

/// <summary>
/// The changes between two versions (inclusive) as files to read. The engine reads each file, keeps the rows
/// the file selects, and adds <c>_change_type</c> (from <see cref="ChangeFile.ChangeType"/> or the file),
/// <c>_commit_version</c> and <c>_commit_timestamp</c>.
/// </summary>
public sealed class ChangeFeedPlan
{
    internal ChangeFeedPlan(long startVersion, long endVersion, IReadOnlyList<ChangeFile> files, IReadOnlyList<ScanColumn> columns)
    {
        StartVersion = startVersion;
        EndVersion = endVersion;
        Files = files;
        Columns = columns;
    }

    /// <summary>The first version included.</summary>
    public long StartVersion { get; }

    /// <summary>The last version included.</summary>
    public long EndVersion { get; }

    /// <summary>The files with changes, in commit order.</summary>
    public IReadOnlyList<ChangeFile> Files { get; }

    /// <summary>The table columns at the end version.</summary>
    public IReadOnlyList<ScanColumn> Columns { get; }
}
