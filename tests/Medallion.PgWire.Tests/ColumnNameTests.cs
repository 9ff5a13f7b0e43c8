using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>Result columns the query did not name are named as PostgreSQL names them, over both query protocols.</summary>
[Collection(LakehouseCollection.Name)]
public sealed class ColumnNameTests(LakehouseFixture fixture)
{
    private const string Query =
        "SELECT count(*), sum(o.amount), o.id::int, 1, upper(o.customer), CASE WHEN o.paid THEN 'y' ELSE 'n' END, o.customer, "
        + "CASE WHEN o.paid THEN o.customer ELSE o.customer END, 2::bigint, coalesce(o.customer, ''), (SELECT max(region) FROM gold.daily_revenue), "
        + "o.amount + 1, true, count(*) AS total, o.id AS \"Order Id\" "
        + "FROM silver.orders o GROUP BY o.id, o.customer, o.paid, o.amount LIMIT 1";

    private static readonly string[] s_expected =
        ["count", "sum", "id", "?column?", "upper", "case", "customer", "customer", "int8", "coalesce", "max", "?column?", "bool", "total", "Order Id"];

    [Fact]
    public async Task The_simple_query_protocol_names_unnamed_columns_as_postgresql_does()
    {
        (int exit, string output, string error) = await Psql.RunAsync(fixture.Port, LakehouseFixture.User, LakehouseFixture.Password, LakehouseFixture.ProjectName,
            "-A", "-F", "\t", "-c", Query);

        Assert.True(exit == 0, error);
        Assert.Equal(string.Join('\t', s_expected), output.Split('\n')[0]);
    }

    [Fact]
    public void The_extended_query_protocol_names_unnamed_columns_as_postgresql_does()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(Query, connection);
        command.Prepare();

        using NpgsqlDataReader reader = command.ExecuteReader();

        Assert.Equal(s_expected, Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
    }

    [Fact]
    public void A_union_takes_its_column_names_from_its_first_branch()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT count(*) FROM silver.orders UNION ALL SELECT 1 AS other", connection);

        using NpgsqlDataReader reader = command.ExecuteReader();

        Assert.Equal("count", reader.GetName(0));
    }
}
