using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.Pipelines.Quality;

namespace Medallion.Pipelines.Tests.Quality;

/// <summary>
/// Relationship rules read the referenced table through the connection they are given: here a real Delta table
/// (silver.customers, written by <see cref="DeltaWriter"/>) seen through a <see cref="LakehouseSession"/>.
/// </summary>
public sealed class RelationshipTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "medallion-quality-" + Guid.NewGuid().ToString("N"));
    private LakehouseSession _session = null!;

    public async Task InitializeAsync()
    {
        using (DuckDbDatabase database = DuckDbDatabase.Open())
        using (DuckDbConnection connection = database.CreateConnection())
        {
            await new DeltaWriter(connection).WriteAsync(Path.Combine(_root, "silver", "customers"), "SELECT * FROM (VALUES (10, 'Ana'), (11, 'Bia'), (12, 'Caio')) t(id, name)");
        }

        _session = await LakehouseSession.OpenAsync(new DirectoryTableLocator(_root));
        using DuckDbCommand command = _session.Connection.CreateCommand();
        command.CommandText = "CREATE TEMP TABLE candidate AS SELECT * FROM (VALUES (1, 10, NULL), (2, 99, 1), (3, NULL, 7), (4, 12, 2)) t(id, customer_id, parent_id)";
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        await _session.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private async Task<QualityReport> CheckAsync(string items) =>
        await ExpectationChecker.CheckAsync(_session.Connection, "candidate", QualityFixture.Model, await QualityFixture.RulesAsync(items), "run-1", QualityFixture.Now);

    [Fact]
    public async Task Relationships_fail_keys_missing_from_the_referenced_delta_table_and_let_nulls_pass()
    {
        ExpectationResult result = Assert.Single((await CheckAsync("  - relationships: {column: customer_id, to: silver.customers, field: id}\n")).Results);

        Assert.Equal("relationships(customer_id -> silver.customers.id)", result.Rule.Name);
        Assert.Equal(1, result.FailingRows);
        Assert.Equal("""[{"id":2,"customer_id":99,"parent_id":1}]""", result.SampleRowsJson);
    }

    [Fact]
    public async Task Relationships_to_the_model_itself_read_the_rows_being_checked()
    {
        ExpectationResult result = Assert.Single((await CheckAsync("  - relationships: {column: parent_id, to: silver.orders, field: id}\n")).Results);

        Assert.Equal(1, result.FailingRows);
        Assert.Contains("\"parent_id\":7", result.SampleRowsJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relationships_quarantine_the_orphans_only()
    {
        QualityReport report = await CheckAsync("  - relationships: {column: customer_id, to: silver.customers, field: id}\n    severity: quarantine\n");

        using DuckDbCommand command = _session.Connection.CreateCommand();
        command.CommandText = $"SELECT string_agg(CAST(id AS VARCHAR), ',' ORDER BY id) FROM ({report.PassingRowsSql("candidate")})";
        Assert.Equal("1,3,4", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_referenced_table_that_does_not_exist_is_an_error_on_the_rule()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => CheckAsync("  - relationships: {column: customer_id, to: silver.clients, field: id}\n"));

        Assert.Equal(ErrorCode.QualityRuleCannotRun, error.Code);
        Assert.StartsWith(
            "Model silver.orders, rule 'relationships(customer_id -> silver.clients.id)' (models/silver/orders.sql:3:5): the referenced table silver.clients cannot be read:",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_referenced_column_that_does_not_exist_lists_the_referenced_columns()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => CheckAsync("  - relationships: {column: customer_id, to: silver.customers, field: idd}\n"));

        Assert.Contains("the referenced table silver.customers has no column 'idd'. Did you mean 'id'? Its columns: id, name.", error.Message, StringComparison.Ordinal);
    }
}
