namespace Medallion.Delta.Schema;

/// <summary>A <c>decimal(precision, scale)</c> type; precision and scale up to 38.</summary>
public sealed record DecimalType(int Precision, int Scale) : DeltaType
{
    /// <inheritdoc />
    public override string ToString() => $"decimal({Precision},{Scale})";
}
