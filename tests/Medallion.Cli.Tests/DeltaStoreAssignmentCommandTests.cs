using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary>
/// Issue #36, finding 2: <c>medallion delta update|merge|write</c> store a value of another type as Spark's ANSI store
/// assignment does: a number that fits its column is cast to it, one that does not fails the whole statement naming the
/// column, the value and the row, and text is never taken for a number.
/// </summary>
public sealed class DeltaStoreAssignmentCommandTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "medallion-cli-store-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = await MedallionCli.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static async Task RunOkAsync(params string[] args)
    {
        (int exit, _, string error) = await RunAsync(args);
        Assert.True(exit == 0, $"{string.Join(' ', args)}: exit {exit}: {error}");
    }

    /// <summary>The table's rows as JSON, ordered by id.</summary>
    private async Task<string> RowsAsync()
    {
        (int exit, string output, string error) = await RunAsync("delta", "read", _path, "--format", "json");
        Assert.True(exit == 0, error);
        return JsonSerializer.Serialize(JsonDocument.Parse(output).RootElement.EnumerateArray().OrderBy(r => r.GetProperty("id").GetInt64()));
    }

    private async Task<long> VersionAsync()
    {
        (int exit, string output, string error) = await RunAsync("delta", "inspect", _path, "--format", "json");
        Assert.True(exit == 0, error);
        return JsonDocument.Parse(output).RootElement.GetProperty("version").GetInt64();
    }

    private async Task OrdersAsync()
    {
        await RunOkAsync("delta", "create", _path, "--schema", "id long, amount decimal(12,2), qty integer, small short, tiny byte, paid_at timestamp, due date");
        await RunOkAsync("delta", "write", _path, "--from",
            "SELECT * FROM (VALUES (1, 10.50, 1, 7, 7, TIMESTAMPTZ '2026-01-01 10:00:00+00', DATE '2026-01-31'), (2, 9999999999.99, 2147483647, 32767, 127, TIMESTAMPTZ '2026-01-02 23:30:00+00', DATE '2026-02-28')) t(id, amount, qty, small, tiny, paid_at, due)");
    }

    [Fact]
    public async Task Update_adding_to_a_decimal_column_stores_the_wider_sum_in_the_columns_type()
    {
        await OrdersAsync();

        await RunOkAsync("delta", "update", _path, "--set", "amount = amount + 1000", "--where", "id = 1");

        Assert.Contains("\"id\":1,\"amount\":1010.50,", await RowsAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_whose_decimal_result_does_not_fit_fails_naming_the_column_the_value_and_the_row_and_writes_nothing()
    {
        await OrdersAsync();

        (int exit, _, string error) = await RunAsync("delta", "update", _path, "--set", "amount = amount + 1000");

        Assert.Equal(1, exit);
        Assert.StartsWith($"Error MDL4012: The value 10000000999.99 does not fit column 'amount' (decimal(12,2)) of the Delta table at '{_path}' in the row id = 2.", error, StringComparison.Ordinal);
        Assert.Equal(1, await VersionAsync());
    }

    [Fact]
    public async Task Update_of_integer_columns_from_wider_arithmetic_stores_what_fits_and_refuses_what_does_not()
    {
        await OrdersAsync();

        await RunOkAsync("delta", "update", _path, "--set", "qty = qty + 1, small = small + qty, tiny = CAST(tiny AS BIGINT) * 2", "--where", "id = 1");
        (int exit, _, string error) = await RunAsync("delta", "update", _path, "--set", "small = qty", "--where", "id = 2");

        Assert.Contains("\"qty\":2,\"small\":8,\"tiny\":14", await RowsAsync(), StringComparison.Ordinal);
        Assert.Equal(1, exit);
        Assert.StartsWith($"Error MDL4012: The value 2147483647 does not fit column 'small' (short) of the Delta table at '{_path}' in the row id = 2.", error, StringComparison.Ordinal);
        Assert.Equal(2, await VersionAsync());
    }

    [Theory]
    [InlineData("small = small + 1", "32768", "small", "short")]
    [InlineData("tiny = tiny + 1", "128", "tiny", "byte")]
    [InlineData("qty = qty + 1", "2147483648", "qty", "integer")]
    public async Task Update_whose_integer_arithmetic_passes_its_columns_range_fails_naming_the_column_the_value_and_the_row_and_writes_nothing(string set, string value, string column, string type)
    {
        await OrdersAsync();

        (int exit, _, string error) = await RunAsync("delta", "update", _path, "--set", set);

        Assert.Equal(1, exit);
        Assert.StartsWith($"Error MDL4012: The value {value} does not fit column '{column}' ({type}) of the Delta table at '{_path}' in the row id = 2.", error, StringComparison.Ordinal);
        Assert.Equal(1, await VersionAsync());
    }

    [Fact]
    public async Task Update_of_integer_arithmetic_passing_a_columns_range_on_the_way_stores_a_result_that_fits()
    {
        await OrdersAsync();

        await RunOkAsync("delta", "update", _path, "--set", "small = small + 1 - 2, tiny = tiny * 2 - 128, qty = qty + 1 - 1", "--where", "id = 2");

        Assert.Contains("\"qty\":2147483647,\"small\":32766,\"tiny\":126", await RowsAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_moves_timestamps_and_dates_by_intervals()
    {
        await OrdersAsync();

        await RunOkAsync("delta", "update", _path, "--set", "paid_at = paid_at + INTERVAL 1 HOUR, due = due + INTERVAL 1 MONTH", "--where", "id = 2");

        Assert.Contains("\"id\":2,", await RowsAsync(), StringComparison.Ordinal);
        Assert.Contains("\"paid_at\":\"2026-01-03T00:30:00Z\",\"due\":\"2026-03-28\"", await RowsAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_assigning_text_to_a_number_column_is_refused_naming_both_types()
    {
        await OrdersAsync();

        (int exit, _, string error) = await RunAsync("delta", "update", _path, "--set", "qty = '5'");

        Assert.Equal(1, exit);
        Assert.StartsWith($"Error MDL4008: Cannot write the Delta table at '{_path}': UPDATE assigns values their columns do not take: 'qty': the table has integer, the value has string (VARCHAR).", error, StringComparison.Ordinal);
        Assert.Equal(1, await VersionAsync());
    }

    [Fact]
    public async Task Merge_stores_wider_source_numbers_that_fit_and_fails_on_one_that_does_not_naming_the_source_row()
    {
        await OrdersAsync();

        await RunOkAsync("delta", "merge", _path, "--source", "SELECT 1 AS id, CAST(12.345 AS DECIMAL(20,3)) AS amount, CAST(5 AS BIGINT) AS qty", "--on", "target.id = source.id", "--when-matched", "update");
        (int exit, _, string error) = await RunAsync("delta", "merge", _path, "--source", "SELECT 3 AS id, CAST(300 AS BIGINT) AS tiny", "--on", "target.id = source.id", "--when-not-matched", "insert");

        Assert.Contains("\"id\":1,\"amount\":12.35,\"qty\":5", await RowsAsync(), StringComparison.Ordinal);
        Assert.Equal(1, exit);
        Assert.StartsWith($"Error MDL4012: The value 300 does not fit column 'tiny' (byte) of the Delta table at '{_path}' in the row id = 3.", error, StringComparison.Ordinal);
        Assert.Equal(2, await VersionAsync());
    }

    [Fact]
    public async Task Write_of_a_number_too_large_for_its_column_fails_naming_it_and_writes_nothing()
    {
        await OrdersAsync();

        (int exit, _, string error) = await RunAsync("delta", "write", _path, "--from", "SELECT 3 AS id, CAST(1 AS DOUBLE) AS amount, 1e10 AS qty");

        Assert.Equal(1, exit);
        Assert.StartsWith($"Error MDL4012: The value 10000000000.0 does not fit column 'qty' (integer) of the Delta table at '{_path}' in the row id = 3.", error, StringComparison.Ordinal);
        Assert.Equal(1, await VersionAsync());
    }
}
