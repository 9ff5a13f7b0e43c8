using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Medallion.DuckDb;

namespace Medallion.Delta.Benchmarks;

/// <summary>
/// Writes a Delta table's log the way a streaming writer with periodic compaction would: one appended file per
/// commit, every tenth commit an OPTIMIZE that replaces the files appended since the last one, and a classic
/// single-part checkpoint (Parquet, written by DuckDB with the protocol's checkpoint schema) every
/// <c>checkpointInterval</c> commits, plus <c>_last_checkpoint</c>. Data files are not written: the scenario
/// measures log replay only.
/// </summary>
internal static class TableBuilder
{
    private const long StartMs = 1_700_000_000_000;

    // PROTOCOL.md "Checkpoint Schema": one struct column per action type, one action per row.
    private const string CheckpointColumns =
        "{protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)', " +
        "metaData: 'STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)', " +
        "txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)', " +
        "add: 'STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR))', " +
        "remove: 'STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT)'}";

    public static void Build(string root, int commits, int checkpointInterval, DuckDbConnection connection)
    {
        string log = Path.Combine(root, "_delta_log");
        Directory.CreateDirectory(log);
        const string Protocol = "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}";
        string schema = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"value\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";
        string metadata = "{\"metaData\":{\"id\":\"5f4c3a8e-0c7b-4d6e-9a51-2f1d7c0b9e3a\",\"format\":{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":"
            + Quote(schema) + ",\"partitionColumns\":[],\"configuration\":{},\"createdTime\":" + StartMs.ToString(CultureInfo.InvariantCulture) + "}}";

        var live = new Dictionary<string, string>(StringComparer.Ordinal);
        var tombstones = new Dictionary<string, string>(StringComparer.Ordinal);
        var sinceCompaction = new List<string>();
        var commit = new StringBuilder();
        for (int v = 0; v < commits; v++)
        {
            long ts = StartMs + (v * 1000L);
            bool compaction = v > 0 && v % 10 == 0;
            commit.Clear();
            commit.Append("{\"commitInfo\":{\"timestamp\":").Append(ts).Append(",\"operation\":\"").Append(v == 0 ? "CREATE TABLE" : compaction ? "OPTIMIZE" : "WRITE")
                .Append("\",\"operationParameters\":{\"mode\":\"Append\"},\"operationMetrics\":{\"numFiles\":\"1\"},\"engineInfo\":\"Medallion benchmark\"}}\n");
            if (v == 0)
            {
                commit.Append(Protocol).Append('\n').Append(metadata).Append('\n');
            }

            if (compaction)
            {
                foreach (string path in sinceCompaction)
                {
                    live.Remove(path);
                    string remove = "{\"remove\":{\"path\":\"" + path + "\",\"deletionTimestamp\":" + ts.ToString(CultureInfo.InvariantCulture)
                        + ",\"dataChange\":false,\"extendedFileMetadata\":true,\"partitionValues\":{},\"size\":4096}}";
                    tombstones[path] = remove;
                    commit.Append(remove).Append('\n');
                }

                sinceCompaction.Clear();
            }

            string file = $"part-{v:D6}-c000.snappy.parquet";
            string add = "{\"add\":{\"path\":\"" + file + "\",\"partitionValues\":{},\"size\":" + (compaction ? "40960" : "4096") + ",\"modificationTime\":" + ts.ToString(CultureInfo.InvariantCulture)
                + ",\"dataChange\":" + (compaction ? "false" : "true") + ",\"stats\":" + Quote($"{{\"numRecords\":100,\"minValues\":{{\"id\":{v * 100L},\"value\":\"a\"}},\"maxValues\":{{\"id\":{(v * 100L) + 99},\"value\":\"z\"}},\"nullCount\":{{\"id\":0,\"value\":0}}}}") + "}}";
            live[file] = add;
            if (!compaction)
            {
                sinceCompaction.Add(file);
            }

            commit.Append(add).Append('\n');
            File.WriteAllText(Path.Combine(log, $"{v:D20}.json"), commit.ToString());

            if (v > 0 && v % checkpointInterval == 0)
            {
                WriteCheckpoint(log, v, [Protocol, metadata, .. live.Values, .. tombstones.Values], connection);
            }
        }
    }

    private static void WriteCheckpoint(string log, int version, List<string> actions, DuckDbConnection connection)
    {
        string staging = Path.Combine(log, $"{version:D20}.checkpoint.staging.json");
        File.WriteAllLines(staging, actions);
        string target = Path.Combine(log, $"{version:D20}.checkpoint.parquet");
        using (DuckDbCommand copy = connection.CreateCommand())
        {
            copy.CommandText = $"COPY (SELECT protocol, metaData, txn, \"add\", remove FROM read_json({DuckDbConnection.QuoteLiteral(staging)}, format = 'newline_delimited', columns = {CheckpointColumns})) TO {DuckDbConnection.QuoteLiteral(target)} (FORMAT parquet)";
            copy.ExecuteNonQuery();
        }

        File.Delete(staging);
        File.WriteAllText(Path.Combine(log, "_last_checkpoint"), $"{{\"version\":{version},\"size\":{actions.Count}}}");
    }

    private static string Quote(string json) => System.Text.Json.JsonSerializer.Serialize(json);
}
