using System.Globalization;
using System.Text.RegularExpressions;
using Apache.Arrow;
using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Scanning;
using Medallion.Storage;

namespace Medallion.Spark.Tests;

/// <summary>
/// The service as Spark with Delta Lake: the statements a model on Spark sends (<c>CREATE OR REPLACE TABLE
/// delta.`path` USING DELTA [PARTITIONED BY (...)] AS</c>, <c>INSERT INTO delta.`path`</c>, <c>MERGE INTO
/// delta.`path` AS target USING (...) AS source ON ...</c>) and reads of <c>delta.`path` [VERSION AS OF n]</c>,
/// executed on the lake with Medallion's own Delta writer and scans, on DuckDB. Spark SQL's own spellings the
/// models use (backticks, <c>&lt;=&gt;</c>, TIMESTAMP as an instant) become DuckDB's. A statement of another shape is
/// refused as Spark would refuse SQL it cannot parse, so a test notices any statement the builder did not mean.
/// Delta's idempotent DML settings (<c>spark.databricks.delta.write.txnAppId</c>, <c>txnVersion</c>) put a <c>txn</c>
/// on CREATE and INSERT commits (the writer's merge records none).
/// </summary>
internal sealed partial class SparkConnectTestService
{
    /// <summary>Every write statement executed on the lake, in order: the table's path and the Delta version it committed.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string Statement, string Path, long Version)> LakeWrites { get; } = new();

    private static bool IsLakeWrite(string sql) => LakeWrite().IsMatch(sql);

    /// <summary>Executes a write statement on the lake; returns the responses Spark sends for it.</summary>
    private async Task<List<Protocol.ExecutePlanResponse>> LakeWriteResponsesAsync(Execution execution, string session, string sql)
    {
        await _duckDbLock.WaitAsync();
        try
        {
            (string path, DeltaOperationResult result, RecordBatch? output) = await ExecuteLakeWriteAsync(session, sql);
            LakeWrites.Enqueue((LakeWrite().Match(sql).Groups["verb"].Value, path, result.Version));
            var relation = new Protocol.LocalRelation();
            if (output is not null)
            {
                using (output)
                {
                    relation.Data = Medallion.Spark.Internal.ArrowBatches.Write(output);
                }
            }

            return
            [
                execution.Response(r => r.ExecutionProgress = new Protocol.ExecutePlanResponse.Types.ExecutionProgress { NumInflightTasks = 1 }),
                execution.Response(r => r.SqlCommandResult = new Protocol.ExecutePlanResponse.Types.SqlCommandResult { Relation = new Protocol.Relation { LocalRelation = relation } }),
                execution.Response(r => r.ResultComplete = new Protocol.ExecutePlanResponse.Types.ResultComplete()),
            ];
        }
        catch (DuckDbException e)
        {
            throw SparkError("DUCKDB_ERROR", "42000", e.Message);
        }
        catch (MedallionException e)
        {
            throw SparkError("DELTA_ERROR", "42000", e.Message);
        }
        finally
        {
            _duckDbLock.Release();
        }
    }

    /// <summary>The <c>txn</c> Delta's idempotent DML settings ask the session's writes to record; null when they are not set.</summary>
    private (string? AppId, long? Version) Transaction(string session) =>
        _config.TryGetValue((session, "spark.databricks.delta.write.txnAppId"), out string? app) && _config.TryGetValue((session, "spark.databricks.delta.write.txnVersion"), out string? version)
            ? (app, long.Parse(version, CultureInfo.InvariantCulture))
            : (null, null);

