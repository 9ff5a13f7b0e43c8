using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>domainMetadata</c> action: configuration of a named metadata domain; <c>removed</c> is a tombstone.</summary>
internal sealed record DomainMetadata(string Domain, string Configuration, bool Removed) : DeltaAction
{
    public static DomainMetadata Parse(JsonElement e) =>
        new(e.RequiredString("domain"), e.String("configuration") ?? string.Empty, e.Bool("removed") ?? false);
}
