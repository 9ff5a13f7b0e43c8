using Medallion.Pipelines.Quality;

namespace Medallion.Pipelines.Tests.Quality;

/// <summary>Each rule kind, holding and breaking, on real DuckDB rows (see <see cref="QualityFixture"/> for the data).</summary>
public sealed class RuleKindTests : IDisposable
{
    private readonly QualityFixture _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Not_null_holds_when_the_column_has_no_nulls()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - not_null: [id]\n");

        Assert.True(result.Passed);
        Assert.Equal(0, result.FailingRows);
        Assert.Equal("[]", result.SampleRowsJson);
    }

    [Fact]
    public async Task Not_null_counts_the_rows_with_a_null_and_samples_them()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - not_null: [id, customer_id]\n");

        Assert.False(result.Passed);
        Assert.Equal(1, result.FailingRows);
        Assert.Equal(
            """[{"id":3,"customer_id":null,"status":"void","amount":-5.0,"email":"not-an-email","ordered_on":"2026-11-03","updated_at":null}]""",
            result.SampleRowsJson);
    }

    [Fact]
    public async Task Unique_counts_every_row_of_a_duplicated_key()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - unique: [id]\n");

        Assert.False(result.Passed);
        Assert.Equal(2, result.FailingRows);
        Assert.Equal([3, 3], System.Text.Json.JsonDocument.Parse(result.SampleRowsJson).RootElement.EnumerateArray().Select(r => r.GetProperty("id").GetInt32()));
    }

    [Fact]
    public async Task Unique_on_several_columns_holds_when_the_combination_is_unique()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - unique: [id, customer_id]\n");

        Assert.True(result.Passed);
    }

    [Fact]
    public async Task Unique_ignores_rows_whose_key_is_null()
    {
        _data.Execute("INSERT INTO orders (id) VALUES (5), (5)");
        _data.Execute("UPDATE orders SET id = NULL WHERE id = 5");

        ExpectationResult result = await _data.CheckOneAsync("  - unique: [id]\n");

        Assert.Equal(2, result.FailingRows);
    }

    [Fact]
    public async Task Accepted_values_fails_other_values_and_lets_nulls_pass()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - accepted_values: {column: status, values: [new, paid]}\n");

        Assert.Equal(1, result.FailingRows);
        Assert.Contains("\"status\":\"void\"", result.SampleRowsJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accepted_values_with_a_quote_are_escaped_not_pasted()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - accepted_values: {column: status, values: [new, paid, void, \"it's'); DROP TABLE orders; --\"]}\n");

        Assert.True(result.Passed);
        Assert.Equal(5L, _data.Scalar("SELECT count(*) FROM orders"));
    }

    [Fact]
    public async Task Accepted_values_that_do_not_fit_the_column_type_are_an_error_on_the_rule()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => _data.CheckAsync("  - accepted_values: {column: id, values: [1, two]}\n"));

        Assert.Equal(ErrorCode.QualityRuleInvalid, error.Code);
        Assert.Equal(
            "Model silver.orders, rule 'accepted_values(id)' (models/silver/orders.sql:3:5): accepted value 'two' is not a valid INTEGER, the type of column 'id'.\nHelp: write the accepted value as a INTEGER value.",
            error.Message);
    }

    [Fact]
    public async Task Range_counts_values_below_min_and_above_max_and_lets_nulls_pass()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - range: {column: amount, min: 0, max: 100}\n");

        Assert.Equal(2, result.FailingRows);
    }

    [Fact]
    public async Task Range_bounds_compare_as_the_column_type_so_a_date_is_a_date()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - range: {column: ordered_on, min: 2020-01-01}\n");

        Assert.Equal(1, result.FailingRows);
        Assert.Contains("\"ordered_on\":\"2019-12-31\"", result.SampleRowsJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Regex_must_match_the_whole_value()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - regex: {column: email, pattern: '[^@]+@[^@]+'}\n");

        Assert.Equal(1, result.FailingRows);
        Assert.Contains("not-an-email", result.SampleRowsJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_regex_that_does_not_compile_names_the_rule()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => _data.CheckAsync("  - regex: {column: email, pattern: '([a-z'}\n"));

        Assert.Equal(ErrorCode.QualityRuleCannotRun, error.Code);
        Assert.StartsWith("Model silver.orders, rule 'regex(email)' (models/silver/orders.sql:3:5): the pattern '([a-z' is not a valid regular expression", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expression_fails_the_rows_where_it_is_false_and_lets_null_pass()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - expression: amount >= 0\n");

        Assert.Equal(1, result.FailingRows);
        Assert.Equal("expression(amount >= 0)", result.Rule.Name);
    }

    [Fact]
    public async Task An_expression_that_smuggles_in_a_statement_is_refused()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(
            () => _data.CheckAsync("  - expression: \"true); DROP TABLE orders; SELECT (1\"\n    name: sneaky\n"));

        Assert.Equal(ErrorCode.QualityRuleInvalid, error.Code);
        Assert.Contains("rule 'sneaky'", error.Message, StringComparison.Ordinal);
        Assert.Equal(5L, _data.Scalar("SELECT count(*) FROM orders"));
    }

    [Fact]
    public async Task An_expression_naming_an_unknown_column_names_the_rule_and_the_columns()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => _data.CheckAsync("  - not_null: [id]\n  - expression: amout > 0\n"));

        Assert.Equal(ErrorCode.QualityRuleCannotRun, error.Code);
        Assert.StartsWith("Model silver.orders, rule 'expression(amout > 0)' (models/silver/orders.sql:4:5): the rule cannot run on the rows of silver.orders:", error.Message, StringComparison.Ordinal);
        Assert.Contains("(id, customer_id, status, amount, email, ordered_on, updated_at)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Row_count_within_bounds_holds()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - row_count: {min: 1, max: 5}\n");

        Assert.True(result.Passed);
    }

    [Fact]
    public async Task Row_count_out_of_bounds_fails_and_reports_the_count()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - row_count: {min: 10}\n");

        Assert.False(result.Passed);
        Assert.Equal(0, result.FailingRows);
        Assert.Equal("""[{"row_count":5,"min":10,"max":null}]""", result.SampleRowsJson);
    }

    [Fact]
    public async Task Freshness_holds_when_the_newest_value_is_younger_than_max_age()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - freshness: {column: updated_at, max_age: 24h}\n");

        Assert.True(result.Passed);
    }

    [Fact]
    public async Task Freshness_fails_when_the_newest_value_is_older_than_max_age_at_the_given_now()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - freshness: {column: updated_at, max_age: 1h}\n");

        Assert.False(result.Passed);
        Assert.Equal(
            """[{"column":"updated_at","newest":"2026-11-22T10:00:00.000000Z","age_seconds":7200,"max_age_seconds":3600,"checked_at":"2026-11-22T12:00:00.000000Z"}]""",
            result.SampleRowsJson);
    }

    [Fact]
    public async Task Freshness_reads_a_timestamp_with_time_zone_as_an_instant()
    {
        _data.Execute("CREATE TABLE events AS SELECT TIMESTAMPTZ '2026-11-22 13:30:00+02' AS at");
        QualityReport report = await ExpectationChecker.CheckAsync(
            _data.Connection, "events", QualityFixture.Model, await QualityFixture.RulesAsync("  - freshness: {column: at, max_age: 30m}\n"), "run-1", QualityFixture.Now);

        Assert.True(Assert.Single(report.Results).Passed);
    }

    [Fact]
    public async Task Freshness_of_an_empty_table_fails()
    {
        _data.Execute("DELETE FROM orders");

        ExpectationResult result = await _data.CheckOneAsync("  - freshness: {column: ordered_on, max_age: 7d}\n");

        Assert.False(result.Passed);
        Assert.Contains("\"newest\":null", result.SampleRowsJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_holds_when_types_match_by_their_duckdb_names()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - schema: {columns: {id: INT, amount: 'DECIMAL(10,2)', email: TEXT, ordered_on: }}\n");

        Assert.True(result.Passed);
    }

    [Fact]
    public async Task Schema_reports_missing_columns_and_wrong_types()
    {
        ExpectationResult result = await _data.CheckOneAsync("  - schema: {columns: {id: BIGINT, discount: }}\n");

        Assert.False(result.Passed);
        Assert.Equal("""[{"column":"id","expected":"BIGINT","actual":"INTEGER"},{"column":"discount","expected":"any","actual":null}]""", result.SampleRowsJson);
    }

    [Fact]
    public async Task A_rule_naming_a_missing_column_names_the_model_the_rule_its_place_and_the_columns()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => _data.CheckAsync("  - not_null: [id]\n  - not_null: [custmer_id]\n"));

        Assert.Equal(ErrorCode.QualityColumnMissing, error.Code);
        Assert.Equal(new SourceLocation("models/silver/orders.sql", 4, 5), error.Location);
        Assert.Equal(
            "Model silver.orders, rule 'not_null(custmer_id)' (models/silver/orders.sql:4:5): column 'custmer_id' is not among the columns checked. Did you mean 'customer_id'? " +
            "Available columns: id, customer_id, status, amount, email, ordered_on, updated_at.\nHelp: fix the column name in the rule, or add the column to the model's SELECT.",
            error.Message);
    }
}
