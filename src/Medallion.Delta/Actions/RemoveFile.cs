using System.Collections.Generic;
using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>remove</c> action: a logical file leaves the table and stays as a tombstone for VACUUM.</summary>
/// <param name="Path">The path exactly as in the log (the <c>add</c>'s path), still percent-encoded.</param>
/// <param name="DeletionTimestamp">When the file was removed, ms since the epoch; VACUUM keeps it until the retention passed.</param>
/// <param name="DataChange">False when the removal only rearranges data (compaction), so readers of changes skip it.</param>
/// <param name="ExtendedFileMetadata">True when partition values, size and stats are filled in from the removed <c>add</c>.</param>
/// <param name="PartitionValues">The removed file's serialized partition values.</param>
/// <param name="Size">The removed file's size in bytes.</param>
/// <param name="Stats">The removed file's statistics JSON, if any.</param>
/// <param name="DeletionVector">The removed logical file's deletion vector, if any.</param>
public sealed record RemoveFile(
    string Path,
    long? DeletionTimestamp,
    bool DataChange,
    bool? ExtendedFileMetadata,
    IReadOnlyDictionary<string, string?> PartitionValues,
    long? Size,
    string? Stats,
    DeletionVectorDescriptor? DeletionVector) : DeltaAction
{
    internal static RemoveFile Parse(JsonElement e) => new(
        e.RequiredString("path"),
        e.Long("deletionTimestamp"),
        e.Bool("dataChange") ?? true,
        e.Bool("extendedFileMetadata"),
        e.StringMap("partitionValues"),
        e.Long("size"),
        e.String("stats"),
        e.TryGet("deletionVector", out JsonElement dv) ? DeletionVectorDescriptor.Parse(dv) : null);
}
