namespace Medallion.Delta.Scans;

/// <summary><c>Left AND Right</c>.</summary>
public sealed record AndPredicate(ScanPredicate Left, ScanPredicate Right) : ScanPredicate;
