using System.Collections.Generic;
using Medallion.Catalog;
using Medallion.Pipelines.Environments;
using Medallion.Platform;
using Medallion.Platform.Privacy;

namespace Medallion.Server.Scheduling;

/// <summary>What one housekeeping pass did.</summary>
/// <param name="Rows">The row retention's outcome per table with a retention.</param>
/// <param name="Runs">The run history pruned, or null when the project keeps it forever (or the step failed).</param>
/// <param name="Tables">The upkeep of each built table (none when <c>maintenance: {tables: off}</c>).</param>
/// <param name="Janitor">What the janitor removed of the physical tables no environment points at; null when it did not pass (an apply under way, or the step failed).</param>
internal sealed record Housekeeping(IReadOnlyList<RetentionOutcome> Rows, RunPruning? Runs, IReadOnlyList<TableUpkeep> Tables, JanitorReport? Janitor);
