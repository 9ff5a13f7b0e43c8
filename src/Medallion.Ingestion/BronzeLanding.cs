namespace Medallion.Ingestion;

/// <summary>What landing a source in its bronze table did (<see cref="IngestionRunner.LandAsync"/>).</summary>
/// <param name="Result">Batches and rows moved, and the position reached.</param>
/// <param name="CommittedVersion">The table version this landing committed last; null when it committed nothing.</param>
/// <param name="TableVersion">The table's version after the landing; null when the table still has none.</param>
public sealed record BronzeLanding(IngestionResult Result, long? CommittedVersion, long? TableVersion);
