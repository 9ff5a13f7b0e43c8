using System.Collections.Generic;
using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>checkpointMetadata</c> action of a v2 checkpoint.</summary>
internal sealed record CheckpointMetadata(long Version, IReadOnlyDictionary<string, string?> Tags) : DeltaAction
{
    public static CheckpointMetadata Parse(JsonElement e) => new(e.RequiredLong("version"), e.StringMap("tags"));
}
