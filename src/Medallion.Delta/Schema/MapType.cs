namespace Medallion.Delta.Schema;

/// <summary>A <c>map</c> from <paramref name="KeyType"/> to <paramref name="ValueType"/>.</summary>
public sealed record MapType(DeltaType KeyType, DeltaType ValueType, bool ValueContainsNull) : DeltaType
{
    /// <inheritdoc />
    public override string ToString() => $"map<{KeyType},{ValueType}>";
}
