using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Scans;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Parquet;
using Medallion.Pipelines.Sources;
using Medallion.Storage;

namespace Medallion.Pipelines.Tests.Sources;

public sealed partial class FileSourceLoaderTests : IDisposable
{
    private static readonly DateTimeOffset s_now = new(2026, 3, 1, 12, 30, 0, TimeSpan.Zero);
    private readonly TestProject _project = new("name: shop\nstorage: lake\n");
    private readonly DuckDbConnection _connection = new();
    private readonly FixedTime _time = new(s_now);

    public FileSourceLoaderTests() => _connection.Open();

    public void Dispose()
    {
        _connection.Dispose();
        _project.Dispose();
    }

    private void Source(string format, string path, string options = "") =>
        _project.Write("sources/orders.yml", $"sources:\n  - name: orders\n    format: {format}\n    path: {path}\n    target: bronze.orders\n{(options.Length == 0 ? "" : "    options:\n" + options)}");

    private async Task<SourceLoadResult> LoadAsync(string runId = "run-1")
    {
        MedallionProject project = await _project.LoadAsync();
        return await FileSourceLoader.LoadAsync(project, project.Sources[0], new DeltaWriter(_connection), runId, _time);
    }

    private string TablePath => Path.Combine(_project.Directory, "lake", "bronze", "orders");

    private async Task<Snapshot> SnapshotAsync() =>
        await new DeltaTable(new LocalObjectStore(TablePath), new DuckDbParquetHandler(_connection)).GetSnapshotAsync();

    /// <summary>The live rows of the bronze table as text, ordered by file and line: each row the given columns joined by '|'.</summary>
    private async Task<List<string>> RowsAsync(string columns, string orderBy = "_source_file, _source_line", string where = "true")
    {
        Snapshot snapshot = await SnapshotAsync();
        string files = string.Join(", ", snapshot.Files.Select((ScanFile f) => DuckDbConnection.QuoteLiteral(LocalMirror.Of(new LocalObjectStore(TablePath)).PathOf(f))));
        using DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = $"SELECT concat_ws('|', {columns}) FROM read_parquet([{files}], union_by_name = true) WHERE {where} ORDER BY {orderBy}";
        var rows = new List<string>();
        using DuckDbDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(reader.IsDBNull(0) ? "" : reader.GetString(0));
        }

