namespace Medallion.DuckDb.Tests;

/// <summary>Results that span many chunks, several statements in one command, and errors.</summary>
public sealed class ResultTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_million_rows_spanning_many_chunks_sum_exactly(bool streamResults)
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT i, i * 0.5 AS half, 'row ' || i AS label FROM range(1000000) t(i)";
        command.StreamResults = streamResults;
        using DuckDbDataReader reader = command.ExecuteReader();

        long count = 0, sum = 0;
        double halves = 0;
        while (reader.Read())
        {
            sum += reader.GetInt64(0);
            halves += reader.GetDouble(1);
            if (count % 99_991 == 0)
            {
                Assert.Equal("row " + reader.GetInt64(0), reader.GetString(2));
            }

            count++;
        }

        Assert.Equal(1_000_000, count);
        Assert.Equal(499_999_500_000L, sum);
        Assert.Equal(249_999_750_000.0, halves);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_million_rows_read_asynchronously_sum_exactly(bool streamResults)
    {
        await using DuckDbConnection connection = Db.Open();
        await using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT i FROM range(1000000) t(i)";
        command.StreamResults = streamResults;
        await using DuckDbDataReader reader = await command.ExecuteReaderAsync();

        long count = 0, sum = 0;
        while (await reader.ReadAsync())
        {
            sum += reader.GetInt64(0);
            count++;
        }

        Assert.Equal(1_000_000, count);
        Assert.Equal(499_999_500_000L, sum);
    }

    [Fact]
    public void Empty_result_has_columns_but_no_rows()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT 1 AS a, 'x' AS b WHERE false";
        using DuckDbDataReader reader = command.ExecuteReader();

        Assert.Equal(2, reader.FieldCount);
        Assert.False(reader.HasRows);
        Assert.False(reader.Read());
        Assert.False(reader.Read());
        Assert.Equal("b", reader.GetName(1));
    }

    [Fact]
    public void Reading_past_the_end_keeps_returning_false()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        using DuckDbDataReader reader = command.ExecuteReader();

        Assert.True(reader.HasRows);
        Assert.True(reader.Read());
        Assert.False(reader.Read());
        Assert.False(reader.Read());
        Assert.True(reader.HasRows);
        Assert.Throws<InvalidOperationException>(() => reader.GetInt32(0));
    }

    [Fact]
    public void Create_insert_and_select_in_one_command_give_one_result_each()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE t (id INTEGER, name VARCHAR); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'); SELECT name FROM t ORDER BY id";
        using DuckDbDataReader reader = command.ExecuteReader();

        Assert.Equal(DuckDbStatementType.Create, reader.StatementType);
        Assert.Equal(0, reader.FieldCount);
        Assert.Equal(-1, reader.RecordsAffected);
        Assert.True(reader.NextResult());
        Assert.Equal(DuckDbStatementType.Insert, reader.StatementType);
        Assert.Equal(3, reader.RecordsAffected);
        Assert.True(reader.NextResult());
        Assert.Equal(DuckDbStatementType.Select, reader.StatementType);
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        Assert.Equal(["a", "b", "c"], names);
        Assert.False(reader.NextResult());
        Assert.Equal(3, reader.RecordsAffected);
    }

    [Fact]
    public async Task Create_insert_and_select_in_one_command_give_one_result_each_asynchronously()
    {
        await using DuckDbConnection connection = Db.Open();
        await using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (1), (2); SELECT sum(id) FROM t";
        await using DuckDbDataReader reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.NextResultAsync());
        Assert.Equal(2, reader.RecordsAffected);
        Assert.True(await reader.NextResultAsync());
        Assert.True(await reader.ReadAsync());
        Assert.Equal(3L, reader.GetInt64(0));
        Assert.False(await reader.NextResultAsync());
    }

    [Fact]
    public void Execute_non_query_returns_rows_changed_by_all_statements()
    {
        using DuckDbConnection connection = Db.Open();

        Assert.Equal(-1, connection.Execute("CREATE TABLE t (id INTEGER)"));
        Assert.Equal(5, connection.Execute("INSERT INTO t SELECT * FROM range(3); INSERT INTO t VALUES (10), (11)"));
        Assert.Equal(2, connection.Execute("UPDATE t SET id = id + 1 WHERE id >= 10"));
        Assert.Equal(3, connection.Execute("DELETE FROM t WHERE id < 11"));
        Assert.Equal(2L, connection.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public async Task Execute_non_query_async_returns_rows_changed()
    {
        await using DuckDbConnection connection = Db.Open();
        await using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE t AS SELECT * FROM range(3) r(i); DELETE FROM t WHERE i > 0";

        Assert.Equal(2, await command.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task Execute_scalar_async_returns_the_first_value_of_the_first_result_with_columns()
    {
        await using DuckDbConnection connection = Db.Open();
        await using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (7); SELECT i FROM t";

        Assert.Equal(7, await command.ExecuteScalarAsync());
    }

    [Fact]
    public void Execute_scalar_of_an_empty_result_is_null()
    {
        using DuckDbConnection connection = Db.Open();

        Assert.Null(connection.Scalar("SELECT 1 WHERE false"));
    }

    [Fact]
    public void An_error_in_the_second_statement_leaves_the_first_applied()
    {
        using DuckDbConnection connection = Db.Open();

        var error = Assert.Throws<DuckDbException>(() => connection.Execute("CREATE TABLE t (i INTEGER); INSERT INTO missing VALUES (1)"));

        Assert.StartsWith("Catalog Error: Table with name missing does not exist!", error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, connection.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void A_syntax_error_carries_the_parser_message_and_type()
    {
        using DuckDbConnection connection = Db.Open();

        var error = Assert.Throws<DuckDbException>(() => connection.Scalar("SELEC 1"));

        Assert.Equal(DuckDbErrorType.Parser, error.ErrorType);
        Assert.StartsWith("Parser Error: syntax error at or near \"SELEC\"", error.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.DuckDbQueryFailed, error.Code);
    }

    [Fact]
    public void An_error_raised_while_streaming_surfaces_from_read()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT CASE WHEN i = 5000 THEN error('boom at 5000') ELSE i END FROM range(10000) t(i)";

        var error = Assert.Throws<DuckDbException>(() =>
        {
            using DuckDbDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
            }
        });

        Assert.Equal("Invalid Input Error: boom at 5000", error.Message);
        Assert.Equal(DuckDbErrorType.InvalidInput, error.ErrorType);
        Assert.Equal(1, connection.Scalar("SELECT 1"));
    }

    [Fact]
    public void A_second_reader_on_a_busy_connection_is_refused()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand first = connection.CreateCommand();
        first.CommandText = "SELECT 1";
        using DuckDbDataReader reader = first.ExecuteReader();

        var error = Assert.Throws<InvalidOperationException>(() => connection.Scalar("SELECT 2"));

        Assert.Equal("The connection already has an open reader; DuckDB runs one result per connection at a time. Dispose it first, or use another connection.", error.Message);
    }

    [Fact]
    public void A_command_without_an_open_connection_says_what_to_do()
    {
        using var connection = new DuckDbConnection();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT 1";

        var error = Assert.Throws<InvalidOperationException>(() => command.ExecuteScalar());

        Assert.Equal("The connection is not open. Call Open() first.", error.Message);
    }

    [Fact]
    public void An_empty_command_text_is_reported()
    {
        using DuckDbConnection connection = Db.Open();

        var error = Assert.Throws<DuckDbException>(() => connection.Scalar("  "));

        Assert.Equal(DuckDbErrorType.Parser, error.ErrorType);
    }

    [Fact]
    public void Connection_reports_the_library_version()
    {
        using DuckDbConnection connection = Db.Open();

        Assert.Equal("v1.5.6", connection.ServerVersion);
        Assert.Equal("v1.5.6", DuckDbDatabase.LibraryVersion);
    }

    [Fact]
    public void Connection_string_settings_reach_duckdb()
    {
        using var connection = new DuckDbConnection("Data Source=:memory:;Threads=1;Memory Limit=512MB");
        connection.Open();

        Assert.Equal(1L, connection.Scalar("SELECT current_setting('threads')"));
        Assert.Equal("488.2 MiB", connection.Scalar("SELECT current_setting('memory_limit')"));
    }

    [Fact]
    public void An_unknown_connection_string_setting_is_rejected_with_help()
    {
        using var connection = new DuckDbConnection("Data Source=:memory:;no_such_setting=1");

        var error = Assert.Throws<DuckDbException>(connection.Open);

        Assert.Equal(
            "Could not open the DuckDB database ':memory:': Invalid Input Error: The following options were not recognized: no_such_setting " +
            "Help: check that the file is readable and writable, and the connection string's settings against SELECT * FROM duckdb_settings().",
            error.Message);
        Assert.Equal(ErrorCode.DuckDbOpenFailed, error.Code);
    }

    [Fact]
    public void A_file_database_keeps_its_tables_between_connections()
    {
        string path = Path.Combine(Path.GetTempPath(), "medallion-test-" + Guid.NewGuid().ToString("N") + ".duckdb");
        try
        {
            using (var writer = new DuckDbConnection("Data Source=" + path))
            {
                writer.Open();
                writer.Execute("CREATE TABLE kept AS SELECT 42 AS answer");
            }

            using var reader = new DuckDbConnection("Data Source=" + path);
            reader.Open();
            Assert.Equal(42, reader.Scalar("SELECT answer FROM kept"));
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + ".wal");
        }
    }
}
