namespace Medallion.Ingestion.Kafka;

/// <summary>What a Kafka ingestion run committed.</summary>
/// <param name="Messages">Messages whose offsets were committed (rows, rejects and tombstones).</param>
/// <param name="Rows">Bronze rows written.</param>
/// <param name="Commits">Delta commits made.</param>
/// <param name="LastVersion">The table version of the last commit, or null when the run committed nothing.</param>
public sealed record KafkaIngestionResult(long Messages, long Rows, long Commits, long? LastVersion);

/// <summary>One Delta commit of a Kafka ingestion run, reported as it happens.</summary>
/// <param name="Version">The committed table version.</param>
/// <param name="Messages">Messages the commit covers.</param>
/// <param name="Rows">Bronze rows it added.</param>
/// <param name="Offsets">The next offset of each topic-partition it covers (<c>topic:partition</c> to offset).</param>
public sealed record KafkaCommit(long Version, long Messages, long Rows, System.Collections.Generic.IReadOnlyDictionary<string, long> Offsets);
