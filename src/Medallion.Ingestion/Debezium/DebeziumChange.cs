using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using Medallion.Ingestion.Http;
using Medallion.Ingestion.Json;

namespace Medallion.Ingestion.Debezium;

/// <summary>
/// One Debezium change event (<c>{"schema":..,"payload":{before, after, op, source, ts_ms}}</c>, or the payload alone
/// when the converter has schemas disabled), read into the bronze row our own CDC writes: <c>_op</c>
/// (<c>insert</c>, <c>update</c>, <c>delete</c>, <c>snapshot</c>, <c>truncate</c>), <c>_lsn</c> (<c>source.lsn</c>),
/// <c>_seq</c>, <c>_commit_ts</c> (<c>source.ts_ms</c>, else the event's <c>ts_ms</c>), <c>_txid</c>
/// (<c>source.txId</c>), the row's columns (from <c>after</c>, or <c>before</c> for a delete), and
/// <c>_before_&lt;column&gt;</c> for the before-image of updates and deletes.
/// </summary>
/// <remarks>
/// The Debezium schema part is not used: column types are inferred from the values, as for other JSON sources
/// (Debezium's default encodings then land as such: timestamps as epoch numbers, decimals as text or base64).
/// </remarks>
public sealed class DebeziumChange
{
    /// <summary>The bronze columns a change gets, with their DuckDB types (the same as PostgreSQL CDC's).</summary>
    public static readonly IReadOnlyDictionary<string, string> ChangeColumnTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["_op"] = "VARCHAR",
        ["_lsn"] = "UBIGINT",
        ["_seq"] = "BIGINT",
        ["_commit_ts"] = "TIMESTAMPTZ",
        ["_txid"] = "UBIGINT",
    };

    /// <summary>The prefix of before-image columns, as PostgreSQL CDC names them.</summary>
    public const string BeforePrefix = "_before_";

    private DebeziumChange(string op, ulong? lsn, ulong? txId, long? commitMs, long? order, JsonElement? row, JsonElement? before)
    {
        Op = op;
        Lsn = lsn;
        TxId = txId;
        CommitMs = commitMs;
        Order = order;
        Row = row;
        Before = before;
    }

    /// <summary>The bronze <c>_op</c>: <c>insert</c>, <c>update</c>, <c>delete</c>, <c>snapshot</c> or <c>truncate</c>.</summary>
    public string Op { get; }

    /// <summary><c>source.lsn</c> (PostgreSQL connector), when the event has it.</summary>
    public ulong? Lsn { get; }

    /// <summary><c>source.txId</c>, when the event has it.</summary>
    public ulong? TxId { get; }

    /// <summary>The commit time in milliseconds since the epoch (<c>source.ts_ms</c>, else <c>ts_ms</c>).</summary>
    public long? CommitMs { get; }

    /// <summary><c>transaction.data_collection_order</c>, when the event has it.</summary>
    public long? Order { get; }

    /// <summary>The row's values: <c>after</c>, or <c>before</c> for a delete; none for a truncate.</summary>
    public JsonElement? Row { get; }

    /// <summary>The before-image of an update or delete, when the connector sent one.</summary>
    public JsonElement? Before { get; }

    /// <summary>
    /// Reads one event. Returns true with <paramref name="change"/> null for a tombstone (a null payload, which Kafka
    /// uses for compaction after a delete), true with the change for a change event, and false with the problem
    /// (e.g. <c>'op' is 'x', not one of c, u, d, r, t</c>) for anything else.
    /// </summary>
    public static bool TryRead(JsonElement @event, out DebeziumChange? change, out string? problem)
    {
        change = null;
        problem = null;
        if (@event.ValueKind != JsonValueKind.Object)
        {
            problem = $"an event must be a JSON object, but this is {JsonRecordWriter.Kind(@event.ValueKind)}";
            return false;
        }

        JsonElement payload = @event;
        if (@event.TryGetProperty("payload", out JsonElement wrapped) && !@event.TryGetProperty("op", out _))
        {
            if (wrapped.ValueKind == JsonValueKind.Null)
            {
                return true;
            }

            if (wrapped.ValueKind != JsonValueKind.Object)
            {
                problem = $"'payload' must be an object, but it is {JsonRecordWriter.Kind(wrapped.ValueKind)}";
                return false;
            }

            payload = wrapped;
        }

        if (!payload.TryGetProperty("op", out JsonElement opElement) || opElement.ValueKind != JsonValueKind.String)
        {
            problem = "'op' is missing (expected \"c\", \"u\", \"d\", \"r\" or \"t\"); " + JsonRecordWriter.Describe(payload);
            return false;
        }

        string? op = opElement.GetString() switch
        {
            "c" => "insert",
            "u" => "update",
            "d" => "delete",
            "r" => "snapshot",
            "t" => "truncate",
            _ => null,
        };
        if (op is null)
        {
            problem = $"'op' is \"{opElement.GetString()}\", not one of c, u, d, r, t";
            return false;
        }

        JsonElement? after = Object(payload, "after", out problem);
        JsonElement? before = problem is null ? Object(payload, "before", out problem) : null;
        if (problem is not null)
        {
            return false;
        }

        JsonElement? row = op switch
        {
            "delete" => before ?? Missing("before", op, out problem),
            "truncate" => null,
            _ => after ?? Missing("after", op, out problem),
        };
        if (problem is not null)
        {
            return false;
        }

        JsonElement source = payload.TryGetProperty("source", out JsonElement s) && s.ValueKind == JsonValueKind.Object ? s : default;
        ulong? lsn = Unsigned(source, "lsn", ref problem);
        ulong? txId = Unsigned(source, "txId", ref problem);
        long? commitMs = Signed(source, "ts_ms", ref problem) ?? Signed(payload, "ts_ms", ref problem);
        long? order = payload.TryGetProperty("transaction", out JsonElement tx) && tx.ValueKind == JsonValueKind.Object ? Signed(tx, "data_collection_order", ref problem) : null;
        if (problem is not null)
        {
            return false;
        }

        change = new DebeziumChange(op, lsn, txId, commitMs, order, row, op is "update" or "delete" ? before : null);
        return true;
    }

    /// <summary>
    /// Writes the bronze row as one flat JSON object: the change columns, then the row's, then the before-image's.
    /// <paramref name="sequence"/> is the <c>_seq</c> used when the event has no transaction order (its place in its
    /// file or request).
    /// </summary>
    public void WriteBronzeRow(Utf8JsonWriter writer, long sequence) => WriteBronzeRow(writer, sequence, null, []);

    /// <summary>
    /// Writes the bronze row as <see cref="WriteBronzeRow(Utf8JsonWriter, long)"/> does, with <paramref name="extra"/>
    /// writing more properties at its end (e.g. a Kafka message's topic, partition and offset), whose names
    /// <paramref name="reserved"/> keeps the row's own columns from taking.
    /// </summary>
    public void WriteBronzeRow(Utf8JsonWriter writer, long sequence, Action<Utf8JsonWriter>? extra, IEnumerable<string> reserved)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(reserved);
        var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        writer.WriteStartObject();
        writer.WriteString("_op", Op);
        WriteNullable(writer, "_lsn", Lsn);
        writer.WriteNumber("_seq", Order ?? sequence);
        if (CommitMs is long ms)
        {
            writer.WriteString("_commit_ts", DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss.fff'+00'", CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNull("_commit_ts");
        }

        WriteNullable(writer, "_txid", TxId);
        foreach (string name in ChangeColumnTypes.Keys)
        {
            written.Add(name);
        }

        foreach (string name in reserved)
        {
            written.Add(name);
        }

        if (Row is JsonElement row)
        {
            JsonRecordWriter.WriteProperties(writer, row, NestedJson.Json, string.Empty, written);
        }

        if (Before is JsonElement before)
        {
            JsonRecordWriter.WriteProperties(writer, before, NestedJson.Json, BeforePrefix, written);
        }

        extra?.Invoke(writer);
        writer.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, ulong? value)
    {
        if (value is ulong v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static JsonElement? Object(JsonElement payload, string name, out string? problem)
    {
        problem = null;
        if (!payload.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            problem = $"'{name}' must be an object or null, but it is {JsonRecordWriter.Kind(value.ValueKind)}";
            return null;
        }

        return value;
    }

    private static JsonElement? Missing(string name, string op, out string? problem)
    {
        problem = $"'{name}' is missing or null, but an event with op {op} needs it";
        return null;
    }

    private static ulong? Unsigned(JsonElement parent, string name, ref string? problem)
    {
        if (problem is not null || parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetUInt64(out ulong number))
        {
            return number;
        }

        problem = $"'{name}' must be a non-negative whole number, but it is {value.GetRawText()}";
        return null;
    }

    private static long? Signed(JsonElement parent, string name, ref string? problem)
    {
        if (problem is not null || parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number))
        {
            return number;
        }

        problem = $"'{name}' must be a whole number, but it is {value.GetRawText()}";
        return null;
    }
}
