namespace Medallion.DuckDb.Tests;

public sealed class DisposalTests
{
    [Fact]
    public void Disposing_a_connection_twice_is_harmless()
    {
        DuckDbConnection connection = Db.Open();

        connection.Dispose();
        connection.Dispose();

        Assert.Equal(System.Data.ConnectionState.Closed, connection.State);
    }

    [Fact]
    public void Disposing_a_reader_twice_is_harmless_and_frees_the_connection()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM range(10000)";
        DuckDbDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());

        reader.Dispose();
        reader.Dispose();

        Assert.True(reader.IsClosed);
        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Fact]
    public async Task Disposing_a_reader_twice_asynchronously_is_harmless()
    {
        await using DuckDbConnection connection = Db.Open();
        await using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        DuckDbDataReader reader = await command.ExecuteReaderAsync();

        await reader.DisposeAsync();
        await reader.DisposeAsync();

        Assert.True(reader.IsClosed);
    }

    [Fact]
    public void Disposing_an_appender_twice_is_harmless_and_flushes_once()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (a INTEGER)");
        DuckDbAppender appender = connection.CreateAppender("t");
        appender.AppendRow(1);

        appender.Dispose();
        appender.Dispose();

        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void Disposing_a_transaction_twice_is_harmless()
    {
        using DuckDbConnection connection = Db.Open();
        DuckDbTransaction transaction = connection.BeginTransaction();

        transaction.Dispose();
        transaction.Dispose();

        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Fact]
    public void Disposing_a_database_twice_is_harmless_and_it_takes_no_new_connections()
    {
        DuckDbDatabase database = DuckDbDatabase.Open();

        database.Dispose();
        database.Dispose();

        Assert.Throws<ObjectDisposedException>(() => database.CreateConnection());
    }

    [Fact]
    public void Closing_the_connection_closes_its_open_reader()
    {
        DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM range(10000)";
        DuckDbDataReader reader = command.ExecuteReader();

        connection.Dispose();

        Assert.True(reader.IsClosed);
        Assert.False(reader.Read());
        reader.Dispose();
    }

    [Fact]
    public void Close_connection_behaviour_closes_the_connection_with_the_reader()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT 1";

        using (command.ExecuteReader(System.Data.CommandBehavior.CloseConnection))
        {
        }

        Assert.Equal(System.Data.ConnectionState.Closed, connection.State);
    }

    [Fact]
    public void A_connection_can_be_reopened_after_close()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Close();

        connection.Open();

        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Fact]
    public void Connections_outlive_a_disposed_database_until_they_close()
    {
        DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection connection = database.CreateConnection();
        connection.Execute("CREATE TABLE t AS SELECT 5 AS v");

        database.Dispose();

        Assert.Equal(5, connection.Scalar("SELECT v FROM t"));
    }
}
