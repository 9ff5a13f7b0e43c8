using System.Collections.Generic;
using Medallion.Catalog;
using Medallion.Pipelines.Quality;

namespace Medallion.Platform;

/// <summary>How one model's expectations fared against the current data of its table.</summary>
/// <param name="Model">The model.</param>
/// <param name="Results">One result per rule, in the order the model declares them; empty when not built or on error.</param>
/// <param name="Built">False when the model's table does not exist yet (nothing was checked).</param>
/// <param name="Error">Why the rules could not be checked (a misspelt column, a missing referenced table); null when they were.</param>
public sealed record ModelCheck(TableName Model, IReadOnlyList<ExpectationResult> Results, bool Built, MedallionException? Error);
