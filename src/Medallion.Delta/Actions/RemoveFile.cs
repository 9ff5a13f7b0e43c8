using System.Collections.Generic;
using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>remove</c> action: a logical file leaves the table and stays as a tombstone for VACUUM.</summary>
internal sealed record RemoveFile(
    string Path,
    long? DeletionTimestamp,
    bool DataChange,
    bool? ExtendedFileMetadata,
    IReadOnlyDictionary<string, string?> PartitionValues,
    long? Size,
    string? Stats,
    DeletionVectorDescriptor? DeletionVector) : DeltaAction
{
    public static RemoveFile Parse(JsonElement e) => new(
        e.RequiredString("path"),
        e.Long("deletionTimestamp"),
        e.Bool("dataChange") ?? true,
        e.Bool("extendedFileMetadata"),
        e.StringMap("partitionValues"),
        e.Long("size"),
        e.String("stats"),
        e.TryGet("deletionVector", out JsonElement dv) ? DeletionVectorDescriptor.Parse(dv) : null);
}
