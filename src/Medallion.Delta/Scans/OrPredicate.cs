namespace Medallion.Delta.Scans;

/// <summary><c>Left OR Right</c>.</summary>
public sealed record OrPredicate(ScanPredicate Left, ScanPredicate Right) : ScanPredicate;
