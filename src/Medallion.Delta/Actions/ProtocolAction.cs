namespace Medallion.Delta.Actions;

/// <summary>A <c>protocol</c> line of the log.</summary>
internal sealed record ProtocolAction(Protocol Protocol) : DeltaAction;
