namespace Medallion.Catalog;

public sealed partial record QualityResultRecord
{
    /// <summary>
    /// Why <see cref="SampleRowsJson"/> is empty for the reader it was shown to (it describes rows or columns they may
    /// not read); null when the sample is shown (or the rule broke no row).
    /// </summary>
    public string? SampleWithheld { get; init; }
}
