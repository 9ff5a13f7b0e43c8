using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine.Scanning;
using Medallion.Pipelines;

namespace Medallion.Platform;

/// <summary>One side of a data diff: a table at a version.</summary>
/// <param name="Label">How the report names the side (<c>version 12</c>).</param>
/// <param name="Location">The table's location.</param>
/// <param name="Version">The version; null for the newest.</param>
public sealed record DiffSide(string Label, string Location, long? Version);

/// <summary>How one column differs between the sides of a diff.</summary>
/// <param name="Name">The column.</param>
/// <param name="LeftType">Its type on the left side; null when only the right has it.</param>
/// <param name="RightType">Its type on the right side; null when only the left has it.</param>
/// <param name="ChangedRows">With a key: the rows of both sides whose value of the column differs; null without a key or when one side lacks it.</param>
/// <param name="Left">Statistics of the column on the left side; null when it lacks the column.</param>
/// <param name="Right">Statistics of the column on the right side.</param>
public sealed record ColumnDiff(string Name, string? LeftType, string? RightType, long? ChangedRows, ColumnStats? Left, ColumnStats? Right);

/// <summary>Statistics of one column on one side.</summary>
/// <param name="Nulls">Rows whose value is null.</param>
/// <param name="Distinct">Distinct values (DuckDB's estimate).</param>
/// <param name="Min">The smallest value, as text.</param>
/// <param name="Max">The largest value, as text.</param>
/// <param name="Mean">The mean of a numeric column; null for others.</param>
/// <param name="DistinctSampleRows">
/// When the side has more rows than a diff counts distinct values of (<see cref="Lakehouse.DistinctCountedRows"/>), the rows
/// of the sample <paramref name="Distinct"/> was estimated in; null when it was estimated over every row.
/// </param>
public sealed record ColumnStats(long Nulls, long Distinct, string? Min, string? Max, double? Mean, long? DistinctSampleRows = null);

/// <summary>A data diff of two sides of a table, computed in DuckDB.</summary>
/// <param name="Table">The table.</param>
/// <param name="Left">The side compared.</param>
/// <param name="Right">The side compared against.</param>
/// <param name="Key">The key the rows were matched by; empty: rows are compared whole (as multisets).</param>
/// <param name="LeftRows">Rows on the left.</param>
/// <param name="RightRows">Rows on the right.</param>
/// <param name="OnlyLeft">Rows (keys) only on the left.</param>
/// <param name="OnlyRight">Rows (keys) only on the right.</param>
/// <param name="Changed">With a key: keys on both sides whose rows differ in a shared column.</param>
/// <param name="Columns">Each column of either side.</param>
/// <param name="Samples">A few differing rows: <c>only left</c>, <c>only right</c> or <c>changed</c>, with their values as text.</param>
public sealed record TableDiff(
    TableName Table,
    DiffSide Left,
    DiffSide Right,
    IReadOnlyList<string> Key,
    long LeftRows,
    long RightRows,
    long OnlyLeft,
    long OnlyRight,
    long? Changed,
    IReadOnlyList<ColumnDiff> Columns,
    IReadOnlyList<DiffSample> Samples)
{
    /// <summary>Whether the sides hold the same rows with the same columns.</summary>
    public bool Same => OnlyLeft == 0 && OnlyRight == 0 && (Changed ?? 0) == 0 && Columns.All(c => c.LeftType == c.RightType);
}

/// <summary>A differing row.</summary>
/// <param name="Kind"><c>only left</c>, <c>only right</c> or <c>changed</c>.</param>
/// <param name="Values">Column and value; for a changed row, the key and each changed column as <c>right → left</c> (against → compared).</param>
public sealed record DiffSample(string Kind, IReadOnlyList<KeyValuePair<string, string?>> Values);

