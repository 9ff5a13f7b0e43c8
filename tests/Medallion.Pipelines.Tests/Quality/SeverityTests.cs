using Medallion.Catalog;
using Medallion.Pipelines.Quality;

namespace Medallion.Pipelines.Tests.Quality;

/// <summary>What each severity does with broken rules: record, quarantine rows, or fail the model.</summary>
public sealed class SeverityTests : IDisposable
{
    private const string QuarantineRules = """
          - not_null: [customer_id]
            severity: quarantine
          - accepted_values: {column: status, values: [new, paid]}
            severity: quarantine
          - unique: [id]
            severity: quarantine
          - range: {column: amount, max: 100}
            severity: warn

        """;

    private readonly QualityFixture _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task A_broken_fail_rule_fails_the_report()
    {
        QualityReport report = await _data.CheckAsync("  - not_null: [customer_id]\n    severity: fail\n");

        Assert.True(report.Failed);
    }

    [Fact]
    public async Task A_broken_warn_rule_is_recorded_without_failing_or_quarantining()
    {
        QualityReport report = await _data.CheckAsync("  - not_null: [customer_id]\n    severity: warn\n");

        Assert.False(report.Failed);
        Assert.False(Assert.Single(report.Results).Passed);
        Assert.Null(report.QuarantineRowsSql("orders"));
        Assert.Equal(5L, _data.Scalar($"SELECT count(*) FROM ({report.PassingRowsSql("orders")})"));
    }

    [Fact]
    public async Task Passing_and_quarantined_rows_together_are_all_the_rows_each_once()
    {
        QualityReport report = await _data.CheckAsync(QuarantineRules);

        Assert.False(report.Failed);
        Assert.Equal(2, report.QuarantinedRows);
        Assert.Equal("""[{"id":1},{"id":2},{"id":4}]""", _data.Json($"SELECT id FROM ({report.PassingRowsSql("orders")})"));
        Assert.Equal(
            _data.Json("SELECT * FROM orders"),
            _data.Json($"SELECT * FROM ({report.PassingRowsSql("orders")}) UNION ALL SELECT * EXCLUDE (_quarantine_rules, _quarantine_run_id, _quarantined_at) FROM ({report.QuarantineRowsSql("orders")})"));
    }

    [Fact]
    public async Task A_row_breaking_several_quarantine_rules_is_quarantined_once_with_every_rule_name()
    {
        QualityReport report = await _data.CheckAsync(QuarantineRules);

        Assert.Equal(
            """[{"id":3,"customer_id":12,"_quarantine_rules":["unique(id)"],"_quarantine_run_id":"run-1"},""" +
            """{"id":3,"customer_id":null,"_quarantine_rules":["not_null(customer_id)","accepted_values(status)","unique(id)"],"_quarantine_run_id":"run-1"}]""",
            _data.Json($"SELECT id, customer_id, _quarantine_rules, _quarantine_run_id FROM ({report.QuarantineRowsSql("orders")})"));
    }

    [Fact]
    public async Task Quarantined_rows_carry_the_check_time_and_typed_columns()
    {
        QualityReport report = await _data.CheckAsync(QuarantineRules);
        _data.Execute($"CREATE TABLE orders_quarantine AS {report.QuarantineRowsSql("orders")}");

        Assert.Equal("VARCHAR[]|VARCHAR|TIMESTAMP WITH TIME ZONE", _data.Scalar(
            "SELECT string_agg(data_type, '|' ORDER BY column_index) FROM duckdb_columns() WHERE table_name = 'orders_quarantine' AND column_name LIKE '\\_quarantine%' ESCAPE '\\'"));
        Assert.Equal(2L, _data.Scalar("SELECT count(*) FROM orders_quarantine WHERE _quarantined_at = TIMESTAMPTZ '2026-11-22 12:00:00+00'"));
    }

    [Fact]
    public async Task Unique_with_quarantine_moves_every_row_of_a_duplicated_key()
    {
        QualityReport report = await _data.CheckAsync("  - unique: [id]\n    severity: quarantine\n");

        Assert.Equal("""[{"id":3},{"id":3}]""", _data.Json($"SELECT id FROM ({report.QuarantineRowsSql("orders")})"));
        Assert.Equal(0L, _data.Scalar($"SELECT count(*) FROM ({report.PassingRowsSql("orders")}) WHERE id = 3"));
    }

    [Fact]
    public async Task A_quarantine_rule_that_holds_quarantines_nothing()
    {
        QualityReport report = await _data.CheckAsync("  - not_null: [id]\n    severity: quarantine\n");

        Assert.Null(report.QuarantineRowsSql("orders"));
        Assert.Equal(0, report.QuarantinedRows);
        Assert.Equal("SELECT * FROM orders", report.PassingRowsSql("orders"));
    }

    [Fact]
    public async Task Results_become_catalog_records_under_the_run_and_check_time()
    {
        QualityReport report = await _data.CheckAsync(QuarantineRules);

        QualityResultRecord record = report.ToRecords()[0];
        Assert.Equal(new QualityResultRecord("run-1", QualityFixture.Model, "not_null(customer_id)", "quarantine", false, 1, record.SampleRowsJson, QualityFixture.Now), record);
        Assert.Equal(["quarantine", "quarantine", "quarantine", "warn"], report.ToRecords().Select(r => r.Severity));
    }

    [Fact]
    public async Task A_cancelled_check_throws_before_reading_any_row()
    {
        IReadOnlyList<Expectation> rules = await QualityFixture.RulesAsync("  - not_null: [id]\n");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => ExpectationChecker.CheckAsync(_data.Connection, "orders", QualityFixture.Model, rules, "run-1", QualityFixture.Now, cancellationToken: new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task A_table_level_rule_cannot_be_declared_with_quarantine_severity()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => QualityFixture.RulesAsync("  - row_count: {min: 1}\n    severity: quarantine\n"));

        Assert.Equal(ErrorCode.QualityRuleInvalid, error.Code);
        Assert.Equal(
            "models/silver/orders.sql:4:15: the 'row_count' rule checks the table as a whole, so no row breaks it and there is nothing to quarantine. Expected severity warn or fail.",
            error.Message);
    }
}
