namespace Medallion.Pipelines.Tests.Contracts;

/// <summary>A model's contract and constraints as the project files declare them, and the errors for what they get wrong.</summary>
public sealed class ContractLoadingTests : IDisposable
{
    private readonly TestProject _project = new();

    public void Dispose() => _project.Dispose();

    private async Task<ModelConfig> LoadConfigAsync(string config)
    {
        _project.Write("models/silver/orders.sql", $"/* ---\n{config}\n--- */\nSELECT 1 AS order_id\n");
        return Assert.Single((await _project.LoadAsync()).Models).Config;
    }

    private async Task<MedallionException> LoadFailsAsync(string config)
    {
        _project.Write("models/silver/orders.sql", $"/* ---\n{config}\n--- */\nSELECT 1 AS order_id\n");
        return await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());
    }

    [Fact]
    public async Task Columns_keep_their_declared_types_and_the_contract_is_enforced()
    {
        ModelConfig config = await LoadConfigAsync("contract: {enforced: true}\ncolumns:\n  order_id: {data_type: ' BIGINT '}");

        Assert.True(config.Contract!.Enforced);
        Assert.Equal("BIGINT", Assert.Single(config.Columns).DataType);
    }

    [Fact]
    public async Task Constraints_become_fail_expectations_and_a_primary_key_is_not_null_and_unique()
    {
        ModelConfig config = await LoadConfigAsync("""
            columns:
              order_id: {constraints: [primary_key]}
              customer_id:
                constraints: [{type: foreign_key, to: silver.customers, to_columns: [id]}]
              amount:
                constraints: [not_null, {type: check, expression: amount >= 0}]
            """);

        Assert.Equal(
            ["not_null(order_id)", "unique(order_id)", "relationships(customer_id -> silver.customers.id)", "not_null(amount)", "check(amount >= 0)"],
            config.Expectations.Select(e => e.Name));
        Assert.All(config.Expectations, e => Assert.Equal(ExpectationSeverity.Fail, e.Severity));
        Assert.Equal(ConstraintKind.PrimaryKey, Assert.Single(config.Columns[0].Constraints).Kind);
    }

    [Fact]
    public async Task An_expectation_the_model_declares_itself_keeps_its_severity_over_the_same_constraint()
    {
        ModelConfig config = await LoadConfigAsync("columns:\n  order_id:\n    constraints: [not_null]\n    expect: [{not_null: {}, severity: warn}]");

        Expectation rule = Assert.Single(config.Expectations);
        Assert.Equal(ExpectationSeverity.Warn, rule.Severity);
    }

    [Fact]
    public async Task An_enforced_contract_without_columns_says_what_to_declare()
    {
        MedallionException error = await LoadFailsAsync("contract: {enforced: true}");

        Assert.Equal(ErrorCode.ModelConfigInvalid, error.Code);
        Assert.StartsWith("models/silver/orders.sql:2:11: an enforced contract needs the model's columns.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_enforced_contract_names_the_columns_without_a_type()
    {
        MedallionException error = await LoadFailsAsync("contract: {enforced: true}\ncolumns:\n  order_id: {data_type: BIGINT}\n  amount: {description: Paid}\n  note: Free text");

        Assert.Contains("'amount', 'note' have none. Expected e.g. 'amount: {data_type: VARCHAR}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_constraint_suggests_the_nearest_one()
    {
        MedallionException error = await LoadFailsAsync("columns:\n  order_id: {constraints: [not_nul]}");

        Assert.Equal(
            "models/silver/orders.sql:3:28: unknown constraint 'not_nul'. Did you mean 'not_null'? Expected one of: not_null, unique, primary_key, check, foreign_key.",
            error.Message);
    }

    [Fact]
    public async Task A_check_constraint_without_its_sql_says_how_to_write_one()
    {
        MedallionException error = await LoadFailsAsync("columns:\n  amount: {constraints: [check]}");

        Assert.Contains("a 'check' constraint needs its arguments. Expected '{type: check, expression: amount >= 0}'.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_constraint_must_name_its_columns()
    {
        MedallionException error = await LoadFailsAsync("constraints:\n  - {type: primary_key}");

        Assert.Contains("a model's constraint names its columns. Expected e.g. '{type: primary_key, columns: [order_id, line]}'.", error.Message, StringComparison.Ordinal);
    }
}
