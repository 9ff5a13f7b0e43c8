namespace Medallion.Ingestion.Kafka;

/// <summary>How the value of a Kafka message becomes a bronze row.</summary>
public enum KafkaPayloadFormat
{
    /// <summary>A JSON object per message: a column per top-level field (nested objects and arrays as JSON text).</summary>
    Json,

    /// <summary>
    /// Debezium change events (with or without the <c>schema</c>/<c>payload</c> envelope), landing with the columns of
    /// the other change sources: <c>_op</c>, <c>_lsn</c>, <c>_seq</c>, <c>_commit_ts</c>, <c>_txid</c>, the row and
    /// <c>_before_&lt;column&gt;</c>. Tombstones (a null value) land nothing.
    /// </summary>
    Debezium,

    /// <summary>The key and value as bytes (<c>_key</c> and <c>_value</c>, binary), whatever they hold.</summary>
    Raw,
}
