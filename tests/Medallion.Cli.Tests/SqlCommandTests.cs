using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Medallion.Cli.Tests;

public sealed class SqlCommandTests
{
    [Fact]
    public async Task Sql_as_json_prints_exactly_the_typed_row_array()
    {
        Cli.Result result = await Cli.RunAsync("sql", "select 42 as answer", "--format", "json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("[{\"answer\":42}]\n", result.Output);
        Assert.Equal(string.Empty, result.Error);
    }

    [Fact]
    public async Task Json_writes_numbers_as_numbers_null_as_null_and_exact_wide_values()
    {
        Cli.Result result = await Cli.RunAsync(
            "sql",
            "select 1::TINYINT as i8, 18446744073709551615::UBIGINT as u64, 2.5::DOUBLE as d, 1.25::FLOAT as f, 123.45::DECIMAL(10,2) as m, " +
            "'99999999999999999999999999999999999.999'::DECIMAL(38,3) as wide, 170141183460469231731687303715884105727::HUGEINT as h, " +
            "NULL as n, true as b, 'x\"y' as s, 'NaN'::DOUBLE as nan",
            "--format", "json");

        Assert.Equal(
            "[{\"i8\":1,\"u64\":18446744073709551615,\"d\":2.5,\"f\":1.25,\"m\":123.45,\"wide\":99999999999999999999999999999999999.999," +
            "\"h\":170141183460469231731687303715884105727,\"n\":null,\"b\":true,\"s\":\"x\\\"y\",\"nan\":\"NaN\"}]\n",
            result.Output);
    }

    [Fact]
    public async Task Json_writes_temporal_values_as_iso_8601_text()
    {
        Cli.Result result = await Cli.RunAsync(
            "sql",
            "select DATE '2026-01-02' as d, TIME '03:04:05.5' as t, TIMESTAMP '2026-01-02 03:04:05.123456' as ts, " +
            "TIMESTAMP_NS '2026-01-02 03:04:05.123456789' as ns, TIMESTAMPTZ '2026-01-02 03:04:05+02:00' as tz, " +
            "INTERVAL '1 day 2 hours' as iv, '6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'::UUID as u",
            "--format", "json");

        Assert.Equal(
            "[{\"d\":\"2026-01-02\",\"t\":\"03:04:05.5\",\"ts\":\"2026-01-02T03:04:05.123456\",\"ns\":\"2026-01-02T03:04:05.123456789\"," +
            "\"tz\":\"2026-01-02T01:04:05Z\",\"iv\":\"1 day 02:00:00\",\"u\":\"6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"}]\n",
            result.Output);
    }

    [Fact]
    public async Task Json_writes_lists_structs_maps_and_json_columns_as_nested_json()
    {
        Cli.Result result = await Cli.RunAsync(
            "sql",
            "select [1, NULL, 3] as l, {'name': 'duck', 'at': TIMESTAMP '2026-01-02 03:04:05', 'price': 1.50::DECIMAL(5,2)} as s, " +
            "MAP {'a': [1.5]} as m, '{\"k\": [true, null]}'::JSON as j",
            "--format", "json");

        Assert.Equal(
            "[{\"l\":[1,null,3],\"s\":{\"name\":\"duck\",\"at\":\"2026-01-02T03:04:05\",\"price\":1.50},\"m\":{\"a\":[1.5]},\"j\":{\"k\": [true, null]}}]\n",
            result.Output);
    }

    [Fact]
    public async Task Json_of_an_empty_result_is_an_empty_array()
    {
        Cli.Result result = await Cli.RunAsync("sql", "select 1 as a where false", "--format", "json");

        Assert.Equal("[]\n", result.Output);
    }

    [Fact]
    public async Task Json_of_many_rows_stays_one_valid_array()
    {
        Cli.Result result = await Cli.RunAsync("sql", "select i, repeat('x', 40) as pad from range(5000) t(i)", "--format", "json");

        using var document = System.Text.Json.JsonDocument.Parse(result.Output);
        Assert.Equal(5000, document.RootElement.GetArrayLength());
        Assert.Equal(4999, document.RootElement[4999].GetProperty("i").GetInt64());
    }

