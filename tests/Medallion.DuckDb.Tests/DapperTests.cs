using Dapper;

namespace Medallion.DuckDb.Tests;

/// <summary>Dapper, the usual way, against the ADO.NET provider.</summary>
public sealed class DapperTests
{
    public sealed class Order
    {
        public long Id { get; set; }

        public string Customer { get; set; } = string.Empty;

        public decimal Amount { get; set; }

        public DateTime PlacedAt { get; set; }

        public string? Note { get; set; }
    }

    private static DuckDbConnection OpenWithOrders()
    {
        DuckDbConnection connection = Db.Open();
        connection.Execute(
            "CREATE TABLE orders (id BIGINT, customer VARCHAR, amount DECIMAL(18,2), placed_at TIMESTAMP, note VARCHAR);" +
            "INSERT INTO orders VALUES (1, 'ada', 10.50, TIMESTAMP '2026-01-01 10:00', NULL), (2, 'bob', 20.25, TIMESTAMP '2026-01-02 11:30', 'rush')");
        return connection;
    }

    [Fact]
    public void Query_maps_rows_to_objects_with_nulls()
    {
        using DuckDbConnection connection = OpenWithOrders();

        List<Order> orders = connection.Query<Order>("SELECT id, customer, amount, placed_at AS PlacedAt, note FROM orders ORDER BY id").ToList();

        Assert.Equal(2, orders.Count);
        Assert.Equal(1L, orders[0].Id);
        Assert.Equal("ada", orders[0].Customer);
        Assert.Equal(10.50m, orders[0].Amount);
        Assert.Equal(new DateTime(2026, 1, 1, 10, 0, 0), orders[0].PlacedAt);
        Assert.Null(orders[0].Note);
        Assert.Equal("rush", orders[1].Note);
    }

    [Fact]
    public void Query_binds_anonymous_object_parameters_by_name()
    {
        using DuckDbConnection connection = OpenWithOrders();

        Order order = connection.QuerySingle<Order>("SELECT id, customer, amount FROM orders WHERE customer = $customer AND amount > $min", new { customer = "bob", min = 1m });

        Assert.Equal(2L, order.Id);
    }

    [Fact]
    public void Execute_returns_the_rows_changed()
    {
        using DuckDbConnection connection = OpenWithOrders();

        int changed = connection.Execute("UPDATE orders SET note = $note WHERE id >= $id", new { note = "checked", id = 1L });

        Assert.Equal(2, changed);
        Assert.Equal(2L, connection.ExecuteScalar<long>("SELECT count(*) FROM orders WHERE note = 'checked'"));
    }

    [Fact]
    public void Execute_with_a_list_of_parameter_objects_runs_once_per_object()
    {
        using DuckDbConnection connection = OpenWithOrders();

        int inserted = connection.Execute(
            "INSERT INTO orders (id, customer, amount) VALUES ($id, $customer, $amount)",
            new[] { new { id = 3L, customer = "cy", amount = 1m }, new { id = 4L, customer = "di", amount = 2m } });

        Assert.Equal(2, inserted);
        Assert.Equal(4L, connection.ExecuteScalar<long>("SELECT max(id) FROM orders"));
    }

    [Fact]
    public async Task Query_async_maps_rows_to_objects()
    {
        await using DuckDbConnection connection = OpenWithOrders();

        IEnumerable<Order> orders = await connection.QueryAsync<Order>("SELECT id, customer FROM orders ORDER BY id DESC");

        Assert.Equal(["bob", "ada"], orders.Select(o => o.Customer));
    }

    [Fact]
    public void Query_of_tuples_and_scalars_converts_widths()
    {
        using DuckDbConnection connection = OpenWithOrders();

        (int Id, string Customer) first = connection.QueryFirst<(int, string)>("SELECT id, customer FROM orders ORDER BY id");
        int count = connection.ExecuteScalar<int>("SELECT count(*) FROM orders");

        Assert.Equal((1, "ada"), first);
        Assert.Equal(2, count);
    }

    [Fact]
    public void Query_multiple_reads_each_result()
    {
        using DuckDbConnection connection = OpenWithOrders();

        using SqlMapper.GridReader grid = connection.QueryMultiple("SELECT count(*) FROM orders; SELECT customer FROM orders ORDER BY id");

        Assert.Equal(2L, grid.ReadSingle<long>());
        Assert.Equal(["ada", "bob"], grid.Read<string>());
    }

    [Fact]
    public void Dapper_opens_and_closes_a_closed_connection_itself()
    {
        using var connection = new DuckDbConnection();

        Assert.Equal(42, connection.ExecuteScalar<int>("SELECT 42"));
        Assert.Equal(System.Data.ConnectionState.Closed, connection.State);
    }
}
