using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>sidecar</c> action of a v2 checkpoint: a Parquet file in <c>_delta_log/_sidecars</c> holding file actions.</summary>
internal sealed record Sidecar(string Path, long SizeInBytes, long ModificationTime) : DeltaAction
{
    public static Sidecar Parse(JsonElement e) =>
        new(e.RequiredString("path"), e.Long("sizeInBytes") ?? 0, e.Long("modificationTime") ?? 0);
}