    [Fact]
    public async Task Csv_quotes_fields_with_commas_quotes_and_line_breaks_and_leaves_null_empty()
    {
        Cli.Result result = await Cli.RunAsync("sql", "select 'a,b' as x, 'say \"hi\"' as y, NULL as z, 'line' || chr(10) || 'break' as w, 7 as \"n,m\"", "--format", "csv");

        Assert.Equal("x,y,z,w,\"n,m\"\n\"a,b\",\"say \"\"hi\"\"\",,\"line\nbreak\",7\n", result.Output);
    }

    [Fact]
    public async Task Markdown_prints_a_table_with_numbers_right_aligned_and_pipes_escaped()
    {
        Cli.Result result = await Cli.RunAsync("sql", "select 42 as answer, 'a|b' as text, NULL as gone", "--format", "markdown");

        Assert.Equal("| answer | text | gone |\n|---:|---|---:|\n| 42 | a\\|b | NULL |\n", result.Output);
    }

    [Fact]
    public async Task Table_aligns_columns_and_shows_row_count_and_elapsed_time()
    {
        Cli.Result result = await Cli.RunAsync("sql", "select * from (values (1, 'duck'), (100, 'goose')) t(n, name)");

        string[] lines = result.Output.Split('\n');
        Assert.Equal("   n │ name ", lines[0]);
        Assert.Equal("─────┼──────", lines[1]);
        Assert.Equal("   1 │ duck ", lines[2]);
        Assert.Equal(" 100 │ goose", lines[3]);
        Assert.Matches(new Regex(@"^\(2 rows, [0-9.]+ (ms|s)\)$"), lines[4]);
    }

    [Fact]
    public async Task Table_of_one_row_says_one_row()
    {
        Cli.Result result = await Cli.RunAsync("sql", "select 42 as answer", "--format", "table");

        Assert.Matches(new Regex(@"\n\(1 row, [0-9.]+ (ms|s)\)\n$"), result.Output);
    }

    [Fact]
    public async Task Several_statements_print_one_result_each()
    {
        Cli.Result result = await Cli.RunAsync("sql", "create table t as select 1 as a; insert into t values (2), (3); select sum(a) as s from t", "--format", "json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("[{\"s\":6}]\n", result.Output);
    }

    [Fact]
    public async Task Table_format_reports_rows_affected_by_changes()
    {
        Cli.Result result = await Cli.RunAsync("sql", "create table t (a int); insert into t values (1), (2)");

        Assert.Equal("(2 rows affected)\n", result.Output);
    }

    [Fact]
    public async Task A_sql_error_prints_duckdbs_message_and_exits_1_without_a_stack_trace()
    {
        Cli.Result result = await Cli.RunAsync("sql", "select * from missing_table");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error MDL2001: Catalog Error: Table with name missing_table does not exist!", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Output);
    }

    [Fact]
    public async Task A_syntax_error_prints_the_parser_message_and_exits_1()
    {
        Cli.Result result = await Cli.RunAsync("sql", "selec 1");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error MDL2001: Parser Error: syntax error at or near \"selec\"", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_in_the_middle_of_a_result_exits_1()
    {
        Cli.Result result = await Cli.RunAsync("sql", "select case when i = 3000 then error('bad row') else i end as v from range(5000) t(i)", "--format", "csv");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Error MDL2001: Invalid Input Error: bad row\n", result.Error);
    }

    [Fact]
    public async Task An_unknown_format_is_a_usage_error_with_exit_code_2()
    {
        Cli.Result result = await Cli.RunAsync("sql", "select 1", "--format", "xml");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("xml", result.Error, StringComparison.Ordinal);
        Assert.EndsWith("Help: medallion sql --help\n", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_prints_the_medallion_and_duckdb_versions_the_commit_the_build_date_and_the_platform()
    {
        Cli.Result result = await Cli.RunAsync("--version");

        Assert.Equal(0, result.ExitCode);
        // A test build is no release: it has no build date, and runs on the machine's runtime.
        Assert.Matches(
            $"^medallion 0\\.1\\.0 \\(DuckDB v1\\.5\\.6\\)\ncommit: ([0-9a-f]{{40}}|unknown)\nbuilt: unknown\nplatform: {Regex.Escape(RuntimeInformation.RuntimeIdentifier)}\n$",
            result.Output);
    }
}
