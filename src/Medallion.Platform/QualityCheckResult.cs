using System.Collections.Generic;

namespace Medallion.Platform;

/// <summary>The outcome of checking the expectations of a selection of models (see <see cref="QualityCheck.CheckAsync"/>).</summary>
/// <param name="RunId">The run the results were recorded under.</param>
/// <param name="Models">Each selected model that declares expectations, in dependency order; empty when none does.</param>
/// <param name="Failed">Whether the check failed: a <c>fail</c> rule broke or rules could not be checked; when strict, also any broken rule or a model not built.</param>
/// <param name="Summary">One sentence counting rules and models by outcome, as the run's record keeps it when it failed.</param>
public sealed record QualityCheckResult(string RunId, IReadOnlyList<ModelCheck> Models, bool Failed, string Summary);
