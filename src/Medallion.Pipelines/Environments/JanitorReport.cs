using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Catalog;

namespace Medallion.Pipelines.Environments;

/// <summary>What the janitor did with one physical table no environment points at.</summary>
public enum JanitorOutcome
{
    /// <summary>Its files were deleted.</summary>
    Removed,

    /// <summary>A dry run: its files would have been deleted.</summary>
    WouldRemove,

    /// <summary>Kept, for the reason given: within the retention, or read by a live shallow clone.</summary>
    Kept,

    /// <summary>Deleting its files failed; the next pass tries again.</summary>
    Failed,
}

/// <summary>One physical table the janitor looked at: unpointed, under <c>_versions/</c>.</summary>
/// <param name="Model">The model it holds a version of.</param>
/// <param name="Pointer">Its location relative to the model's namespace storage (<c>_versions/orders/3f2a…</c>).</param>
/// <param name="Location">Its location (absolute path or URI).</param>
/// <param name="Files">How many files it has, its quarantine's included.</param>
/// <param name="SizeBytes">Their size.</param>
/// <param name="UnpointedAt">When it lost its last pointer (or was first found without one).</param>
/// <param name="Outcome">What was done.</param>
/// <param name="Reason">Why it was kept, or what failed; null when removed.</param>
public sealed record JanitorTable(TableName Model, string Pointer, string Location, int Files, long SizeBytes, DateTimeOffset UnpointedAt, JanitorOutcome Outcome, string? Reason);

/// <summary>What one pass of the janitor did (<see cref="EnvironmentJanitor.SweepAsync"/>).</summary>
/// <param name="Retention">How long a table stays unpointed before it goes.</param>
/// <param name="DryRun">Whether it only said what it would remove.</param>
/// <param name="Tables">Each unpointed table it looked at, by model and pointer.</param>
public sealed record JanitorReport(TimeSpan Retention, bool DryRun, IReadOnlyList<JanitorTable> Tables)
{
    /// <summary>The tables removed, or that a dry run would remove.</summary>
    public IEnumerable<JanitorTable> Removed => Tables.Where(t => t.Outcome is JanitorOutcome.Removed or JanitorOutcome.WouldRemove);

    /// <summary>The bytes of <see cref="Removed"/>.</summary>
    public long BytesRemoved => Removed.Sum(t => t.SizeBytes);

    /// <summary>Whether a table could not be removed.</summary>
    public bool AnyFailed => Tables.Any(t => t.Outcome == JanitorOutcome.Failed);
}
