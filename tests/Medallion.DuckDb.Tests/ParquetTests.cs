namespace Medallion.DuckDb.Tests;

/// <summary>Parquet is DuckDB's job: write it with RETURN_STATS and read the statistics back.</summary>
public sealed class ParquetTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("medallion-parquet-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_database_keeps_nothing_in_memory_of_the_files_it_has_read()
    {
        // Issue 36: DuckDB's external file cache kept ~12 KB of each file a long-lived database read, for good.
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection connection = database.CreateConnection();
        using DuckDbCommand command = connection.CreateCommand();
        for (int i = 0; i < 20; i++)
        {
            string file = DuckDbConnection.QuoteLiteral(Path.Combine(_directory, $"f{i}.parquet"));
            command.CommandText = $"COPY (SELECT i, i * {i} AS v FROM range(100) t(i)) TO {file} (FORMAT parquet)";
            command.ExecuteNonQuery();
            command.CommandText = $"SELECT sum(v) FROM read_parquet({file})";
            command.ExecuteScalar();
        }

        command.CommandText = "SELECT CAST(COALESCE(sum(memory_usage_bytes), 0) AS BIGINT) FROM duckdb_memory() WHERE tag = 'EXTERNAL_FILE_CACHE'";
        Assert.Equal(0L, Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Copy_to_parquet_with_return_stats_gives_row_count_size_and_column_statistics()
    {
        using DuckDbConnection connection = Db.Open();
        string file = Path.Combine(_directory, "orders.parquet");
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText =
            $"COPY (SELECT i AS id, CASE WHEN i % 10 = 0 THEN NULL ELSE 'c' || i END AS customer FROM range(1, 101) t(i)) " +
            $"TO {DuckDbConnection.QuoteLiteral(file)} (FORMAT parquet, RETURN_STATS)";
        using DuckDbDataReader reader = command.ExecuteReader();

        Assert.True(reader.Read());
        Assert.Equal(file, reader.GetString(reader.GetOrdinal("filename")));
        Assert.Equal(100L, Convert.ToInt64(reader.GetValue(reader.GetOrdinal("count")), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(new FileInfo(file).Length, Convert.ToInt64(reader.GetValue(reader.GetOrdinal("file_size_bytes")), System.Globalization.CultureInfo.InvariantCulture));
        int statisticsOrdinal = reader.GetOrdinal("column_statistics");
        Assert.Equal("MAP(VARCHAR, MAP(VARCHAR, VARCHAR))", reader.GetDataTypeName(statisticsOrdinal));
        var statistics = Assert.IsType<Dictionary<object, object?>>(reader.GetValue(statisticsOrdinal));
        var id = Assert.IsType<Dictionary<object, object?>>(statistics["\"id\""]);
        Assert.Equal("1", id["min"]);
        Assert.Equal("100", id["max"]);
        Assert.Equal("0", id["null_count"]);
        var customer = Assert.IsType<Dictionary<object, object?>>(statistics["\"customer\""]);
        Assert.Equal("10", customer["null_count"]);
        Assert.Equal("c1", customer["min"]);
        Assert.Equal("c99", customer["max"]);
        Assert.False(reader.Read());
    }

    [Fact]
    public void Parquet_written_by_duckdb_reads_back_every_row()
    {
        using DuckDbConnection connection = Db.Open();
        string file = Path.Combine(_directory, "numbers.parquet");
        connection.Execute($"COPY (SELECT i, i * 1.5 AS x, 'n' || i AS s FROM range(10000) t(i)) TO {DuckDbConnection.QuoteLiteral(file)} (FORMAT parquet)");

        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT i, x, s FROM read_parquet({DuckDbConnection.QuoteLiteral(file)}) ORDER BY i";
        using DuckDbDataReader reader = command.ExecuteReader();
        long rows = 0;
        while (reader.Read())
        {
            Assert.Equal(rows, reader.GetInt64(0));
            Assert.Equal("n" + rows, reader.GetString(2));
            rows++;
        }

        Assert.Equal(10000, rows);
    }

    [Fact]
    public void Copy_to_parquet_without_return_stats_reports_rows_written()
    {
        using DuckDbConnection connection = Db.Open();
        string file = Path.Combine(_directory, "plain.parquet");

        int rows = connection.Execute($"COPY (SELECT * FROM range(42)) TO {DuckDbConnection.QuoteLiteral(file)} (FORMAT parquet)");

        Assert.Equal(42, rows);
        Assert.True(File.Exists(file));
    }
}
