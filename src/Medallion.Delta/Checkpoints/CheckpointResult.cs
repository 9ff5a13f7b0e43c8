namespace Medallion.Delta.Checkpoints;

/// <summary>What a checkpoint wrote.</summary>
/// <param name="Version">The table version the checkpoint holds.</param>
/// <param name="Key">The checkpoint file's key.</param>
/// <param name="Actions">Rows (actions) in the checkpoint.</param>
/// <param name="AddFiles">Live files in the checkpoint.</param>
/// <param name="SizeBytes">The checkpoint file's size.</param>
public sealed record CheckpointResult(long Version, string Key, int Actions, int AddFiles, long SizeBytes);