public sealed partial class Lakehouse
{
    /// <summary>
    /// Compares two sides of a table in DuckDB: row counts, rows only on one side, and, matched by <paramref name="key"/>,
    /// the rows that changed with the columns that changed and a sample; per-column statistics of both sides (nulls,
    /// distinct values, min, max, mean) show drift. A diff shows rows, so only a reader who reads the table in full
    /// (every column unmasked, no row filter) may run one.
    /// </summary>
    /// <param name="name">A table of <see cref="TableNames"/>.</param>
    /// <param name="left">The side compared.</param>
    /// <param name="right">The side compared against.</param>
    /// <param name="key">Columns that identify a row on both sides; empty to compare whole rows.</param>
    /// <param name="sampleRows">How many differing rows to show of each kind.</param>
    /// <param name="cancellationToken">Stops the comparison.</param>
    public async Task<TableDiff> DiffAsync(TableName name, DiffSide left, DiffSide right, IReadOnlyList<string> key, int sampleRows = 5, CancellationToken cancellationToken = default)
    {
        if (!Reader.ReadsInFull(name))
        {
            throw new MedallionException(ErrorCode.EngineAccessDenied,
                $"A diff of {name} shows its rows, and you do not read it in full (some columns are not granted, masked or filtered).\nHelp: ask an admin for a full grant on {name}, or compare with SQL, which applies your masks.");
        }

        (string leftScan, StructTypeColumns leftColumns) = await ScanAsync(name, left, cancellationToken).ConfigureAwait(false);
        (string rightScan, StructTypeColumns rightColumns) = await ScanAsync(name, right, cancellationToken).ConfigureAwait(false);
        foreach (string column in key)
        {
            if (!leftColumns.Has(column) || !rightColumns.Has(column))
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid,
                    $"The key column '{column}' is not in {name} on {(leftColumns.Has(column) ? right.Label : left.Label)}. Columns: {string.Join(", ", (leftColumns.Has(column) ? rightColumns : leftColumns).Names)}.\nHelp: name columns both sides have, e.g. --key {leftColumns.Names.Intersect(rightColumns.Names, StringComparer.OrdinalIgnoreCase).FirstOrDefault() ?? "id"}.");
            }
        }

        List<string> shared = [.. leftColumns.Names.Where(rightColumns.Has)];
        List<string> compared = [.. shared.Where(c => !key.Contains(c, StringComparer.OrdinalIgnoreCase))];
        await ExecuteAsync($"CREATE OR REPLACE TEMP VIEW __diff_left AS {leftScan}", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync($"CREATE OR REPLACE TEMP VIEW __diff_right AS {rightScan}", cancellationToken).ConfigureAwait(false);
        try
        {
            long leftRows = await CountRowsAsync("__diff_left", cancellationToken).ConfigureAwait(false);
            long rightRows = await CountRowsAsync("__diff_right", cancellationToken).ConfigureAwait(false);
            var samples = new List<DiffSample>();
            long onlyLeft, onlyRight;
            long? changed = null;
            var changedByColumn = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            string sharedList = string.Join(", ", shared.Select(Quote));
            if (key.Count == 0)
            {
                // One grouping of both sides' rows counts each distinct row's surplus on the left (negative: on the
                // right) and keeps those that differ, few when the sides are alike; as EXCEPT ALL both ways, at a third
                // of its cost. Counts and samples come from them.
                await ExecuteAsync(
                    $"CREATE OR REPLACE TEMP TABLE __diff_rows AS SELECT {sharedList}, sum(__side) AS __surplus FROM (SELECT {sharedList}, 1 AS __side FROM __diff_left UNION ALL SELECT {sharedList}, -1 FROM __diff_right) GROUP BY ALL HAVING sum(__side) <> 0",
                    cancellationToken).ConfigureAwait(false);
                using (DuckDbCommand command = Connection.CreateCommand())
                {
                    command.CommandText = "SELECT coalesce(sum(__surplus) FILTER (WHERE __surplus > 0), 0)::BIGINT, coalesce(-sum(__surplus) FILTER (WHERE __surplus < 0), 0)::BIGINT FROM __diff_rows";
                    using DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    (onlyLeft, onlyRight) = (reader.GetInt64(0), reader.GetInt64(1));
                }

                samples.AddRange(await SamplesAsync("only left", $"SELECT {sharedList} FROM __diff_rows WHERE __surplus > 0", sampleRows, cancellationToken).ConfigureAwait(false));
                samples.AddRange(await SamplesAsync("only right", $"SELECT {sharedList} FROM __diff_rows WHERE __surplus < 0", sampleRows, cancellationToken).ConfigureAwait(false));
            }
            else
            {
                // The pairs the sides' keys make, counted before the join that keeps them so that a key repeated on
                // both sides (a status, say) is refused rather than multiplied into every pair of its rows.
                long pairs = await CountKeyPairsAsync(key, Math.Min(leftRows, rightRows) + 1, cancellationToken).ConfigureAwait(false);
                if (pairs > Math.Min(leftRows, rightRows))
                {
                    await RefuseRepeatedKeyAsync(name, key, (left, "__diff_left"), (right, "__diff_right"), cancellationToken).ConfigureAwait(false);
                }

                string on = string.Join(" AND ", key.Select(k => $"l.{Quote(k)} IS NOT DISTINCT FROM r.{Quote(k)}"));
                string differs = compared.Count == 0 ? "false" : string.Join(" OR ", compared.Select(c => $"l.{Quote(c)} IS DISTINCT FROM r.{Quote(c)}"));
                string joined = $"(SELECT *, true AS __present FROM __diff_left) l FULL OUTER JOIN (SELECT *, true AS __present FROM __diff_right) r ON {on}";
                // One pass of the join keeps the differing rows' keys (few when the sides are alike); the counts and the
                // samples come from them rather than from joining the sides again.
                string keyColumns = string.Join(", ", key.Select(k => $"coalesce(l.{Quote(k)}, r.{Quote(k)}) AS {Quote(k)}"));
                string flags = string.Concat(compared.Select((c, i) => $", l.{Quote(c)} IS DISTINCT FROM r.{Quote(c)} AS __changed_{i}"));
                // The differing rows' values of both sides come along, so the samples are read from here rather than
                // from three more scans of the sides.
                string values = string.Concat(leftColumns.Names.Select((c, i) => $", l.{Quote(c)} AS __left_{i}"))
                    + string.Concat(rightColumns.Names.Select((c, i) => $", r.{Quote(c)} AS __right_{i}"));
                await ExecuteAsync(
                    $"CREATE OR REPLACE TEMP TABLE __diff_keys AS SELECT {keyColumns}, CASE WHEN r.__present IS NULL THEN 'only left' WHEN l.__present IS NULL THEN 'only right' ELSE 'changed' END AS __kind{flags}{values} "
                    + $"FROM {joined} WHERE r.__present IS NULL OR l.__present IS NULL OR ({differs})", cancellationToken).ConfigureAwait(false);
                var counts = new StringBuilder("SELECT count(*) FILTER (WHERE __kind = 'only left'), count(*) FILTER (WHERE __kind = 'only right'), count(*) FILTER (WHERE __kind = 'changed')");
                for (int i = 0; i < compared.Count; i++)
                {
                    counts.Append(CultureInfo.InvariantCulture, $", count(*) FILTER (WHERE __kind = 'changed' AND __changed_{i})");
                }

                counts.Append(" FROM __diff_keys");
                using (DuckDbCommand command = Connection.CreateCommand())
                {
                    command.CommandText = counts.ToString();
                    using DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    (onlyLeft, onlyRight, changed) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
                    for (int i = 0; i < compared.Count; i++)
                    {
                        changedByColumn[compared[i]] = reader.GetInt64(3 + i);
                    }
                }

                await RefuseDuplicateKeysAsync(name, key, pairs, leftRows - onlyLeft, rightRows - onlyRight, (left, "__diff_left"), (right, "__diff_right"), cancellationToken).ConfigureAwait(false);
                string order = string.Join(", ", key.Select(Quote));
                string Side(string kind, StructTypeColumns columns, string prefix) =>
                    $"SELECT {string.Join(", ", columns.Names.Select((c, i) => $"{prefix}{i} AS {Quote(c)}"))} FROM __diff_keys WHERE __kind = '{kind}' ORDER BY {order}";
                samples.AddRange(await SamplesAsync("only left", Side("only left", leftColumns, "__left_"), sampleRows, cancellationToken).ConfigureAwait(false));
                samples.AddRange(await SamplesAsync("only right", Side("only right", rightColumns, "__right_"), sampleRows, cancellationToken).ConfigureAwait(false));
                List<string> changedColumns = [.. compared.Where(c => changedByColumn[c] > 0)];
                if (changedColumns.Count > 0)
                {
                    // Each changed column as "right → left" (what it was against, what it is) when it differs, null when it
                    // does not: the sample shows what changed.
                    string Left(string c) => $"__left_{leftColumns.IndexOf(c)}";
                    string Right(string c) => $"__right_{rightColumns.IndexOf(c)}";
                    string changes = string.Join(", ", changedColumns.Select(c =>
                        $"CASE WHEN __changed_{compared.IndexOf(c)} THEN coalesce(CAST({Right(c)} AS VARCHAR), 'NULL') || ' → ' || coalesce(CAST({Left(c)} AS VARCHAR), 'NULL') END AS {Quote(c)}"));
                    samples.AddRange(await SamplesAsync("changed", $"SELECT {order}, {changes} FROM __diff_keys WHERE __kind = 'changed' ORDER BY {order}", sampleRows, cancellationToken).ConfigureAwait(false));
                }
            }

            Dictionary<string, ColumnStats> leftStats = await StatsAsync("__diff_left", leftColumns, leftRows, cancellationToken).ConfigureAwait(false);
            Dictionary<string, ColumnStats> rightStats = await StatsAsync("__diff_right", rightColumns, rightRows, cancellationToken).ConfigureAwait(false);
            var columns = new List<ColumnDiff>();
            foreach (string column in leftColumns.Names.Concat(rightColumns.Names.Where(c => !leftColumns.Has(c))))
            {
                columns.Add(new ColumnDiff(
                    column,
                    leftColumns.TypeOf(column),
                    rightColumns.TypeOf(column),
                    changedByColumn.TryGetValue(column, out long count) ? count : null,
                    leftStats.GetValueOrDefault(column),
                    rightStats.GetValueOrDefault(column)));
            }

            return new TableDiff(name, left, right, key, leftRows, rightRows, onlyLeft, onlyRight, changed, columns, samples);
        }
        finally
        {
            await ExecuteAsync("DROP TABLE IF EXISTS __diff_keys; DROP TABLE IF EXISTS __diff_rows; DROP VIEW IF EXISTS __diff_left; DROP VIEW IF EXISTS __diff_right", CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The side of a table at one of its versions (the newest when <paramref name="version"/> is null).</summary>
    /// <param name="name">A table of <see cref="TableNames"/>.</param>
    /// <param name="version">The version; null for the newest.</param>
    public DiffSide VersionSide(TableName name, long? version) =>
        new(version is null ? "the newest version" : $"version {version}", Find(name).Location, version);

    /// <summary>
    /// The side of a model's table in an environment (its newest version there): the environment's own table for a model
    /// it built, else prod's.
    /// </summary>
    /// <param name="name">A table of <see cref="TableNames"/>.</param>
    /// <param name="environment">The environment: <c>prod</c>, or one built with <c>medallion apply --env</c>.</param>
    /// <param name="version">The version there; null for the newest.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public async Task<DiffSide> EnvironmentSideAsync(TableName name, string environment, long? version = null, CancellationToken cancellationToken = default)
    {
        if (_catalog is null)
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, $"Environments live in the project's catalog, and this lakehouse was opened without one.\nHelp: compare versions with --version and --against-version instead.");
        }

        ModelTables tables = await ModelTables.LoadAsync(Project, _catalog, environment, cancellationToken).ConfigureAwait(false);
        string label = version is null ? environment : $"{environment} version {version}";
        return new DiffSide(label, Find(name).Model is null ? Find(name).Location : tables.Location(name), version);
    }

    private async Task<(string Scan, StructTypeColumns Columns)> ScanAsync(TableName name, DiffSide side, CancellationToken cancellationToken)
    {
        DeltaTable table = await OpenDeltaAsync(side.Location, cancellationToken).ConfigureAwait(false)
            ?? throw new MedallionException(ErrorCode.DeltaTableNotFound, $"{name} has no table on {side.Label} ({side.Location}).\nHelp: build it there first.");
        Snapshot snapshot;
        try
        {
            snapshot = await table.GetSnapshotAsync(side.Version, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException error) when (side.Version is not null)
        {
            throw new MedallionException(error.Code, $"{name} has no {side.Label}: {error.Message}", error);
        }

        return (await DeltaScanSql.BuildAsync(table, snapshot, cancellationToken: cancellationToken).ConfigureAwait(false),
            new StructTypeColumns([.. snapshot.Schema.Fields.Select(f => (f.Name, DeltaScanSql.TypeName(f.Type)))]));
    }

    /// <summary>
    /// The pairs of rows, one of each side, whose keys match, counted up to <paramref name="limit"/>: with a key that
    /// identifies rows there are no more than the smaller side's rows, and counting stops past that.
    /// </summary>
    private Task<long> CountKeyPairsAsync(IReadOnlyList<string> key, long limit, CancellationToken cancellationToken)
    {
        string columns = string.Join(", ", key.Select(Quote));
        string on = string.Join(" AND ", key.Select(k => $"l.{Quote(k)} IS NOT DISTINCT FROM r.{Quote(k)}"));
        return CountRowsAsync($"(SELECT 1 FROM (SELECT {columns} FROM __diff_left) l JOIN (SELECT {columns} FROM __diff_right) r ON {on} LIMIT {limit.ToString(CultureInfo.InvariantCulture)})", cancellationToken);
    }

    /// <summary>
    /// Refuses a key that does not identify one row on each side. Grouping each side by its key costs more than the
    /// diff's join, so the check is made from counts, and a side is grouped only to name a repeated value once a repeat
    /// is known: the <paramref name="pairs"/> the keys make equal the rows each side has matched only when every
    /// matched key is on one row of each side (their sums differ by the extra copies), and a repeated key of rows on
    /// one side only repeats among the differing keys.
    /// </summary>
    private async Task RefuseDuplicateKeysAsync(TableName name, IReadOnlyList<string> key, long pairs, long leftMatched, long rightMatched, (DiffSide Side, string Relation) left, (DiffSide Side, string Relation) right, CancellationToken cancellationToken)
    {
        string columns = string.Join(", ", key.Select(Quote));
        long unmatchedRepeats = await CountRowsAsync($"(SELECT 1 FROM __diff_keys WHERE __kind <> 'changed' GROUP BY __kind, {columns} HAVING count(*) > 1)", cancellationToken).ConfigureAwait(false);
        if (pairs != leftMatched || pairs != rightMatched || unmatchedRepeats > 0)
        {
            await RefuseRepeatedKeyAsync(name, key, left, right, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Names a value of <paramref name="key"/> that is on several rows of a side, in the error that refuses the key.</summary>
    private async Task RefuseRepeatedKeyAsync(TableName name, IReadOnlyList<string> key, (DiffSide Side, string Relation) left, (DiffSide Side, string Relation) right, CancellationToken cancellationToken)
    {
        foreach ((DiffSide side, string relation) in new[] { left, right })
        {
            using DuckDbCommand command = Connection.CreateCommand();
            command.CommandText = $"SELECT {string.Join(" || ', ' || ", key.Select(k => $"coalesce(CAST({Quote(k)} AS VARCHAR), 'NULL')"))}, count(*) FROM {relation} GROUP BY {string.Join(", ", key.Select(Quote))} HAVING count(*) > 1 LIMIT 1";
            using DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid,
                    $"The key ({string.Join(", ", key)}) does not identify a row of {name} on {side.Label}: ({reader.GetString(0)}) is on {reader.GetInt64(1)} rows.\nHelp: name the columns that make a row unique (--key a --key b), or leave --key out to compare whole rows.");
            }
        }
    }

    private async Task<IReadOnlyList<DiffSample>> SamplesAsync(string kind, string sql, int count, CancellationToken cancellationToken)
    {
        var samples = new List<DiffSample>();
        if (count <= 0)
        {
            return samples;
        }

        using DuckDbCommand command = Connection.CreateCommand();
        // DuckDB spells each value as SQL shows it (dates as 2026-01-21, not in this process's culture).
        command.CommandText = $"SELECT COLUMNS(*)::VARCHAR FROM ({sql}) LIMIT {count}";
        using DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var values = new List<KeyValuePair<string, string?>>();
            for (int i = 0; i < reader.FieldCount; i++)
            {
                values.Add(KeyValuePair.Create(reader.GetName(i), reader.IsDBNull(i) ? null : reader.GetString(i)));
            }

            samples.Add(new DiffSample(kind, kind == "changed" ? [.. values.Where(v => v.Value is not null)] : values));
        }

        return samples;
    }

    /// <summary>
    /// The rows of a side beyond which a diff estimates distinct values in a sample of about this many rows rather than
    /// over every row: the estimate (a HyperLogLog per column) costs more than the rest of a side's statistics together,
    /// and a sample of a million rows shows a column's drift as well as the whole side does.
    /// </summary>
    public const long DistinctCountedRows = 1_000_000;

    /// <summary>
    /// Each column's statistics on one side: nulls, min, max and mean over every row in one scan; distinct values
    /// estimated in that same scan up to <see cref="DistinctCountedRows"/> rows, and beyond that in a sample of about as many
    /// (DuckDB's system sampling of whole vectors, with a fixed seed so that a diff run twice shows the same figures).
    /// </summary>
    private async Task<Dictionary<string, ColumnStats>> StatsAsync(string relation, StructTypeColumns columns, long rows, CancellationToken cancellationToken)
    {
        var stats = new Dictionary<string, ColumnStats>(StringComparer.OrdinalIgnoreCase);
        if (columns.All.Count == 0)
        {
            return stats;
        }

        var select = new List<string>();
        foreach ((string name, string type) in columns.All)
        {
            string q = Quote(name);
            string? logical = Pipelines.Contracts.OdcsExport.LogicalType(type);
            bool ordered = logical is not ("object" or "array" or null);
            select.Add($"count(*) FILTER (WHERE {q} IS NULL)");
            select.Add(ordered ? $"CAST(min({q}) AS VARCHAR)" : "NULL");
            select.Add(ordered ? $"CAST(max({q}) AS VARCHAR)" : "NULL");
            select.Add(logical is "integer" or "number" ? $"avg({q})::DOUBLE" : "NULL::DOUBLE");
        }

        // Up to DistinctCountedRows the distinct values are counted in the same scan as the rest; beyond, in a sample.
        string distinct = string.Join(", ", columns.Names.Select(c => $"approx_count_distinct({Quote(c)})"));
        var distincts = new long[columns.All.Count];
        long? sampleRows = null;
        if (rows > DistinctCountedRows)
        {
            using DuckDbCommand command = Connection.CreateCommand();
            command.CommandText = string.Create(CultureInfo.InvariantCulture, $"SELECT count(*), {distinct} FROM {relation} USING SAMPLE {100.0 * DistinctCountedRows / rows:0.######}% (system, 7)");
            using DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            sampleRows = reader.GetInt64(0);
            for (int i = 0; i < distincts.Length; i++)
            {
                distincts[i] = reader.GetInt64(i + 1);
            }
        }
        else
        {
            select.Add(distinct);
        }

        using (DuckDbCommand command = Connection.CreateCommand())
        {
            command.CommandText = $"SELECT {string.Join(", ", select)} FROM {relation}";
            using DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            int at = 0, column = 0;
            foreach ((string name, _) in columns.All)
            {
                long distinctValues = sampleRows is null ? reader.GetInt64(4 * columns.All.Count + column) : distincts[column];
                column++;
                stats[name] = new ColumnStats(
                    reader.GetInt64(at), distinctValues,
                    reader.IsDBNull(at + 1) ? null : reader.GetString(at + 1), reader.IsDBNull(at + 2) ? null : reader.GetString(at + 2),
                    reader.IsDBNull(at + 3) ? null : reader.GetDouble(at + 3),
                    sampleRows);
                at += 4;
            }
        }

        return stats;
    }

    private async Task<long> CountRowsAsync(string relation, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {relation}";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Quote(string identifier) => DuckDbConnection.QuoteIdentifier(identifier);

    /// <summary>A side's columns and their DuckDB types, found case-insensitively as DuckDB finds them.</summary>
    private sealed class StructTypeColumns(IReadOnlyList<(string Name, string Type)> columns)
    {
        public IEnumerable<string> Names => columns.Select(c => c.Name);

        public IReadOnlyList<(string Name, string Type)> All => columns;

        public bool Has(string name) => columns.Any(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

        public string? TypeOf(string name) => columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)).Type;

        /// <summary>The position of a column the side has.</summary>
        public int IndexOf(string name)
        {
            for (int i = 0; i < columns.Count; i++)
            {
                if (string.Equals(columns[i].Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }

            throw new ArgumentException($"The side has no column {name}.", nameof(name));
        }
    }
}
