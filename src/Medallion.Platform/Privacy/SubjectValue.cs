namespace Medallion.Platform.Privacy;

/// <summary>One value held about a person, with what the column means (LGPD Art. 19: the complete statement).</summary>
/// <param name="Column">The column.</param>
/// <param name="Description">The column's documentation; null when undocumented.</param>
/// <param name="Classification">The column's classification; null when none.</param>
/// <param name="Value">The value (text, number, date, bool or null) as DuckDB returns it.</param>
public sealed record SubjectValue(string Column, string? Description, string? Classification, object? Value);
