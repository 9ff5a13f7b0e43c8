using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Confluent.Kafka;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Ingestion.Debezium;
using Medallion.Ingestion.Http;
using Medallion.Ingestion.Internal;
using Medallion.Ingestion.Json;
using Microsoft.Extensions.Logging;

namespace Medallion.Ingestion.Kafka;

public sealed partial class KafkaIngestion
{
    /// <summary>How often a batch is tried again when other writers' commits conflict with it.</summary>
    private const int CommitAttempts = 5;

    /// <summary>The bookkeeping columns of a message's row; a payload field of the same name is not kept (these win).</summary>
    private static readonly string[] s_messageColumns = ["_topic", "_partition", "_offset", "_timestamp", "_key", "_raw_value", "_parse_error"];

    private static readonly Dictionary<string, string> s_messageColumnTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["_topic"] = "VARCHAR",
        ["_partition"] = "INTEGER",
        ["_offset"] = "BIGINT",
        ["_timestamp"] = "TIMESTAMPTZ",
        ["_key"] = "VARCHAR",
        ["_raw_value"] = "VARCHAR",
        ["_parse_error"] = "VARCHAR",
    };

    private readonly JsonPayloadColumns _payloadColumns = new(s_messageColumns.Append("_ingested_at"));

    private static readonly Dictionary<string, string> s_changeRowTypes = s_messageColumnTypes
        .Concat(DebeziumChange.ChangeColumnTypes)
        .ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Commits the buffered messages in one Delta commit with a <c>txn</c> per topic-partition, then stores the offsets
    /// for the consumer group. Partitions another consumer committed meanwhile are dropped from the batch first.
    /// </summary>
    private async Task FlushAsync(IConsumer<byte[]?, byte[]?> consumer, Totals totals, IProgress<KafkaCommit>? progress, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            DeltaStagedWrite staged = await _writer.BeginWriteAsync(TablePath, new DeltaWriteOptions { Mode = DeltaWriteMode.Append, MergeSchema = true }, cancellationToken).ConfigureAwait(false);
            DropStale(consumer, staged);
            if (_buffer.Count == 0)
            {
                return;
            }

            var next = new Dictionary<TopicPartition, long>();
            foreach (ConsumeResult<byte[]?, byte[]?> m in _buffer)
            {
                next[m.TopicPartition] = Math.Max(next.GetValueOrDefault(m.TopicPartition), m.Offset.Value + 1);
            }

            long rows = await StageAsync(staged, cancellationToken).ConfigureAwait(false);
            if (rows == 0 && staged.ReadVersion < 0)
            {
                // Only tombstones, and no table to hold their offsets yet: they land nothing, so reading them again is harmless.
                ClearBuffer();
                return;
            }

            foreach ((TopicPartition p, long offset) in next)
            {
                staged.SetApplicationTransaction(ApplicationId(_options.Target, p.Topic, p.Partition.Value), offset);
            }

            DeltaOperationResult result;
            try
            {
                result = await staged.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (MedallionException e) when (e.Code == ErrorCode.DeltaConcurrentModification && attempt < CommitAttempts)
            {
                // The next attempt reads the winner: partitions it advanced are dropped, the others are written again.
                LogMessages.KafkaCommitRetry(_logger, _options.Name, TablePath, attempt, e.Message);
                continue;
            }

            if (!result.Committed)
            {
                // A concurrent commit reached every offset of this batch: the next attempt finds them all taken.
                continue;
            }

            var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach ((TopicPartition p, long offset) in next)
            {
                _expected[p] = offset;
                _known[ApplicationId(_options.Target, p.Topic, p.Partition.Value)] = offset;
                offsets[$"{p.Topic}:{p.Partition.Value.ToString(CultureInfo.InvariantCulture)}"] = offset;
                StoreOffset(consumer, new TopicPartitionOffset(p, new Offset(offset)));
            }

            long messages = _buffer.Count;
            totals.Messages += messages;
            totals.Rows += rows;
            totals.Commits++;
            totals.LastVersion = result.Version;
            if (_logger.IsEnabled(LogLevel.Information))
            {
                string reached = string.Join(", ", offsets.Select(o => $"{o.Key}@{o.Value}"));
                LogMessages.KafkaCommitted(_logger, _options.Name, TablePath, result.Version, messages, rows, reached);
            }
            progress?.Report(new KafkaCommit(result.Version, messages, rows, offsets));
            ClearBuffer();
            return;
        }
    }

    /// <summary>
    /// Drops the buffered messages of each partition whose offset in the table is not the one this consumer started
    /// from (another consumer committed it meanwhile) and reads on from the table's offset.
    /// </summary>
    private void DropStale(IConsumer<byte[]?, byte[]?> consumer, DeltaStagedWrite staged)
    {
        foreach (TopicPartition p in _buffer.Select(m => m.TopicPartition).Distinct().ToList())
        {
            long? committed = staged.CommittedApplicationVersion(ApplicationId(_options.Target, p.Topic, p.Partition.Value));
            if (committed == _expected.GetValueOrDefault(p))
            {
                continue;
            }

            int dropped = _buffer.RemoveAll(m => m.TopicPartition == p);
            _expected[p] = committed;
            _atEnd.Remove(p);
            LogMessages.KafkaStale(_logger, _options.Name, p.Topic, p.Partition.Value, committed, dropped);
            try
            {
                consumer.Seek(new TopicPartitionOffset(p, committed is long at ? new Offset(at) : Offset.Beginning));
            }
            catch (KafkaException e)
            {
                // No longer ours (a rebalance is under way): its next owner starts from the table's offset anyway.
                LogMessages.KafkaClientError(_logger, _options.Name, e.Error.Code.ToString(), e.Error.Reason);
            }
        }

        _bufferBytes = _buffer.Sum(m => (long)(m.Message.Value?.Length ?? 0) + (m.Message.Key?.Length ?? 0) + 64);
    }

    private void StoreOffset(IConsumer<byte[]?, byte[]?> consumer, TopicPartitionOffset offset)
    {
        try
        {
            consumer.StoreOffset(offset);
        }
        catch (KafkaException e)
        {
            // The partition was revoked since: the group learns the offset from its next owner's commit.
            LogMessages.KafkaGroupCommitFailed(_logger, _options.Name, e.Error.Reason);
        }
    }

    private void ClearBuffer()
    {
        _buffer.Clear();
        _bufferBytes = 0;
    }

    /// <summary>Adds the buffered messages' rows to the write; returns how many rows (tombstones have none).</summary>
    private async Task<long> StageAsync(DeltaStagedWrite staged, CancellationToken cancellationToken)
    {
        string ingestedAt = "TIMESTAMPTZ '" + DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00'";
        try
        {
            return _options.Format switch
            {
                KafkaPayloadFormat.Raw => await StageRawAsync(staged, ingestedAt, cancellationToken).ConfigureAwait(false),
                KafkaPayloadFormat.Json => await StageJsonAsync(staged, ingestedAt, cancellationToken).ConfigureAwait(false),
                _ => await StageDebeziumAsync(staged, ingestedAt, cancellationToken).ConfigureAwait(false),
            };
        }
        catch (DuckDbException e) when (_options.Format != KafkaPayloadFormat.Raw && e.ErrorType is not (DuckDbErrorType.IO or DuckDbErrorType.OutOfMemory or DuckDbErrorType.Interrupt))
        {
            // Reading the values (and extracting their fields while writing them) failed; the writer's own failures keep their words.
            throw new MedallionException(ErrorCode.SourceReadFailed,
                $"Kafka source '{_options.Name}': the values of a batch ({string.Join(", ", _buffer.GroupBy(m => m.TopicPartition).Select(g => $"{g.Key.Topic}[{g.Key.Partition.Value}] offsets {g.Min(m => m.Offset.Value)}-{g.Max(m => m.Offset.Value)}"))}) cannot be read as one table: {e.Message}\nHelp: nothing of the batch was committed; check that the messages of the topic agree on each field's type.", e);
        }
    }

    /// <summary>
    /// JSON messages: the values are appended as text as they arrived (checked to be UTF-8 JSON objects, nothing
    /// rewritten) and DuckDB extracts and types the fields (<see cref="JsonPayloadColumns"/>); a value that is not a
    /// JSON object is appended as <c>_raw_value</c> with its <c>_parse_error</c>.
    /// </summary>
    private async Task<long> StageJsonAsync(DeltaStagedWrite staged, string ingestedAt, CancellationToken cancellationToken) =>
        await WithStageTableAsync(
            "_value VARCHAR, _topic VARCHAR, _partition INTEGER, _offset BIGINT, _timestamp TIMESTAMPTZ, _key VARCHAR, _raw_value VARCHAR, _parse_error VARCHAR",
            appender =>
            {
                long rows = 0;
                foreach (ConsumeResult<byte[]?, byte[]?> m in _buffer)
                {
                    if (m.Message.Value is not { } value)
                    {
                        continue;
                    }

                    string? problem = JsonObjectProblem(value);
                    appender.BeginRow();
                    if (problem is null)
                    {
                        appender.AppendUtf8(value);
                    }
                    else
                    {
                        appender.AppendNull();
                    }

                    AppendMessageColumns(appender, m);
                    if (problem is null)
                    {
                        appender.AppendNull().AppendNull();
                    }
                    else
                    {
                        appender.Append(Encoding.UTF8.GetString(value)).Append(problem);
                    }

                    appender.EndRow();
                    rows++;
                }

                return rows;
            },
            async (table, rows) =>
            {
                JsonProjection payload = await _payloadColumns.ProjectAsync(_writer.Connection, table, "_value", cancellationToken).ConfigureAwait(false);
                await staged.AddAsync($"SELECT {payload.Columns}_topic, _partition, _offset, _timestamp, _key, _raw_value, _parse_error, {ingestedAt} AS _ingested_at FROM {payload.Source}", cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);

    /// <summary>Appends a message's <c>_topic</c>, <c>_partition</c>, <c>_offset</c>, <c>_timestamp</c> and <c>_key</c> (as text).</summary>
    private static void AppendMessageColumns(DuckDbAppender appender, ConsumeResult<byte[]?, byte[]?> m)
    {
        appender.Append(m.Topic).Append(m.Partition.Value).Append(m.Offset.Value);
        if (m.Message.Timestamp.Type == TimestampType.NotAvailable)
        {
            appender.AppendNull();
        }
        else
        {
            appender.Append(m.Message.Timestamp.UtcDateTime);
        }

        if (m.Message.Key is not { } key)
        {
            appender.AppendNull();
        }
        else if (System.Text.Unicode.Utf8.IsValid(key))
        {
            appender.AppendUtf8(key);
        }
        else
        {
            appender.Append(Encoding.UTF8.GetString(key));
        }
    }

    /// <summary>
    /// Null when <paramref name="value"/> is one JSON object in UTF-8; else what is wrong with it, as a row's
    /// <c>_parse_error</c> says it. Checked by a forward-only reader, which allocates nothing for a good value.
    /// </summary>
    internal static string? JsonObjectProblem(byte[] value)
    {
        if (System.Text.Unicode.Utf8.IsValid(value))
        {
            try
            {
                var reader = new Utf8JsonReader(value);
                if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read())
                    {
                    }

                    return null;
                }
            }
            catch (JsonException)
            {
                // Worded below, by the parser that reads the rare bad value in full.
            }
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(value);
            return $"not a JSON object: the value holds {JsonRecordWriter.Kind(document.RootElement.ValueKind)}";
        }
        catch (JsonException e)
        {
            return $"malformed JSON at byte {e.BytePositionInLine + 1}: {JsonRecordWriter.JsonProblem(e)}";
        }
        catch (ArgumentException)
        {
            return "not UTF-8 text";
        }
    }

    /// <summary>Debezium envelopes, read in .NET by <see cref="DebeziumChange"/> and staged as JSON lines.</summary>
    private async Task<long> StageDebeziumAsync(DeltaStagedWrite staged, string ingestedAt, CancellationToken cancellationToken)
    {
        using var table = new JsonBatchTable(_writer.Connection, s_changeRowTypes);
        var reserved = new HashSet<string>(s_messageColumns, StringComparer.OrdinalIgnoreCase);
        foreach (ConsumeResult<byte[]?, byte[]?> m in _buffer)
        {
            if (m.Message.Value is null)
            {
                continue;
            }

            if (WriteChangeRow(table.BeginRecord(), m, reserved))
            {
                table.EndRecord();
            }
        }

        long rows = table.RecordCount;
        if (rows == 0)
        {
            return 0;
        }

        await table.LoadAsync(null, cancellationToken).ConfigureAwait(false);
        await staged.AddAsync($"SELECT *, {ingestedAt} AS _ingested_at FROM {table.QuotedName}", cancellationToken).ConfigureAwait(false);
        return rows;
    }

    /// <summary>
    /// Writes one Debezium message's row: the change's columns, or the value's text and problem when it cannot be read,
    /// then its bookkeeping columns. Returns false, having written nothing, for a tombstone (a null payload).
    /// </summary>
    private static bool WriteChangeRow(Utf8JsonWriter writer, ConsumeResult<byte[]?, byte[]?> m, HashSet<string> reserved)
    {
        byte[] value = m.Message.Value!;
        string? problem;
        try
        {
            using JsonDocument document = JsonDocument.Parse(value);
            if (DebeziumChange.TryRead(document.RootElement, out DebeziumChange? change, out problem))
            {
                change?.WriteBronzeRow(writer, m.Offset.Value, w => WriteMessageColumns(w, m, null, null), reserved);
                return change is not null;
            }
        }
        catch (JsonException e)
        {
            problem = $"malformed JSON at byte {e.BytePositionInLine + 1}: {JsonRecordWriter.JsonProblem(e)}";
        }

        writer.WriteStartObject();
        WriteMessageColumns(writer, m, Encoding.UTF8.GetString(value), problem);
        writer.WriteEndObject();
        return true;
    }

    private static void WriteMessageColumns(Utf8JsonWriter writer, ConsumeResult<byte[]?, byte[]?> m, string? rawValue, string? problem)
    {
        writer.WriteString("_topic", m.Topic);
        writer.WriteNumber("_partition", m.Partition.Value);
        writer.WriteNumber("_offset", m.Offset.Value);
        if (m.Message.Timestamp.Type == TimestampType.NotAvailable)
        {
            writer.WriteNull("_timestamp");
        }
        else
        {
            writer.WriteString("_timestamp", m.Message.Timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff'+00'", CultureInfo.InvariantCulture));
        }

        if (m.Message.Key is { } key)
        {
            writer.WriteString("_key", Encoding.UTF8.GetString(key));
        }
        else
        {
            writer.WriteNull("_key");
        }

        writer.WriteString("_raw_value", rawValue);
        writer.WriteString("_parse_error", problem);
    }

    /// <summary>Raw messages through DuckDB's appender: key and value as bytes, no parsing.</summary>
    private async Task<long> StageRawAsync(DeltaStagedWrite staged, string ingestedAt, CancellationToken cancellationToken) =>
        await WithStageTableAsync(
            "_key BLOB, _value BLOB, _topic VARCHAR, _partition INTEGER, _offset BIGINT, _timestamp TIMESTAMPTZ",
            appender =>
            {
                foreach (ConsumeResult<byte[]?, byte[]?> m in _buffer)
                {
                    appender.BeginRow().Append(m.Message.Key).Append(m.Message.Value).Append(m.Topic).Append(m.Partition.Value).Append(m.Offset.Value);
                    if (m.Message.Timestamp.Type == TimestampType.NotAvailable)
                    {
                        appender.AppendNull();
                    }
                    else
                    {
                        appender.Append(m.Message.Timestamp.UtcDateTime);
                    }

                    appender.EndRow();
                }

                return _buffer.Count;
            },
            (table, _) => staged.AddAsync($"SELECT *, {ingestedAt} AS _ingested_at FROM {table}", cancellationToken),
            cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Fills a temporary table of <paramref name="columns"/> through DuckDB's appender, then, when rows were appended,
    /// hands its quoted name to <paramref name="add"/>; the table is dropped afterwards. Returns the rows appended.
    /// </summary>
    private async Task<long> WithStageTableAsync(string columns, Func<DuckDbAppender, long> append, Func<string, long, Task> add, CancellationToken cancellationToken)
    {
        DuckDbConnection connection = _writer.Connection;
        string name = "medallion_kafka_stage_" + Guid.NewGuid().ToString("N");
        string table = DuckDbConnection.QuoteIdentifier(name);
        await ExecuteAsync(connection, $"CREATE TEMP TABLE {table} ({columns})", cancellationToken).ConfigureAwait(false);
        try
        {
            long rows;
            using (DuckDbAppender appender = connection.CreateAppender(name))
            {
                rows = append(appender);
            }

            if (rows > 0)
            {
                await add(table, rows).ConfigureAwait(false);
            }

            return rows;
        }
        finally
        {
            await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {table}", CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task ExecuteAsync(DuckDbConnection connection, string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
