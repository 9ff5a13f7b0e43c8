namespace Medallion.Delta.Scans;

/// <summary><c>Column Operator Value</c>; comparing with null matches nothing, as in SQL.</summary>
public sealed record ComparisonPredicate(string Column, ComparisonOperator Operator, object Value) : ScanPredicate;
