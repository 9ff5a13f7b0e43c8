namespace Medallion.Delta.Actions;

/// <summary>A <c>commitInfo</c> line of the log.</summary>
internal sealed record CommitInfoAction(CommitInfo CommitInfo) : DeltaAction;
