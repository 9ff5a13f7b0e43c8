using Medallion.Catalog;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Tests.Running;

namespace Medallion.Pipelines.Tests.Contracts;

/// <summary>A model with an enforced contract builds only when its result has exactly the declared columns and types.</summary>
public sealed class ContractEnforcementTests : IDisposable
{
    private static readonly TableName s_orders = new("silver", "orders");
    private const string Contract = """
        contract: {enforced: true}
        columns:
          order_id: {data_type: BIGINT}
          amount: {data_type: 'DECIMAL(18,2)'}
        """;

    private readonly RunProject _project = new();

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task A_result_with_the_declared_columns_and_types_builds()
    {
        _project.Model("silver.orders", "SELECT 1::BIGINT AS order_id, 9.5::DECIMAL(18,2) AS amount", Contract);

        RunResult run = await _project.RunAsync();

        Assert.True(run.Succeeded, run[s_orders].Error);
        Assert.Equal(["1|9.50"], await _project.QueryAsync("SELECT order_id, amount FROM silver.orders"));
    }

    [Fact]
    public async Task Declared_types_are_read_as_duckdb_reads_them_so_an_alias_matches()
    {
        _project.Model("silver.orders", "SELECT 1::BIGINT AS order_id, 'a' AS name", "contract: {enforced: true}\ncolumns:\n  order_id: {data_type: int8}\n  name: {data_type: text}");

        RunResult run = await _project.RunAsync();

        Assert.True(run.Succeeded, run[s_orders].Error);
    }

    [Fact]
    public async Task A_column_of_another_type_fails_the_build_naming_the_column_and_both_types()
    {
        _project.Model("silver.orders", "SELECT 1::BIGINT AS order_id, 9.5::DOUBLE AS amount", Contract);

        RunResult run = await _project.RunAsync();

        StepResult step = run[s_orders];
        Assert.Equal(ErrorCode.ContractViolated, step.ErrorCode);
        Assert.Contains("model silver.orders does not match its contract, so nothing ran or was committed: column 'amount' is DOUBLE, the contract says DECIMAL(18,2).", step.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_column_and_an_undeclared_column_are_both_named()
    {
        _project.Model("silver.orders", "SELECT 1::BIGINT AS order_id, 'x' AS note", Contract);

        RunResult run = await _project.RunAsync();

        Assert.Contains("column 'amount' (DECIMAL(18,2)) is missing from the result; column 'note' (VARCHAR) is not in the contract.", run[s_orders].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_contract_leaves_the_table_as_it_was()
    {
        _project.Model("silver.orders", "SELECT 1::BIGINT AS order_id, 9.5::DECIMAL(18,2) AS amount", Contract);
        Assert.True((await _project.RunAsync()).Succeeded);
        _project.Model("silver.orders", "SELECT 2::INTEGER AS order_id, 1.0::DECIMAL(18,2) AS amount", Contract);

        RunResult run = await _project.RunAsync();

        Assert.Equal(ErrorCode.ContractViolated, run[s_orders].ErrorCode);
        Assert.Equal(0, await _project.VersionAsync("silver.orders"));
        Assert.Equal(["1|9.50"], await _project.QueryAsync("SELECT order_id, amount FROM silver.orders"));
    }

    [Fact]
    public async Task A_contract_that_is_not_enforced_lets_any_shape_build()
    {
        _project.Model("silver.orders", "SELECT 1 AS id", "contract: {enforced: false}\ncolumns:\n  order_id: {data_type: BIGINT}");

        RunResult run = await _project.RunAsync();

        Assert.True(run.Succeeded, run[s_orders].Error);
    }

    [Fact]
    public async Task A_declared_type_duckdb_does_not_know_fails_naming_the_column_and_the_type()
    {
        _project.Model("silver.orders", "SELECT 1::BIGINT AS order_id", "contract: {enforced: true}\ncolumns:\n  order_id: {data_type: BIGNUMBER}");

        RunResult run = await _project.RunAsync();

        Assert.Equal(ErrorCode.ModelConfigInvalid, run[s_orders].ErrorCode);
        Assert.Contains("declares column 'order_id' as 'BIGNUMBER', which is not a DuckDB type", run[s_orders].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_declared_constraint_checks_the_rows_before_the_commit()
    {
        _project.Model("silver.orders", "SELECT * FROM (VALUES (1::BIGINT, -5.0::DECIMAL(18,2))) t(order_id, amount)",
            "contract: {enforced: true}\ncolumns:\n  order_id: {data_type: BIGINT, constraints: [not_null]}\n  amount:\n    data_type: DECIMAL(18,2)\n    constraints: [{type: check, expression: amount >= 0}]");

        RunResult run = await _project.RunAsync();

        Assert.Equal(ErrorCode.QualityCheckFailed, run[s_orders].ErrorCode);
        Assert.Contains("check(amount >= 0) [fail] (1 rows)", run[s_orders].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_composite_primary_key_fails_on_a_duplicated_key()
    {
        _project.Model("silver.lines", "SELECT * FROM (VALUES (1, 1), (1, 1), (1, 2)) t(order_id, line)", "constraints:\n  - {type: primary_key, columns: [order_id, line]}");

        RunResult run = await _project.RunAsync();

        Assert.Contains("unique(order_id, line) [fail] (2 rows)", run[new TableName("silver", "lines")].Error, StringComparison.Ordinal);
    }
}
