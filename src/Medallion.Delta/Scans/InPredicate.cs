using System.Collections.Generic;

namespace Medallion.Delta.Scans;

/// <summary><c>Column IN (Values)</c>.</summary>
public sealed record InPredicate(string Column, IReadOnlyList<object> Values) : ScanPredicate;
