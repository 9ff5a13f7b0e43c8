using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Pipelines.Planning;

/// <summary>What decides a model's data, and what only documents it, each as a hash (see <see cref="ModelFingerprints"/>).</summary>
/// <param name="Model">The model.</param>
/// <param name="Fingerprint">
/// The hash of DuckDB's parse of its SQL (so layout and comments do not count), its data config (materialization,
/// unique key, partitioning, interval column, delete and change columns), the variables its SQL reads with their values,
/// and the fingerprints of what it reads (a source's definition for a source).
/// </param>
/// <param name="DefinitionHash">The hash of the model's own part of <paramref name="Fingerprint"/>: its parse, data config and variables, without what it reads.</param>
/// <param name="MetadataHash">The hash of its description, owner, tags, column docs and classifications, and expectations.</param>
/// <param name="Variables">The variables its SQL reads (<c>getvariable('name')</c>), sorted.</param>
public sealed record ModelFingerprint(TableName Model, string Fingerprint, string DefinitionHash, string MetadataHash, IReadOnlyList<string> Variables);
