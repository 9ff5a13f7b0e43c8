using Medallion.Catalog;
using Medallion.Engine;

namespace Medallion.Platform;

/// <summary>What the upkeep of one table did (<see cref="Lakehouse.MaintainTablesAsync"/>).</summary>
/// <param name="Table">The table.</param>
/// <param name="Done">What the pass did, or null when it failed.</param>
/// <param name="Error">Why it failed, or null.</param>
public sealed record TableUpkeep(TableName Table, TableMaintenance? Done, string? Error);
