namespace Medallion.Delta.Scans;

/// <summary><c>Column IS NULL</c>, or <c>IS NOT NULL</c> when <paramref name="Negated"/>.</summary>
public sealed record IsNullPredicate(string Column, bool Negated) : ScanPredicate;
