using Medallion.DuckDb;
using Medallion.Engine.Sessions;

namespace Medallion.Engine.Tests.Sessions;

/// <summary>Table names replaced in a SELECT's own text, at the places DuckDB's parser gives, for SQL another engine runs.</summary>
public sealed class TableRedirectorTests : IDisposable
{
    private readonly DuckDbConnection _connection = new();

    public TableRedirectorTests() => _connection.Open();

    public void Dispose() => _connection.Dispose();

    private Task<string> ReplaceAsync(string sql) =>
        TableRedirector.ReplaceNamesAsync(_connection, sql, (schema, table, alias) => schema == "silver" ? $"delta.`/lake/{schema}/{table}` VERSION AS OF 3{(alias is null ? " AS " + table : string.Empty)}" : null);

    [Theory]
    [InlineData("SELECT * FROM silver.orders", "SELECT * FROM delta.`/lake/silver/orders` VERSION AS OF 3 AS orders")]
    [InlineData("SELECT o.id FROM silver.orders o", "SELECT o.id FROM delta.`/lake/silver/orders` VERSION AS OF 3 o")]
    [InlineData("SELECT * FROM \"silver\" . \"orders\" AS o", "SELECT * FROM delta.`/lake/silver/orders` VERSION AS OF 3 AS o")]
    [InlineData("-- é ünïcödé 🙂\nSELECT * FROM silver.orders JOIN gold.days USING (day)", "-- é ünïcödé 🙂\nSELECT * FROM delta.`/lake/silver/orders` VERSION AS OF 3 AS orders JOIN gold.days USING (day)")]
    public async Task Each_reference_is_replaced_where_it_is_written_and_the_rest_of_the_text_is_kept(string sql, string expected)
    {
        Assert.Equal(expected, await ReplaceAsync(sql));
    }

    [Fact]
    public async Task A_cte_of_the_same_name_as_a_table_is_not_replaced()
    {
        const string Sql = "WITH orders AS (SELECT * FROM silver.orders) SELECT count(*) FROM orders";

        Assert.Equal("WITH orders AS (SELECT * FROM delta.`/lake/silver/orders` VERSION AS OF 3 AS orders) SELECT count(*) FROM orders", await TableRedirector.ReplaceNamesAsync(
            _connection, Sql, (schema, table, alias) => table == "orders" ? $"delta.`/lake/silver/orders` VERSION AS OF 3{(alias is null ? " AS orders" : string.Empty)}" : null));
    }

    [Fact]
    public async Task Sql_that_is_not_a_select_is_refused_with_duckdbs_reason()
    {
        var error = await Assert.ThrowsAsync<MedallionException>(() => ReplaceAsync("DELETE FROM silver.orders"));

        Assert.Equal(ErrorCode.EngineUnsupportedStatement, error.Code);
    }

    private Task<string> ReplaceWithVariablesAsync(string sql) =>
        TableRedirector.ReplaceNamesAsync(_connection, sql, (_, _, _) => null, name => $"<{name}>");

    [Theory]
    [InlineData("SELECT getvariable('day') AS d", "SELECT <day> AS d")]
    [InlineData("SELECT GetVariable ( 'it''s' ) + 1", "SELECT <it's> + 1")]
    [InlineData("SELECT 'getvariable(''day'')' AS t, getvariable('day') -- getvariable('day')", "SELECT 'getvariable(''day'')' AS t, <day> -- getvariable('day')")]
    [InlineData("SELECT * FROM t WHERE a = getvariable('a') AND b IN (SELECT getvariable('b'))", "SELECT * FROM t WHERE a = <a> AND b IN (SELECT <b>)")]
    public async Task Each_getvariable_call_is_replaced_whole_and_text_that_only_looks_like_one_is_kept(string sql, string expected)
    {
        Assert.Equal(expected, await ReplaceWithVariablesAsync(sql));
    }

    [Fact]
    public async Task A_getvariable_of_a_computed_name_is_refused_at_its_line_and_column()
    {
        var error = await Assert.ThrowsAsync<MedallionException>(() => ReplaceWithVariablesAsync("SELECT 1,\n  getvariable('a' || 'b')"));

        Assert.Equal(ErrorCode.EngineUnsupportedStatement, error.Code);
        Assert.Equal("A getvariable call at line 2, column 3 does not name its variable with one string literal (getvariable('name')), so its value cannot be written in its place.", error.Message);
    }
}