    private async Task<(string Path, DeltaOperationResult Result, RecordBatch? Output)> ExecuteLakeWriteAsync(string session, string sql)
    {
        var writer = new DeltaWriter(_duckDb);
        (string? appId, long? appVersion) = Transaction(session);
        if (CreateTableAs().Match(sql) is { Success: true } create)
        {
            string path = create.Groups["path"].Value;
            string[] partitions = create.Groups["partitions"].Success ? [.. create.Groups["partitions"].Value.Split(',').Select(p => Unquote(p.Trim()))] : [];
            bool exists = await TryLatestAsync(path) is not null;
            return (path, await writer.WriteAsync(path, await DuckDbQueryAsync(create.Groups["query"].Value), new DeltaWriteOptions
            {
                Mode = exists ? DeltaWriteMode.Overwrite : DeltaWriteMode.Append,
                OverwriteSchema = true,
                PartitionBy = partitions,
                ApplicationId = appId,
                ApplicationVersion = appVersion,
            }), null);
        }

        if (InsertInto().Match(sql) is { Success: true } insert)
        {
            string path = insert.Groups["path"].Value;
            Snapshot table = await TryLatestAsync(path) ?? throw SparkError("DELTA_TABLE_NOT_FOUND", "42P01", $"`{path}` is not a Delta table.");
            // Spark inserts by position: the query's columns take the table's names in order.
            string[] names = [.. table.Schema.Fields.Select(f => DuckDbConnection.QuoteIdentifier(f.Name))];
            string query = $"SELECT * FROM ({await DuckDbQueryAsync(insert.Groups["query"].Value)}) AS inserted({string.Join(", ", names)})";
            return (path, await writer.WriteAsync(path, query, new DeltaWriteOptions { Mode = DeltaWriteMode.Append, ApplicationId = appId, ApplicationVersion = appVersion }), null);
        }

        if (MergeInto().Match(sql) is { Success: true } merge)
        {
            string path = merge.Groups["path"].Value;
            _ = await TryLatestAsync(path) ?? throw SparkError("DELTA_TABLE_NOT_FOUND", "42P01", $"`{path}` is not a Delta table.");
            var options = new DeltaMergeOptions(await DuckDbQueryAsync(merge.Groups["source"].Value), await DuckDbQueryAsync(merge.Groups["on"].Value));
            foreach (string clause in merge.Groups["clauses"].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                options = clause switch
                {
                    "WHEN MATCHED THEN UPDATE SET *" => options with { WhenMatched = DeltaMergeMatchedAction.Update },
                    "WHEN NOT MATCHED THEN INSERT *" => options with { WhenNotMatchedInsert = true },
                    _ when MatchedDelete().Match(clause) is { Success: true } delete => options with { DeleteWhen = DuckDbConnection.QuoteIdentifier(delete.Groups["flag"].Value) },
                    _ when NotMatchedInsertUnless().Match(clause) is { Success: true } unless && unless.Groups["flag"].Value == options.DeleteWhen?.Trim('"') => options with { WhenNotMatchedInsert = true },
                    _ => throw SparkError("PARSE_SYNTAX_ERROR", "42601", $"this service runs MERGE clauses of the shapes models send, not '{clause}'"),
                };
            }

            DeltaOperationResult result = await writer.MergeAsync(path, options);
            RecordBatch output = new RecordBatch.Builder()
                .Append("num_affected_rows", false, c => c.Int64(a => a.Append(result.RowsAffected)))
                .Build();
            return (path, result, output);
        }

        throw SparkError("PARSE_SYNTAX_ERROR", "42601", "this service writes Delta tables with CREATE OR REPLACE TABLE ... AS, INSERT INTO and MERGE INTO only");
    }

    /// <summary>
    /// Spark SQL as DuckDB runs it: each <c>delta.`path` [VERSION AS OF n]</c> a scan of that snapshot, Spark's spellings
    /// DuckDB's: backticked names, string literals with backslash escapes (<c>'it\'s'</c>), <c>&lt;=&gt;</c>, TIMESTAMP.
    /// </summary>
    private async Task<string> DuckDbQueryAsync(string spark)
    {
        var scans = new Dictionary<int, string>();
        foreach (Match reference in DeltaReference().Matches(spark))
        {
            string path = reference.Groups["path"].Value;
            var table = new DeltaTable(new LocalObjectStore(path));
            Snapshot snapshot;
            try
            {
                snapshot = reference.Groups["version"].Success
                    ? await table.GetSnapshotAsync(long.Parse(reference.Groups["version"].Value, CultureInfo.InvariantCulture))
                    : await table.GetSnapshotAsync();
            }
            catch (MedallionException e)
            {
                throw SparkError("DELTA_VERSION_NOT_FOUND", "22003", $"`{path}`: {e.Message}");
            }

            scans[reference.Index] = "(" + await DeltaScanSql.BuildAsync(table, snapshot) + ")";
        }

        foreach (Match changes in TableChanges().Matches(spark))
        {
            // Delta's table_changes_by_path(path, start, end): the change data feed of versions start to end, inclusive.
            string path = Unescape(changes.Groups["text"].Value);
            var table = new DeltaTable(new LocalObjectStore(path));
            try
            {
                Snapshot end = await table.GetSnapshotAsync(long.Parse(changes.Groups["end"].Value, CultureInfo.InvariantCulture));
                Delta.ChangeDataFeed.ChangeFeedPlan plan = await table.PlanChangesAsync(end, long.Parse(changes.Groups["start"].Value, CultureInfo.InvariantCulture));
                LocalMirror mirror = LocalMirror.Of(table.Store);
                await mirror.FetchAsync(plan, CancellationToken.None);
                scans[changes.Index] = "(" + DeltaScanSql.Build(plan, mirror) + ")";
            }
            catch (MedallionException e)
            {
                throw SparkError("DELTA_CHANGE_DATA_FEED_ERROR", "22000", $"`{path}`: {e.Message}");
            }
        }

        // One pass left to right, so a quote or backtick inside a literal or a name is never read as the start of another.
        string sql = SparkToken().Replace(spark, m =>
            scans.TryGetValue(m.Index, out string? scan) && (m.Groups["path"].Success || m.Groups["end"].Success) ? scan
            : m.Groups["name"].Success ? DuckDbConnection.QuoteIdentifier(m.Groups["name"].Value.Replace("``", "`", StringComparison.Ordinal))
            : DuckDbConnection.QuoteLiteral(Unescape(m.Groups["text"].Value)));
        sql = sql.Replace("<=>", " IS NOT DISTINCT FROM ", StringComparison.Ordinal);
        // Spark's TIMESTAMP is an instant (shown in the session's zone), DuckDB's TIMESTAMPTZ.
        return SparkTimestamp().Replace(sql, "TIMESTAMPTZ");
    }

