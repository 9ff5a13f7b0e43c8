namespace Medallion.DuckDb.Tests;

public sealed class ChunkTableTests
{
    private static readonly KeyValuePair<string, string>[] s_columns =
    [
        new("id", "BIGINT"),
        new("name", "VARCHAR"),
        new("amount", "DECIMAL(12,2)"),
        new("ref", "UUID"),
    ];

    [Fact]
    public void Rows_appended_to_a_chunk_table_are_read_back_by_sql_in_order_with_their_values_and_nulls()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbChunkTable table = connection.CreateChunkTable(s_columns);
        const int Rows = 5000;
        using (DuckDbAppender appender = table.CreateAppender())
        {
            for (int i = 0; i < Rows; i++)
            {
                appender.BeginRow().Append(i).Append(i % 7 == 0 ? null : $"customer number {i} ✓").Append(i * 0.25m);
                if (i % 3 == 0)
                {
                    appender.AppendNull();
                }
                else
                {
                    appender.Append(new Guid(i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
                }

                appender.EndRow();
            }
        }

        Assert.Equal(Rows, table.RowCount);
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT id, name, amount, ref FROM {table.Source}";
        using DuckDbDataReader reader = command.ExecuteReader();
        for (int i = 0; i < Rows; i++)
        {
            Assert.True(reader.Read());
            Assert.Equal((long)i, reader.GetInt64(0));
            Assert.Equal(i % 7 == 0 ? null : $"customer number {i} ✓", reader.IsDBNull(1) ? null : reader.GetString(1));
            Assert.Equal(i * 0.25m, reader.GetDecimal(2));
            Assert.Equal(i % 3 == 0 ? (Guid?)null : new Guid(i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), reader.IsDBNull(3) ? null : reader.GetGuid(3));
        }

        Assert.False(reader.Read());
    }

    [Fact]
    public void A_chunk_table_is_read_by_another_connection_of_the_database_and_can_be_read_twice()
    {
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection writer = database.CreateConnection();
        using DuckDbConnection reader = writer.OpenSibling();
        using DuckDbChunkTable table = writer.CreateChunkTable(s_columns);
        using (DuckDbAppender appender = table.CreateAppender())
        {
            appender.AppendRow(1L, "a long enough name to leave the inline bytes", 1.5m, null);
            appender.AppendRow(2L, "b", 2.5m, null);
        }

        Assert.Equal(4.0m, reader.Scalar($"SELECT sum(amount) FROM {table.Source}"));
        Assert.Equal("a long enough name to leave the inline bytes", reader.Scalar($"SELECT name FROM {table.Source} WHERE id = 1"));
    }

    [Fact]
    public void A_cleared_chunk_table_is_empty_and_takes_new_rows()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbChunkTable table = connection.CreateChunkTable(s_columns);
        using (DuckDbAppender appender = table.CreateAppender())
        {
            for (int i = 0; i < 3000; i++)
            {
                appender.AppendRow((long)i, "first round, a long string", 1m, null);
            }
        }

        table.Clear();
        Assert.Equal(0L, connection.Scalar($"SELECT count(*) FROM {table.Source}"));
        using (DuckDbAppender appender = table.CreateAppender())
        {
            appender.AppendRow(7L, "second round, also long enough", 2m, null);
        }

        Assert.Equal(1, table.RowCount);
        Assert.Equal("second round, also long enough", connection.Scalar($"SELECT name FROM {table.Source}"));
    }

    [Fact]
    public void Rows_of_a_chunk_table_are_copied_to_parquet_as_written()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbChunkTable table = connection.CreateChunkTable(s_columns);
        using (DuckDbAppender appender = table.CreateAppender())
        {
            for (int i = 0; i < 10_000; i++)
            {
                appender.AppendRow((long)i, "name " + i, i / 100m, null);
            }
        }

        string file = Path.Combine(Path.GetTempPath(), $"chunks-{Guid.NewGuid()}.parquet");
        try
        {
            connection.Execute($"COPY (SELECT * FROM {table.Source}) TO '{file}' (FORMAT parquet)");
            Assert.Equal(true, connection.Scalar($"SELECT count(*) = 10000 AND sum(id) = 49995000 AND max(name) = 'name 9999' AND sum(amount) = 499950 FROM '{file}'"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Reading_a_disposed_chunk_table_fails_naming_it()
    {
        using DuckDbConnection connection = Db.Open();
        DuckDbChunkTable table = connection.CreateChunkTable(s_columns);
        string source = table.Source;
        table.Dispose();

        var error = Assert.Throws<DuckDbException>(() => connection.Scalar($"SELECT count(*) FROM {source}"));
        Assert.Contains($"no chunk table {table.Id} is open", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_column_type_is_refused_naming_the_columns()
    {
        using DuckDbConnection connection = Db.Open();

        var error = Assert.Throws<DuckDbException>(() => connection.CreateChunkTable([new("x", "NOT_A_TYPE")]));
        Assert.Contains("x NOT_A_TYPE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Chunk_tables_work_in_two_handles_of_one_file_database()
    {
        string file = Path.Combine(Path.GetTempPath(), $"chunks-{Guid.NewGuid()}.duckdb");
        try
        {
            using DuckDbDatabase first = DuckDbDatabase.Open($"Data Source={file}");
            using DuckDbDatabase second = DuckDbDatabase.Open($"Data Source={file}");
            using DuckDbConnection one = first.CreateConnection();
            using DuckDbConnection two = second.CreateConnection();
            using DuckDbChunkTable a = one.CreateChunkTable(s_columns);
            using DuckDbChunkTable b = two.CreateChunkTable(s_columns);
            using (DuckDbAppender appender = b.CreateAppender())
            {
                appender.AppendRow(3L, "x", 1m, null);
            }

            Assert.Equal(3L, two.Scalar($"SELECT id FROM {b.Source}"));
        }
        finally
        {
            File.Delete(file);
            File.Delete(file + ".wal");
        }
    }
}
