using Medallion.DuckDb;

namespace Medallion.DuckDb.Tests;

public sealed class QueryTests
{
    [Fact]
    public void Scalar_query_returns_the_value_with_its_type()
    {
        using var connection = new DuckDbConnection();
        connection.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT 42::BIGINT AS answer";

        Assert.Equal(42L, command.ExecuteScalar());
    }

    [Fact]
    public void Sql_error_carries_duckdb_message_and_error_type()
    {
        using var connection = new DuckDbConnection();
        connection.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM missing_table";

        var error = Assert.Throws<DuckDbException>(() => command.ExecuteScalar());

        Assert.Equal(DuckDbErrorType.Catalog, error.ErrorType);
        Assert.Contains("Table with name missing_table does not exist", error.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.DuckDbQueryFailed, error.Code);
    }
}
