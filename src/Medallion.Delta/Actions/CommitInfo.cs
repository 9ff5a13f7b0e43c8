using System.Text.Json;
using Medallion.Delta.Internal;

namespace Medallion.Delta.Actions;

/// <summary>The <c>commitInfo</c> action: free-form provenance of a commit (operation, parameters, metrics).</summary>
/// <param name="Timestamp">The writer's <c>timestamp</c> field (ms since the epoch), if present.</param>
/// <param name="InCommitTimestamp">The <c>inCommitTimestamp</c> (ms since the epoch) when in-commit timestamps are enabled.</param>
/// <param name="Operation">The operation name, e.g. <c>WRITE</c> or <c>MERGE</c>.</param>
/// <param name="Raw">The whole action object, for fields this type does not model (a detached copy).</param>
public sealed record CommitInfo(long? Timestamp, long? InCommitTimestamp, string? Operation, JsonElement Raw)
{
    /// <summary>The run that made the commit (the <c>job</c> object), when its writer recorded one.</summary>
    public CommitJob? Job => CommitJob.Parse(Raw);

    internal static CommitInfo Parse(JsonElement e) =>
        new(e.Long("timestamp"), e.Long("inCommitTimestamp"), e.String("operation"), e.Clone());
}
