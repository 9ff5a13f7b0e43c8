using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Medallion.Delta.Schema;

namespace Medallion.Pipelines.Running;

/// <summary>
/// The Spark SQL statements a model on Spark sends: its SELECT (Spark SQL, its references already pointing at
/// <c>delta.`&lt;location&gt;` VERSION AS OF n</c>) wrapped in the write of its materialization, against its table's
/// location. Pure text, no I/O: the statements are pinned by golden tests.
/// </summary>
internal static class SparkModelSql
{
    /// <summary>The column each scd2 staging row carries its key in (the MERGE pattern of <see cref="ModelBuilder"/>'s DuckDB scd2).</summary>
    private static string StageKey(int index) => "__medallion_scd_key" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The flag a merge's source carries for <c>delete_when</c>, so the condition is evaluated on the source row alone.</summary>
    private const string DeleteFlag = "__medallion_delete";

    /// <summary>A Spark identifier in backticks.</summary>
    public static string Quote(string identifier) => "`" + identifier.Replace("`", "``", StringComparison.Ordinal) + "`";

    /// <summary>The Delta table at <paramref name="location"/>, as Spark names a table by path.</summary>
    public static string Table(string location) => "delta." + Quote(location);

    /// <summary>The Delta table at <paramref name="location"/> as of <paramref name="version"/>.</summary>
    public static string TableAt(string location, long version) =>
        Table(location) + " VERSION AS OF " + version.ToString(CultureInfo.InvariantCulture);

    /// <summary>The rows the table gained after <paramref name="consumed"/> up to <paramref name="current"/> (an upstream whose changes are inserts and update images).</summary>
    public static string ChangesBetween(string location, long consumed, long current) =>
        $"(SELECT * FROM {TableAt(location, current)} EXCEPT ALL SELECT * FROM {TableAt(location, consumed)})";

    /// <summary>
    /// The change data feed of the table after <paramref name="consumed"/> up to <paramref name="current"/>, as a merge
    /// model over it reads it on DuckDB: inserts, update postimages and deletes, with <c>_change_type</c>,
    /// <c>_commit_version</c> and <c>_commit_timestamp</c> (Delta's <c>table_changes_by_path</c>, whose versions are inclusive).
    /// </summary>
    public static string ChangeFeed(string location, long consumed, long current) =>
        string.Create(CultureInfo.InvariantCulture, $"(SELECT * FROM table_changes_by_path({Literal(location)}, {consumed + 1}, {current}) WHERE _change_type IN ('insert', 'update_postimage', 'delete'))");

    /// <summary>The table at <paramref name="version"/> as a change data feed of inserts, for a merge model's full build over a table it otherwise reads the feed of.</summary>
    public static string AsInserts(string location, long version) =>
        string.Create(CultureInfo.InvariantCulture, $"(SELECT *, 'insert' AS _change_type, CAST({version} AS BIGINT) AS _commit_version FROM {TableAt(location, version)})");

    /// <summary>The model's <paramref name="columns"/> (all of them when null), read from the relation <paramref name="alias"/>.</summary>
    private static string Columns(IReadOnlyList<string>? columns, string alias) =>
        columns is null ? alias + ".*" : string.Join(", ", columns.Select(c => alias + "." + Quote(c)));

    /// <summary>A Spark timestamp literal of <paramref name="instant"/> (Spark's TIMESTAMP is an instant, shown in the session's zone).</summary>
    public static string Timestamp(DateTimeOffset instant) =>
        "TIMESTAMP '" + instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "Z'";

    /// <summary>
    /// A run variable's value as a Spark SQL literal, in place of DuckDB's <c>getvariable('name')</c>: NULL, an instant as
    /// a TIMESTAMP (<see cref="Timestamp"/>), anything else its text as a string literal. Spark reads a backslash in a
    /// literal as an escape, so each backslash and quote is escaped: no value ends the literal early.
    /// </summary>
    public static string Literal(object? value) => value switch
    {
        null => "NULL",
        DateTimeOffset instant => Timestamp(instant),
        _ => "'" + Convert.ToString(value, CultureInfo.InvariantCulture)!.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'",
    };

