using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>txn</c> action: an application's own progress marker, committed atomically with its data.</summary>
internal sealed record Txn(string AppId, long Version, long? LastUpdated) : DeltaAction
{
    public static Txn Parse(JsonElement e) => new(e.RequiredString("appId"), e.RequiredLong("version"), e.Long("lastUpdated"));
}
