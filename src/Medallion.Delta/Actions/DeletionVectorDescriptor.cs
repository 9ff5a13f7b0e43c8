using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>deletionVector</c> struct of an <c>add</c> or <c>remove</c> (PROTOCOL.md "Deletion Vector Descriptor Schema").</summary>
/// <param name="StorageType"><c>u</c> (relative, uuid-named file), <c>i</c> (inline) or <c>p</c> (absolute path).</param>
/// <param name="PathOrInlineDv">The z85-encoded uuid with an optional prefix, the z85 inline bitmap, or the path.</param>
/// <param name="Offset">Where in the file the DV starts (its size prefix); <see langword="null"/> for inline DVs.</param>
/// <param name="SizeInBytes">The size of the serialized bitmap (before z85 encoding when inline).</param>
/// <param name="Cardinality">How many rows the DV deletes.</param>
public sealed record DeletionVectorDescriptor(string StorageType, string PathOrInlineDv, int? Offset, int SizeInBytes, long Cardinality)
{
    /// <summary>The derived <c>uniqueId</c>: storage type and path, plus <c>@offset</c> when there is an offset.</summary>
    public string UniqueId => Offset is int o ? $"{StorageType}{PathOrInlineDv}@{o}" : StorageType + PathOrInlineDv;

    internal static DeletionVectorDescriptor Parse(JsonElement e) => new(
        e.RequiredString("storageType"),
        e.RequiredString("pathOrInlineDv"),
        e.Int("offset"),
        e.Int("sizeInBytes") ?? 0,
        e.Long("cardinality") ?? 0);
}
