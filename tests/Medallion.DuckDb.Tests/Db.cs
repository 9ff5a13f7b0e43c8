namespace Medallion.DuckDb.Tests;

/// <summary>Small helpers over a real in-memory DuckDB: open a connection, run SQL, read one row.</summary>
internal static class Db
{
    public static DuckDbConnection Open()
    {
        var connection = new DuckDbConnection();
        connection.Open();
        return connection;
    }

    public static int Execute(this DuckDbConnection connection, string sql)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    public static object? Scalar(this DuckDbConnection connection, string sql)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>Runs a query and leaves the reader on its first row.</summary>
    public static DuckDbDataReader ReadFirstRow(this DuckDbConnection connection, string sql)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        DuckDbDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return reader;
    }
}