    /// <summary>The model's SELECT without the semicolons that may end it, so it can sit inside another statement.</summary>
    public static string Body(string select) => select.TrimEnd().TrimEnd(';').TrimEnd();

    /// <summary>
    /// Replaces the table with the result (a table, a first or full build of any materialization); <paramref name="columns"/>,
    /// when given, are the result's columns the table holds (the change columns of a change data feed left out).
    /// </summary>
    public static string CreateOrReplace(string location, string select, ModelConfig config, DateTimeOffset runStarted, IReadOnlyList<string>? columns = null)
    {
        string partition = config.PartitionBy.Count == 0 ? string.Empty : $" PARTITIONED BY ({string.Join(", ", config.PartitionBy.Select(Quote))})";
        string rows = config.Materialized switch
        {
            Materialization.Scd2 =>
                $"SELECT model.*, {Timestamp(runStarted)} AS {Quote(ModelBuilder.ValidFrom)}, CAST(NULL AS TIMESTAMP) AS {Quote(ModelBuilder.ValidTo)}, true AS {Quote(ModelBuilder.IsCurrent)} FROM (\n{Body(select)}\n) AS model",
            Materialization.Merge when config.DeleteWhen is not null =>
                $"SELECT {(columns is null ? "*" : Columns(columns, "model"))} FROM (\n{Body(select)}\n) AS model WHERE NOT coalesce(({config.DeleteWhen}), false)",
            _ when columns is not null => $"SELECT {Columns(columns, "model")} FROM (\n{Body(select)}\n) AS model",
            _ => Body(select),
        };
        return $"CREATE OR REPLACE TABLE {Table(location)} USING DELTA{partition} AS\n{rows}";
    }

    /// <summary>Appends the result (an incremental append).</summary>
    public static string InsertInto(string location, string select) => $"INSERT INTO {Table(location)}\n{Body(select)}";

    /// <summary>
    /// Upserts the result on the unique key, deleting matched rows <c>delete_when</c> holds for (an incremental merge);
    /// <paramref name="columns"/>, when given, are the result's columns the table holds, so the MERGE's <c>*</c> never
    /// names a change column.
    /// </summary>
    public static string MergeInto(string location, string select, ModelConfig config, IReadOnlyList<string>? columns = null)
    {
        string on = string.Join(" AND ", config.UniqueKey.Select(k => $"target.{Quote(k)} = source.{Quote(k)}"));
        if (config.DeleteWhen is null)
        {
            string source = columns is null ? Body(select) : $"SELECT {Columns(columns, "model")} FROM (\n{Body(select)}\n) AS model";
            return $"MERGE INTO {Table(location)} AS target\nUSING (\n{source}\n) AS source\nON {on}\nWHEN MATCHED THEN UPDATE SET *\nWHEN NOT MATCHED THEN INSERT *";
        }

        return $"MERGE INTO {Table(location)} AS target\nUSING (SELECT {Columns(columns, "model")}, coalesce(({config.DeleteWhen}), false) AS {DeleteFlag} FROM (\n{Body(select)}\n) AS model) AS source\nON {on}\n" +
            $"WHEN MATCHED AND source.{DeleteFlag} THEN DELETE\nWHEN MATCHED THEN UPDATE SET *\nWHEN NOT MATCHED AND NOT source.{DeleteFlag} THEN INSERT *";
    }

