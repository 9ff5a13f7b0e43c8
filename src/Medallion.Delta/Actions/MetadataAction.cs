namespace Medallion.Delta.Actions;

/// <summary>A <c>metaData</c> line of the log: the commit set the table's schema, partitioning or properties.</summary>
/// <param name="Metadata">The metadata it set.</param>
public sealed record MetadataAction(Metadata Metadata) : DeltaAction;
