using System.Net;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.PgWire;
using Npgsql;

namespace Medallion.Server.Tests.Governance;

/// <summary>
/// A grant that lists columns reads only those columns, however it was built: a table grant carrying a column list
/// (which the catalog once stored as a grant of the whole table) restricts as <c>select (a, b) on t</c> does, on the SQL
/// endpoint and on REST alike; a grant whose list cannot be honoured is refused.
/// </summary>
public sealed class ColumnListGrantTests : IAsyncLifetime
{
    private const string Password = "cora-secret";
    private ServedProject _served = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        await _served.Catalog.Identity.SetUserAsync("cora", PgUserStore.CreateScramVerifier(Password));
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders", ["order_id", "amount"], GranteeKind.User, "cora"), ["silver.orders"]);
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task A_table_grant_listing_columns_shows_only_those_columns_to_select_star_on_the_sql_endpoint()
    {
        await using NpgsqlConnection connection = await ConnectAsync();
        await using var command = new NpgsqlCommand("SELECT * FROM silver.orders ORDER BY order_id", connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();

        Assert.Equal(["order_id", "amount"], Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
    }

    [Theory]
    [InlineData("SELECT email FROM silver.orders")]
    [InlineData("SELECT o.email FROM silver.orders AS o")]
    [InlineData("SELECT count(*) FROM silver.orders WHERE email LIKE 'b%'")]
    [InlineData("SELECT order_id FROM silver.orders ORDER BY email")]
    [InlineData("SELECT email FROM silver.orders AT (VERSION => 0)")]
    public async Task A_column_the_list_leaves_out_does_not_exist_over_the_sql_endpoint_in_any_shape(string sql)
    {
        await using NpgsqlConnection connection = await ConnectAsync();
        await using var command = new NpgsqlCommand(sql, connection);

        PostgresException refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());

        Assert.Equal("42703", refused.SqlState);
    }

    [Fact]
    public async Task A_whole_row_as_json_leaves_out_the_column_the_list_leaves_out()
    {
        await using NpgsqlConnection connection = await ConnectAsync();
        await using var command = new NpgsqlCommand("SELECT string_agg(CAST(to_json(o) AS VARCHAR), ';' ORDER BY order_id) FROM silver.orders AS o", connection);

        string rows = (string)(await command.ExecuteScalarAsync())!;

        Assert.StartsWith("{\"order_id\":1,\"amount\":", rows, StringComparison.Ordinal);
        Assert.DoesNotContain("email", rows, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_grant_listing_columns_shows_only_those_columns_over_rest()
    {
        using HttpResponseMessage table = await _served.GetAsync("/api/tables/silver.orders", ServedProject.Basic("cora", Password));
        using HttpResponseMessage lineage = await _served.GetAsync("/api/tables/silver.orders/lineage?column=email", ServedProject.Basic("cora", Password));
        string body = await table.Content.ReadAsStringAsync();

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.NotFound), (table.StatusCode, lineage.StatusCode));
        using JsonDocument details = JsonDocument.Parse(body);
        Assert.Equal(["order_id", "amount"], details.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.DoesNotContain("@x.com", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_grant_is_stored_and_listed_as_the_column_grant_it_is()
    {
        AccessGrant stored = Assert.Single(await _served.Catalog.Access.ListGrantsAsync(), g => g.Grantee == "cora");

        Assert.Equal((AccessObjectKind.Columns, "select (order_id, amount) on silver.orders"), (stored.ObjectKind, AccessGrantText.Format(stored)));
    }

    [Fact]
    public async Task A_table_grant_listing_a_column_the_table_lacks_is_refused_naming_the_column()
    {
        var grant = new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders", ["order_id", "emial"], GranteeKind.User, "cora");

        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() => _served.Catalog.Access.GrantAsync(grant, ["silver.orders"]));

        Assert.Equal(ErrorCode.CatalogObjectNotFound, refused.Code);
        Assert.StartsWith("Table silver.orders has no column 'emial'. Did you mean 'email'?", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_namespace_grant_listing_columns_is_refused_rather_than_granting_every_column()
    {
        var grant = new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Namespace, "silver", ["order_id"], GranteeKind.User, "cora");

        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() => _served.Catalog.Access.GrantAsync(grant));

        Assert.Equal(ErrorCode.CatalogAccessInvalid, refused.Code);
        Assert.StartsWith("select (order_id) on silver lists columns, but columns are listed only when select is granted on one table.", refused.Message, StringComparison.Ordinal);
    }

    private async Task<NpgsqlConnection> ConnectAsync()
    {
        var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={_served.Server.PgPort};Username=cora;Password={Password};Database=shop;Pooling=false;Timeout=60");
        await connection.OpenAsync();
        return connection;
    }
}
