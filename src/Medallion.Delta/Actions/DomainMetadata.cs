using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>domainMetadata</c> action: configuration of a named metadata domain; <c>removed</c> is a tombstone.</summary>
/// <param name="Domain">The domain's name; names starting with <c>delta.</c> belong to the protocol.</param>
/// <param name="Configuration">The domain's configuration, a string (usually JSON) the domain's owner defines.</param>
/// <param name="Removed">True when this action removes the domain.</param>
public sealed record DomainMetadata(string Domain, string Configuration, bool Removed) : DeltaAction
{
    internal static DomainMetadata Parse(JsonElement e) =>
        new(e.RequiredString("domain"), e.String("configuration") ?? string.Empty, e.Bool("removed") ?? false);
}