        return rows;
    }

    [Fact]
    public async Task Csv_rows_land_in_bronze_with_their_file_line_and_ingestion_time()
    {
        Source("csv", "data/orders/*.csv");
        _project.Write("data/orders/2026-03-01.csv", "id,customer,amount\n1,ana,10.5\n2,bob,20\n");

        SourceLoadResult result = await LoadAsync();

        Assert.Equal((0L, 2L, 0L), (result.CommittedVersion, result.RowsLoaded, result.RowsRejected));
        Assert.Equal(["data/orders/2026-03-01.csv"], result.FilesLoaded);
        Assert.Equal(new TableName("bronze", "orders"), result.Target);
        Assert.Equal(
            ["1|ana|10.5|data/orders/2026-03-01.csv|2|2026-03-01 12:30:00+00|run-1", "2|bob|20.0|data/orders/2026-03-01.csv|3|2026-03-01 12:30:00+00|run-1"],
            await RowsAsync("id, customer, amount, _source_file, _source_line, _ingested_at, _run_id"));
    }

    [Fact]
    public async Task Json_lines_rows_keep_the_line_they_came_from_across_blank_lines()
    {
        Source("jsonl", "data/*.jsonl");
        _project.Write("data/a.jsonl", "{\"id\": 1, \"city\": \"Recife\"}\n\n{\"id\": 2, \"city\": \"Natal\", \"uf\": \"RN\"}\n");

        SourceLoadResult result = await LoadAsync();

        Assert.Equal((2L, 0L), (result.RowsLoaded, result.RowsRejected));
        Assert.Equal(["1|Recife|data/a.jsonl|1", "2|Natal|RN|data/a.jsonl|3"], await RowsAsync("id, city, uf, _source_file, _source_line"));
    }

    private void WriteParquet(string path, string select)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using DuckDbCommand copy = _connection.CreateCommand();
        copy.CommandText = $"COPY ({select}) TO {DuckDbConnection.QuoteLiteral(path)} (FORMAT parquet)";
        copy.ExecuteNonQuery();
    }

    [Fact]
    public async Task Parquet_files_with_the_same_columns_each_keep_their_own_source_file()
    {
        Source("parquet", "data/**/*.parquet");
        WriteParquet(Path.Combine(_project.Directory, "data", "2026", "a.parquet"), "SELECT 1 AS id, 'ana' AS name");
        WriteParquet(Path.Combine(_project.Directory, "data", "2026", "b.parquet"), "SELECT 2 AS id, 'bob' AS name");
        WriteParquet(Path.Combine(_project.Directory, "data", "2027", "c.parquet"), "SELECT 3 AS id, 'caio' AS name");

        SourceLoadResult result = await LoadAsync();

        Assert.Equal(3L, result.RowsLoaded);
        Assert.Equal(["1|ana|data/2026/a.parquet", "2|bob|data/2026/b.parquet", "3|caio|data/2027/c.parquet"], await RowsAsync("id, name, _source_file", "id"));
    }

    [Fact]
    public async Task Parquet_files_outside_the_project_keep_their_relative_path()
    {
        string outside = Path.Combine(Path.GetTempPath(), "medallion-outside-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Source("parquet", Path.Combine(outside, "*.parquet"));
            WriteParquet(Path.Combine(outside, "a.parquet"), "SELECT 1 AS id");
            WriteParquet(Path.Combine(outside, "b.parquet"), "SELECT 2 AS id");

            await LoadAsync();

            string relative = Path.GetRelativePath(_project.Directory, outside).Replace('\\', '/');
            Assert.Equal([$"1|{relative}/a.parquet", $"2|{relative}/b.parquet"], await RowsAsync("id, _source_file", "id"));
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task Unsigned_64_bit_integers_land_as_numbers_that_hold_the_largest_value()
    {
        Source("parquet", "data/*.parquet");
        WriteParquet(Path.Combine(_project.Directory, "data", "a.parquet"), "SELECT 18446744073709551615::UBIGINT AS big UNION ALL SELECT 7::UBIGINT");

        await LoadAsync();

        Snapshot snapshot = await SnapshotAsync();
        Assert.Equal(new DecimalType(20, 0), snapshot.Schema.Find("big")!.Type);
        Assert.Equal(["7", "18446744073709551615"], await RowsAsync("big", "big"));
    }

    [Fact]
    public async Task Parquet_files_with_different_columns_load_together_with_the_union_of_their_columns()
    {
        Source("parquet", "data/*.parquet");
        WriteParquet(Path.Combine(_project.Directory, "data", "a.parquet"), "SELECT 1 AS id");
        WriteParquet(Path.Combine(_project.Directory, "data", "b.parquet"), "SELECT 2 AS id, 'RN' AS uf");

        await LoadAsync();

        Assert.Equal(["1|-|data/a.parquet", "2|RN|data/b.parquet"], await RowsAsync("id, coalesce(uf, '-'), _source_file", "id"));
    }

    [Fact]
    public async Task Parquet_rows_land_with_their_file_but_without_line_or_parse_error_columns()
    {
        Source("parquet", "data/*.parquet");
        Directory.CreateDirectory(Path.Combine(_project.Directory, "data"));
        using (DuckDbCommand copy = _connection.CreateCommand())
        {
            copy.CommandText = $"COPY (SELECT range AS id, 'item ' || range AS name FROM range(3)) TO {DuckDbConnection.QuoteLiteral(Path.Combine(_project.Directory, "data", "items.parquet"))} (FORMAT parquet)";
            copy.ExecuteNonQuery();
        }

        SourceLoadResult result = await LoadAsync();

        Assert.Equal(3L, result.RowsLoaded);
        Assert.Equal(["0|item 0|data/items.parquet", "1|item 1|data/items.parquet", "2|item 2|data/items.parquet"],
            await RowsAsync("id, name, _source_file", "id"));
        Snapshot snapshot = await SnapshotAsync();
        Assert.Equal(["id", "name", "_source_file", "_ingested_at", "_run_id"], snapshot.Schema.Fields.Select(f => f.Name));
    }

    [Fact]
    public async Task A_rerun_with_no_new_files_commits_nothing()
    {
        Source("csv", "data/*.csv");
        _project.Write("data/a.csv", "id\n1\n");
        await LoadAsync();

        SourceLoadResult again = await LoadAsync("run-2");

        Assert.Equal(((long?)null, 0L), (again.CommittedVersion, again.RowsLoaded));
        Assert.Empty(again.FilesLoaded);
        Assert.Empty(again.Warnings);
        Assert.Equal(0L, (await SnapshotAsync()).Version);
    }

    [Fact]
    public async Task A_later_run_loads_only_the_new_files_in_one_commit()
    {
        Source("csv", "data/*.csv");
        _project.Write("data/a.csv", "id\n1\n");
        await LoadAsync();
        _project.Write("data/b.csv", "id\n2\n").Write("data/c.csv", "id\n3\n");

        SourceLoadResult second = await LoadAsync("run-2");

        Assert.Equal((1L, 2L), (second.CommittedVersion, second.RowsLoaded));
        Assert.Equal(["data/b.csv", "data/c.csv"], second.FilesLoaded);
        Assert.Equal(["1|data/a.csv|run-1", "2|data/b.csv|run-2", "3|data/c.csv|run-2"], await RowsAsync("id, _source_file, _run_id"));
    }

    [Fact]
    public async Task After_a_crash_between_writing_and_committing_a_rerun_loads_the_files_exactly_once()
    {
        Source("csv", "data/*.csv");
        _project.Write("data/a.csv", "id\n1\n");
        await LoadAsync();
        _project.Write("data/b.csv", "id\n2\n3\n");
        await LoadAsync("run-2");
        // The state a crash leaves: version 1's data files are on disk, its commit is not.
        File.Delete(Path.Combine(TablePath, "_delta_log", "00000000000000000001.json"));

        SourceLoadResult rerun = await LoadAsync("run-3");

        Assert.Equal((1L, 2L), (rerun.CommittedVersion, rerun.RowsLoaded));
        Assert.Equal(["1|data/a.csv", "2|data/b.csv", "3|data/b.csv"], await RowsAsync("id, _source_file"));
        Assert.Null((await LoadAsync("run-4")).CommittedVersion);
    }

    [Fact]
    public async Task A_new_column_in_a_later_file_is_added_to_the_table()
    {
        Source("csv", "data/*.csv");
        _project.Write("data/a.csv", "id,name\n1,ana\n");
        await LoadAsync();
        _project.Write("data/b.csv", "id,name,email\n2,bob,bob@example.com\n");

        await LoadAsync("run-2");

        Assert.Equal(["1|ana|", "2|bob|bob@example.com"], await RowsAsync("id, name, coalesce(email, '')"));
    }

    [Fact]
    public async Task Numbers_in_a_text_column_of_the_table_are_kept_as_text()
    {
        Source("csv", "data/*.csv");
        _project.Write("data/a.csv", "id,zip\n1,abc-12\n");
        await LoadAsync();
        _project.Write("data/b.csv", "id,zip\n2,50030\n");

        await LoadAsync("run-2");

        Assert.Equal(["1|abc-12", "2|50030"], await RowsAsync("id, zip"));
    }

    [Fact]
    public async Task Timestamps_without_a_zone_and_dates_load_into_a_timestamp_column_read_as_utc()
    {
        Source("csv", "data/*.csv");
        _project.Write("data/a.csv", "id,ts\n1,2026-01-01 10:00:00+00\n");
        await LoadAsync();
        _project.Write("data/b.csv", "id,ts\n2,2026-01-02 11:30:00\n");
        _project.Write("data/c.csv", "id,ts\n3,2026-01-03\n");

        await LoadAsync("run-2");

        Assert.Equal(["1|2026-01-01 10:00:00", "2|2026-01-02 11:30:00", "3|2026-01-03 00:00:00"], await RowsAsync("id, strftime(timezone('UTC', ts), '%Y-%m-%d %H:%M:%S')"));
    }

    [Fact]
    public async Task A_value_that_does_not_fit_the_tables_type_keeps_its_row_aside_instead_of_failing_the_file()
    {
        Source("csv", "data/*.csv");
        _project.Write("data/a.csv", "id,amount\n1,10\n");
        await LoadAsync();
        _project.Write("data/b.csv", "id,amount\n2,ten\n");

        await LoadAsync("run-2");

        Assert.Equal(1L, (await SnapshotAsync()).Version);
    }

    [Fact]
    public async Task A_new_tables_date_column_with_one_value_that_is_not_a_date_is_typed_as_a_date_and_that_row_kept_aside()
    {
        Source("csv", "data/*.csv");
        var csv = new System.Text.StringBuilder("id,shipped_on\n");
        for (int day = 1; day <= 30; day++)
        {
            csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"{day},{(day == 17 ? "soon" : $"2026-01-{day:00}")}\n");
        }

        _project.Write("data/a.csv", csv.ToString());

        SourceLoadResult result = await LoadAsync();

        Assert.Equal((30L, 1L), (result.RowsLoaded, result.RowsRejected));
        Assert.Equal(["DATE"], await RowsAsync("typeof(shipped_on)", where: "_source_line = 2"));
        Assert.Equal(["18|17,soon"], await RowsAsync("_source_line, _raw_line", "_source_line", where: "_parse_error IS NOT NULL"));
    }

    [Fact]
    public async Task A_new_tables_text_column_of_which_only_some_values_are_numbers_stays_text()
    {
        Source("csv", "data/*.csv");
        var csv = new System.Text.StringBuilder("id,code\n");
        for (int row = 1; row <= 30; row++)
        {
            csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"{row},{(row % 3 == 0 ? $"A{row}" : row.ToString(System.Globalization.CultureInfo.InvariantCulture))}\n");
        }

        _project.Write("data/a.csv", csv.ToString());

        SourceLoadResult result = await LoadAsync();

        Assert.Equal((30L, 0L), (result.RowsLoaded, result.RowsRejected));
        Assert.Equal(["VARCHAR"], await RowsAsync("typeof(code)", where: "_source_line = 2"));
    }

    [Fact]
    public async Task Malformed_csv_rows_are_kept_with_their_real_line_raw_text_and_error()
    {
        Source("csv", "data/*.csv", "      types: \"{'amount': 'DOUBLE'}\"\n");
        _project.Write("data/a.csv",
            "id,name,amount\n"
            + "1,\"Ana\nSilva\",10\n"  // lines 2-3: a quoted newline
            + "2,Bob,abc\n"           // line 4: not a number
            + "\n"                    // line 5: blank
            + "3,Carl,30\n"           // line 6
            + "4,Di,40,extra\n"       // line 7: one column too many
            + "5,Eve,50\n");          // line 8

        SourceLoadResult result = await LoadAsync();

        Assert.Equal((5L, 2L), (result.RowsLoaded, result.RowsRejected));
        Assert.Equal(
            [
                "2|1|Ana\nSilva|10.0|-|-",
                "4||||2,Bob,abc|CAST",
                "6|3|Carl|30.0|-|-",
                "7||||4,Di,40,extra|TOO MANY COLUMNS",
                "8|5|Eve|50.0|-|-",
            ],
            await RowsAsync("_source_line, coalesce(CAST(id AS VARCHAR), ''), coalesce(name, ''), coalesce(CAST(amount AS VARCHAR), ''), coalesce(_raw_line, '-'), coalesce(split_part(_parse_error, ':', 1), '-')"));
        string warning = Assert.Single(result.Warnings);
        Assert.StartsWith("Source 'orders': 2 row(s) of 'data/a.csv' could not be parsed (first at line 4: CAST", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Csv_line_numbers_count_crlf_line_ends_and_quoted_newlines_once()
    {
        Source("csv", "data/*.csv");
        _project.Write("data/a.csv", "id,note\r\n1,\"two\r\nlines\"\r\n\r\n2,plain\r\n3,\"a \"\"quoted\"\" word\"\r\n");

        await LoadAsync();

        Assert.Equal(["2|1", "5|2", "6|3"], await RowsAsync("_source_line, id"));
    }

    [Fact]
    public async Task Two_loads_racing_on_one_table_load_each_file_once()
    {
        Source("csv", "data/*.csv");
        _project.Write("data/a.csv", "id\n1\n2\n").Write("data/b.csv", "id\n3\n");
        MedallionProject project = await _project.LoadAsync();
        using var other = new DuckDbConnection();
        other.Open();

        SourceLoadResult[] results = await Task.WhenAll(
            Task.Run(() => FileSourceLoader.LoadAsync(project, project.Sources[0], new DeltaWriter(_connection), "run-a", _time)),
            Task.Run(() => FileSourceLoader.LoadAsync(project, project.Sources[0], new DeltaWriter(other), "run-b", _time)));

        Assert.Equal(3L, results.Sum(r => r.RowsLoaded));
        Assert.Equal(["1|data/a.csv", "2|data/a.csv", "3|data/b.csv"], await RowsAsync("id, _source_file"));
    }

    [Fact]
    public async Task Malformed_json_lines_are_kept_with_their_line_raw_text_and_error()
    {
        Source("jsonl", "data/*.jsonl", "      columns: \"{'id': 'BIGINT'}\"\n");
        _project.Write("data/a.jsonl", "{\"id\": 1}\n{\"id\": \"two\"}\n\n{bad json\n[1, 2]\n{\"id\": 5}\n");

        SourceLoadResult result = await LoadAsync();

        Assert.Equal((5L, 3L), (result.RowsLoaded, result.RowsRejected));
        Assert.Equal(
            [
                "1|1|-|-",
                "2||{\"id\": \"two\"}|column 'id': 'two' is not a BIGINT",
                "4||{bad json|malformed JSON: the line does not parse",
                "5||[1, 2]|not a JSON object: the line holds a array",
                "6|5|-|-",
            ],
            await RowsAsync("_source_line, coalesce(CAST(id AS VARCHAR), ''), coalesce(_raw_line, '-'), coalesce(_parse_error, '-')"));
        Assert.Single(result.Warnings);
    }

    [Fact]
    public async Task Brazilian_formatted_amounts_stay_text_in_bronze()
    {
        Source("csv", "data/*.csv", "      delim: \";\"\n");
        _project.Write("data/payments.csv", "order;amount\n1;R$ 1.234,56\n2;R$ 99,90\n");

        await LoadAsync();

        Assert.Equal(["1|R$ 1.234,56|VARCHAR", "2|R$ 99,90|VARCHAR"], await RowsAsync("\"order\", amount, typeof(amount)"));
    }

    [Fact]
    public async Task No_matching_files_is_a_warning_not_an_error()
    {
        Source("csv", "missing/*.csv");

        SourceLoadResult result = await LoadAsync();

        Assert.Equal(((long?)null, 0L), (result.CommittedVersion, result.RowsLoaded));
        Assert.StartsWith("Source 'orders': no files match 'missing/*.csv'", Assert.Single(result.Warnings), StringComparison.Ordinal);
        Assert.False(Directory.Exists(TablePath));
    }

    [Fact]
    public async Task A_file_the_reader_cannot_read_fails_naming_it()
    {
        Source("parquet", "data/*.parquet");
        _project.Write("data/broken.parquet", "this is not parquet");

        var e = await Assert.ThrowsAsync<MedallionException>(() => LoadAsync());

        Assert.Equal(ErrorCode.SourceFileUnreadable, e.Code);
        Assert.StartsWith("Source 'orders' (Parquet) cannot read 'data/broken.parquet':", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_rewritten_after_loading_is_loaded_again_with_a_warning()
    {
        Source("csv", "data/*.csv");
        _project.Write("data/a.csv", "id\n1\n");
        await LoadAsync();
        _project.Write("data/a.csv", "id\n1\n2\n");

        SourceLoadResult again = await LoadAsync("run-2");

        Assert.Equal(2L, again.RowsLoaded);
        Assert.StartsWith("Source 'orders': 'data/a.csv' changed since it was loaded (run run-1)", Assert.Single(again.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_only_touched_after_loading_is_not_loaded_again()
    {
        Source("csv", "data/*.csv");
        _project.Write("data/a.csv", "id\n1\n");
        await LoadAsync();
        File.SetLastWriteTimeUtc(Path.Combine(_project.Directory, "data", "a.csv"), DateTime.UtcNow.AddHours(1));

        SourceLoadResult again = await LoadAsync("run-2");

        Assert.Null(again.CommittedVersion);
        Assert.Empty(again.Warnings);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