    /// <summary>The text of a Spark string literal's body: backslash escapes read.</summary>
    private static string Unescape(string literal) =>
        SparkEscape().Replace(literal, e => e.Groups["c"].Value switch { "n" => "\n", "t" => "\t", "r" => "\r", string c => c });

    private static async Task<Snapshot?> TryLatestAsync(string path)
    {
        try
        {
            return await new DeltaTable(new LocalObjectStore(path)).GetSnapshotAsync();
        }
        catch (MedallionException e) when (e.Code is ErrorCode.DeltaTableNotFound)
        {
            return null;
        }
    }

    private static string Unquote(string identifier) =>
        identifier.StartsWith('`') && identifier.EndsWith('`') ? identifier[1..^1].Replace("``", "`", StringComparison.Ordinal) : identifier;

    [GeneratedRegex(@"^\s*(?<verb>CREATE OR REPLACE TABLE|INSERT INTO|MERGE INTO) delta\.`", RegexOptions.CultureInvariant)]
    private static partial Regex LakeWrite();

    [GeneratedRegex(@"^\s*CREATE OR REPLACE TABLE delta\.`(?<path>(?:[^`]|``)+)` USING DELTA(?: PARTITIONED BY \((?<partitions>[^)]*)\))? AS\s(?<query>.*)$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex CreateTableAs();

    [GeneratedRegex(@"^\s*INSERT INTO delta\.`(?<path>(?:[^`]|``)+)`\s(?<query>.*)$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex InsertInto();

    [GeneratedRegex(@"^\s*MERGE INTO delta\.`(?<path>(?:[^`]|``)+)` AS target\s+USING \((?<source>.*)\) AS source\s+ON (?<on>.*?)\s+(?<clauses>WHEN .*)$", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex MergeInto();

    [GeneratedRegex(@"^WHEN MATCHED AND source\.(?<flag>\w+) THEN DELETE$", RegexOptions.CultureInvariant)]
    private static partial Regex MatchedDelete();

    [GeneratedRegex(@"^WHEN NOT MATCHED AND NOT source\.(?<flag>\w+) THEN INSERT \*$", RegexOptions.CultureInvariant)]
    private static partial Regex NotMatchedInsertUnless();

    [GeneratedRegex(@"delta\.`(?<path>(?:[^`]|``)+)`(?: VERSION AS OF (?<version>\d+))?", RegexOptions.CultureInvariant)]
    private static partial Regex DeltaReference();

    [GeneratedRegex(@"\btable_changes_by_path\('(?<text>(?:[^'\\]|\\.)*)', (?<start>\d+), (?<end>\d+)\)", RegexOptions.CultureInvariant)]
    private static partial Regex TableChanges();

    [GeneratedRegex(@"\btable_changes_by_path\('(?:[^'\\]|\\.)*', (?<start>\d+), (?<end>\d+)\)|delta\.`(?<path>(?:[^`]|``)+)`(?: VERSION AS OF (?<version>\d+))?|`(?<name>(?:[^`]|``)+)`|'(?<text>(?:[^'\\]|\\.)*)'", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex SparkToken();

    [GeneratedRegex(@"\\(?<c>.)", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex SparkEscape();

    [GeneratedRegex(@"\bTIMESTAMP\b(?=\s*'|\s*\))", RegexOptions.CultureInvariant)]
    private static partial Regex SparkTimestamp();
}
