using System.Collections.Generic;
using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>cdc</c> action: a change data file whose rows carry <c>_change_type</c>.</summary>
internal sealed record AddCdcFile(string Path, IReadOnlyDictionary<string, string?> PartitionValues, long Size, bool DataChange) : DeltaAction
{
    public static AddCdcFile Parse(JsonElement e) => new(
        e.RequiredString("path"),
        e.StringMap("partitionValues"),
        e.Long("size") ?? 0,
        e.Bool("dataChange") ?? false);
}
