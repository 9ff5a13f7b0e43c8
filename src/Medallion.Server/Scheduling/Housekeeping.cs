using System.Collections.Generic;
using Medallion.Catalog;
using Medallion.Platform;
using Medallion.Platform.Privacy;

namespace Medallion.Server.Scheduling;

/// <summary>What one housekeeping pass did.</summary>
/// <param name="Rows">The row retention's outcome per table with a retention.</param>
/// <param name="Runs">The run history pruned, or null when the project keeps it forever (or the step failed).</param>
/// <param name="Tables">The upkeep of each built table (none when <c>maintenance: {tables: off}</c>).</param>
internal sealed record Housekeeping(IReadOnlyList<RetentionOutcome> Rows, RunPruning? Runs, IReadOnlyList<TableUpkeep> Tables);
