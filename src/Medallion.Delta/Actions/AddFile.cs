using System.Collections.Generic;
using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>add</c> action: a logical file (data file plus optional deletion vector) joins the table.</summary>
/// <param name="Path">The path exactly as in the log: a URI, relative to the table root or absolute, still percent-encoded.</param>
/// <param name="PartitionValues">Serialized partition values keyed by physical column name; <see langword="null"/> values are null partitions.</param>
/// <param name="Size">The data file size in bytes.</param>
/// <param name="ModificationTime">When the file was written, ms since the epoch.</param>
/// <param name="DataChange">False when the action only rearranges existing data.</param>
/// <param name="Stats">The statistics JSON string, if any.</param>
/// <param name="Tags">Free-form file tags.</param>
/// <param name="DeletionVector">The rows of the data file this logical file excludes, if any.</param>
/// <param name="BaseRowId">Row tracking: the row id of the first row.</param>
/// <param name="DefaultRowCommitVersion">Row tracking: the version that first added the path.</param>
public sealed record AddFile(
    string Path,
    IReadOnlyDictionary<string, string?> PartitionValues,
    long Size,
    long ModificationTime,
    bool DataChange,
    string? Stats,
    IReadOnlyDictionary<string, string?> Tags,
    DeletionVectorDescriptor? DeletionVector,
    long? BaseRowId,
    long? DefaultRowCommitVersion) : DeltaAction
{
    internal static AddFile Parse(JsonElement e) => new(
        e.RequiredString("path"),
        e.StringMap("partitionValues"),
        e.Long("size") ?? 0,
        e.Long("modificationTime") ?? 0,
        e.Bool("dataChange") ?? true,
        e.String("stats"),
        e.StringMap("tags"),
        e.TryGet("deletionVector", out JsonElement dv) ? DeletionVectorDescriptor.Parse(dv) : null,
        e.Long("baseRowId"),
        e.Long("defaultRowCommitVersion"));
}
