namespace Medallion.Delta.Actions;

/// <summary>A <c>metaData</c> line of the log.</summary>
internal sealed record MetadataAction(Metadata Metadata) : DeltaAction;
