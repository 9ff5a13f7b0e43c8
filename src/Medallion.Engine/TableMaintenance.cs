namespace Medallion.Engine;

/// <summary>What one maintenance pass of a table did (<see cref="DeltaWriter.MaintainAsync"/>).</summary>
/// <param name="Location">The table's location.</param>
/// <param name="Version">The version the pass looked at.</param>
/// <param name="CheckpointVersion">The checkpoint it wrote, or null when none was overdue.</param>
/// <param name="LogFilesDeleted">Log files (commits, checkpoints) past the log retention it removed.</param>
/// <param name="DataFilesDeleted">Unreferenced data files past the file retention it removed.</param>
/// <param name="UnfinishedWritesRemoved">Temporary files and uploads that killed writers left behind, removed.</param>
public sealed record TableMaintenance(string Location, long Version, long? CheckpointVersion, int LogFilesDeleted, int DataFilesDeleted, int UnfinishedWritesRemoved)
{
    /// <summary>Unreferenced data files past the file retention it kept because a shallow clone still reads them.</summary>
    public int FilesKeptForClones { get; init; }

    /// <summary>Small files auto compaction rewrote into bigger ones (<see cref="DeltaWriter.AutoCompactAsync"/>).</summary>
    public int FilesCompacted { get; init; }

    /// <summary>True when the pass changed nothing.</summary>
    public bool Idle => FilesCompacted == 0 && CheckpointVersion is null && LogFilesDeleted == 0 && DataFilesDeleted == 0 && UnfinishedWritesRemoved == 0;
}
