using Medallion.Catalog;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.Running;

/// <summary>A model's SQL error points at the user's file, line and column, not at the SQL the runner generated from it.</summary>
public sealed class ModelErrorPositionTests : IDisposable
{
    private static readonly TableName s_model = new("silver", "orders");
    private readonly RunProject _project = new("orders");

    public void Dispose() => _project.Dispose();

    private async Task<StepResult> FailingStepAsync()
    {
        await _project.AppendAsync("bronze.orders", "SELECT * FROM (VALUES (1, 10, 'paid')) t(id, amount, status)");
        RunResult run = await _project.RunAsync();
        Assert.Equal(StepState.Failed, run[s_model].State);
        return run[s_model];
    }

    [Fact]
    public async Task An_unknown_column_below_the_config_block_is_reported_at_its_line_and_column_in_the_file()
    {
        _project.Model("silver.orders", "SELECT\n    id,\n    lower(trim(statuz)) AS status\nFROM bronze.orders\n-- a comment at the end\n", config: "description: Orders.\nowner: data-team");

        StepResult step = await FailingStepAsync();

        // The config block takes lines 1 to 4; the column is 'statuz' in line 7 of the file.
        Assert.StartsWith("MDL6101: models/silver/orders.sql:7:16: model silver.orders failed in DuckDB: Binder Error: Referenced column \"statuz\" not found", step.Error, StringComparison.Ordinal);
        Assert.Contains("7 |     lower(trim(statuz)) AS status\n  |                ^", step.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("LINE 1", step.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_on_the_first_line_of_a_model_gets_the_column_the_user_wrote()
    {
        _project.Model("silver.orders", "SELECT id, missing_column FROM bronze.orders");

        StepResult step = await FailingStepAsync();

        Assert.StartsWith("MDL6101: models/silver/orders.sql:1:12: ", step.Error, StringComparison.Ordinal);
        Assert.Contains("1 | SELECT id, missing_column FROM bronze.orders\n  |            ^", step.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_in_a_long_line_that_DuckDB_quotes_cut_short_still_gets_its_column()
    {
        string padding = string.Join(", ", Enumerable.Range(1, 30).Select(i => $"id AS c{i}"));
        _project.Model("silver.orders", $"SELECT {padding}, no_such_column, {padding.Replace("AS c", "AS d", StringComparison.Ordinal)}\nFROM bronze.orders");

        StepResult step = await FailingStepAsync();

        int column = "SELECT ".Length + padding.Length + ", ".Length + 1;
        Assert.StartsWith($"MDL6101: models/silver/orders.sql:1:{column}: ", step.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_named_in_the_users_own_casing_and_a_function_error_are_placed_too()
    {
        _project.Model("silver.orders", "SELECT\n  id,\n  no_such_function(amount) AS x\nFROM Bronze.Orders");

        StepResult step = await FailingStepAsync();

        Assert.StartsWith("MDL6101: models/silver/orders.sql:3:3: ", step.Error, StringComparison.Ordinal);
        Assert.Contains("no_such_function", step.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_met_while_the_rows_are_computed_names_the_file_without_a_made_up_position()
    {
        _project.Model("silver.orders", "SELECT id, CAST(status AS INTEGER) AS status FROM bronze.orders");

        StepResult step = await FailingStepAsync();

        Assert.StartsWith("MDL6101: models/silver/orders.sql: model silver.orders failed in DuckDB: Conversion Error", step.Error, StringComparison.Ordinal);
    }
}
