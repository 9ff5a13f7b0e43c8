using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Platform;

/// <summary>The quality of one table: the latest result of each of its rules, and the results before, newest first.</summary>
/// <param name="Table">The table.</param>
/// <param name="Latest">The latest result of each rule, by rule name.</param>
/// <param name="History">Every stored result, newest check first, up to the limit asked for.</param>
public sealed record TableQuality(TableName Table, IReadOnlyList<QualityResultRecord> Latest, IReadOnlyList<QualityResultRecord> History);
