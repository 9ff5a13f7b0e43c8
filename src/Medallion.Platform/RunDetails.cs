using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Platform;

/// <summary>One run with what it did: its models, the quality results it recorded and its database-source passes.</summary>
/// <param name="Run">The run.</param>
/// <param name="Models">Its models, in the order they were recorded.</param>
/// <param name="Quality">The expectation results it recorded.</param>
/// <param name="Sources">Its passes over database and API sources.</param>
public sealed record RunDetails(
    RunRecord Run,
    IReadOnlyList<ModelRunRecord> Models,
    IReadOnlyList<QualityResultRecord> Quality,
    IReadOnlyList<SourceRunRecord> Sources)
{
    /// <summary>Its attempts (the first try and each retry) with their errors.</summary>
    public IReadOnlyList<RunAttemptRecord> Attempts { get; init; } = [];

    /// <summary>
    /// The runs that repeat this one (reruns from failure, retries, re-runs of some of its tables), newest first; their
    /// errors are left to their own details, which show them as their tables allow.
    /// </summary>
    public IReadOnlyList<RunRecord> Repeats { get; init; } = [];
}
