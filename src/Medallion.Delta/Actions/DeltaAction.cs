namespace Medallion.Delta.Actions;

/// <summary>One action of the Delta log (a line of a commit file or a row of a checkpoint).</summary>
internal abstract record DeltaAction;
