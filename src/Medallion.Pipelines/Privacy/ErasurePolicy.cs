namespace Medallion.Pipelines.Privacy;

/// <summary>
/// What <c>medallion subject erase</c> does to a person's rows in a model's table (<c>erasure:</c> in the model config).
/// </summary>
public enum ErasurePolicy
{
    /// <summary>The rows are deleted (the default).</summary>
    Delete,
    /// <summary>
    /// The rows stay, with every classified column and every column that identified the person set to NULL: for tables
    /// whose row counts and amounts must survive (invoices, ledgers), where the row without the person is no longer personal data.
    /// </summary>
    Anonymize,
}
