using System.Collections.Generic;
using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>cdc</c> action: a change data file whose rows carry <c>_change_type</c>.</summary>
/// <param name="Path">The path exactly as in the log: relative to the table root, percent-encoded.</param>
/// <param name="PartitionValues">Serialized partition values keyed by physical column name.</param>
/// <param name="Size">The file size in bytes.</param>
/// <param name="DataChange">Always false in practice: change data files only describe changes the commit's <c>add</c>/<c>remove</c> actions make.</param>
public sealed record AddCdcFile(string Path, IReadOnlyDictionary<string, string?> PartitionValues, long Size, bool DataChange) : DeltaAction
{
    internal static AddCdcFile Parse(JsonElement e) => new(
        e.RequiredString("path"),
        e.StringMap("partitionValues"),
        e.Long("size") ?? 0,
        e.Bool("dataChange") ?? false);
}
