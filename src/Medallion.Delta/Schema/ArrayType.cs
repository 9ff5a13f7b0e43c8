namespace Medallion.Delta.Schema;

/// <summary>An <c>array</c> of <paramref name="ElementType"/>.</summary>
public sealed record ArrayType(DeltaType ElementType, bool ContainsNull) : DeltaType
{
    /// <inheritdoc />
    public override string ToString() => $"array<{ElementType}>";
}