    /// <summary>
    /// Keeps the history of an scd2 table in one MERGE, as the DuckDB build does: for each key whose change columns
    /// differ from its current version, the current version is closed (valid_to = run time, is_current = false) and
    /// the new one inserted; new keys are inserted; keys missing from the result stay current. Closing rows carry the
    /// key in <c>__medallion_scd_key*</c> so they match the current version; new versions carry NULL there and are inserted.
    /// </summary>
    /// <param name="location">The table.</param>
    /// <param name="version">The table's version the history is read at (the one the run saw).</param>
    /// <param name="select">The model's SELECT.</param>
    /// <param name="config">The model's config.</param>
    /// <param name="schema">The table's schema at <paramref name="version"/>.</param>
    /// <param name="runStarted">The run's start, the time versions open and close at.</param>
    public static string MergeHistory(string location, long version, string select, ModelConfig config, StructType schema, DateTimeOffset runStarted)
    {
        string[] scd2 = [ModelBuilder.ValidFrom, ModelBuilder.ValidTo, ModelBuilder.IsCurrent];
        List<string> written = schema.Fields.Select(f => f.Name).Where(n => !scd2.Contains(n, StringComparer.OrdinalIgnoreCase)).ToList();
        IEnumerable<string> compared = config.ChangeColumns.Count > 0
            ? config.ChangeColumns
            : written.Where(c => !config.UniqueKey.Contains(c, StringComparer.OrdinalIgnoreCase));
        string unchanged = string.Join(" AND ", compared.Select(c => $"h.{Quote(c)} <=> c.{Quote(c)}").DefaultIfEmpty("true"));
        string keys(string left, string right) => string.Join(" AND ", config.UniqueKey.Select(k => $"{left}.{Quote(k)} = {right}.{Quote(k)}"));
        string now = Timestamp(runStarted);
        string closing = string.Join(", ", schema.Fields.Select(f => f.Name switch
        {
            ModelBuilder.ValidTo => $"{now} AS {Quote(ModelBuilder.ValidTo)}",
            ModelBuilder.IsCurrent => $"false AS {Quote(ModelBuilder.IsCurrent)}",
            _ => $"h.{Quote(f.Name)}",
        }).Concat(config.UniqueKey.Select((k, i) => $"h.{Quote(k)} AS {StageKey(i)}")));
        string opening = string.Join(", ", schema.Fields.Select(f => f.Name switch
        {
            ModelBuilder.ValidFrom => $"{now} AS {Quote(ModelBuilder.ValidFrom)}",
            ModelBuilder.ValidTo => $"CAST(NULL AS TIMESTAMP) AS {Quote(ModelBuilder.ValidTo)}",
            ModelBuilder.IsCurrent => $"true AS {Quote(ModelBuilder.IsCurrent)}",
            _ => $"c.{Quote(f.Name)}",
        }).Concat(config.UniqueKey.Select((k, i) => $"CAST(NULL AS {SparkKeyType(schema, k)}) AS {StageKey(i)}")));
        string history = TableAt(location, version);
        string on = string.Join(" AND ", config.UniqueKey.Select((k, i) => $"target.{Quote(k)} = source.{StageKey(i)}")) + $" AND target.{Quote(ModelBuilder.IsCurrent)}";
        return $"MERGE INTO {Table(location)} AS target\nUSING (\n" +
            $"SELECT {closing} FROM {history} AS h JOIN (\n{Body(select)}\n) AS c ON {keys("h", "c")} WHERE h.{Quote(ModelBuilder.IsCurrent)} AND NOT ({unchanged})\n" +
            $"UNION ALL\n" +
            $"SELECT {opening} FROM (\n{Body(select)}\n) AS c LEFT JOIN {history} AS h ON {keys("h", "c")} AND h.{Quote(ModelBuilder.IsCurrent)} WHERE h.{Quote(ModelBuilder.IsCurrent)} IS NULL OR NOT ({unchanged})\n" +
            $") AS source\nON {on}\nWHEN MATCHED THEN UPDATE SET *\nWHEN NOT MATCHED THEN INSERT *";
    }

    /// <summary>The Spark type of key column <paramref name="key"/>, so the NULL keys of new versions union with the closing rows' keys.</summary>
    private static string SparkKeyType(StructType schema, string key) =>
        schema.Find(key)?.Type is { } type ? SparkTypeText.Of(type) : "STRING";
}
