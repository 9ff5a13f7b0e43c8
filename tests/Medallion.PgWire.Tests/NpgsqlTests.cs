using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace Medallion.PgWire.Tests;

/// <summary>The endpoint as Npgsql (current version) sees it: extended protocol, binary results, pooling.</summary>
[Collection(PgWireCollection.Name)]
public sealed class NpgsqlTests(PgWireFixture fixture)
{
    [Fact]
    public void Connects_with_a_scram_password_and_reports_the_server_parameters()
    {
        using NpgsqlConnection connection = fixture.Open("Application Name=tests");
        Assert.Equal("15.0 (Medallion)", connection.ServerVersion);
        Assert.Equal(new Version(15, 0), connection.PostgreSqlVersion);
        Assert.Equal("UTF8", connection.PostgresParameters["server_encoding"]);
        Assert.Equal("ISO, MDY", connection.PostgresParameters["DateStyle"]);
        Assert.Equal("UTC", connection.Timezone);
        Assert.Equal("on", connection.PostgresParameters["integer_datetimes"]);
        Assert.Equal("on", connection.PostgresParameters["standard_conforming_strings"]);
        Assert.Equal("postgres", connection.PostgresParameters["IntervalStyle"]);
        Assert.Equal("tests", connection.PostgresParameters["application_name"]);
        Assert.Equal("off", connection.PostgresParameters["is_superuser"]);
        Assert.True(connection.ProcessID != 0);
    }

    [Theory]
    [InlineData(PgWireFixture.User, "wrong-password")]
    [InlineData("nobody", "wrong-password")]
    public void A_wrong_password_and_an_unknown_user_fail_alike_with_28P01(string user, string password)
    {
        using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={fixture.Port};Username={user};Password={password};Database=medallion;Pooling=false");
        PostgresException error = Assert.Throws<PostgresException>(connection.Open);
        Assert.Equal("28P01", error.SqlState);
        Assert.Equal($"password authentication failed for user \"{user}\"", error.MessageText);
    }

    [Fact]
    public void A_query_returns_rows_of_a_gold_table()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT day, region, revenue, orders FROM gold.daily_revenue ORDER BY day, region", connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(new DateTime(2026, 1, 1), reader.GetDateTime(0));
        Assert.Equal("north", reader.GetString(1));
        Assert.Equal(1234.50m, reader.GetDecimal(2));
        Assert.Equal(10L, reader.GetInt64(3));
        Assert.StartsWith("numeric(18,", reader.GetDataTypeName(2), StringComparison.Ordinal);
        Assert.Equal("date", reader.GetDataTypeName(0));
        int rows = 1;
        while (reader.Read())
        {
            rows++;
        }

        Assert.Equal(3, rows);
    }

    [Fact]
    public void Parameters_bind_in_the_extended_protocol()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT count(*) FROM silver.orders WHERE id <= $1 AND customer LIKE $2 AND placed_at >= $3", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = 100 });
        command.Parameters.Add(new NpgsqlParameter { Value = "customer 1%" });
        command.Parameters.Add(new NpgsqlParameter { Value = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Unspecified), NpgsqlDbType = NpgsqlDbType.Timestamp });
        Assert.Equal(12L, command.ExecuteScalar());
    }

    [Fact]
    public void Named_parameters_and_a_prepared_statement_run_many_times()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT customer, amount FROM silver.orders WHERE id = @id", connection);
        var id = new NpgsqlParameter<int>("id", 0);
        command.Parameters.Add(id);
        command.Prepare();
        for (int i = 1; i <= 10; i++)
        {
            id.TypedValue = i;
            using NpgsqlDataReader reader = command.ExecuteReader();
            Assert.True(reader.Read());
            Assert.Equal("customer " + i, reader.GetString(0));
            Assert.Equal(i * 1.5, reader.GetDouble(1));
            Assert.False(reader.Read());
        }
    }

    [Fact]
    public void Binary_results_decode_every_mapped_type()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("""
            SELECT true, 7::SMALLINT, 8::INTEGER, 9::BIGINT, 1.5::FLOAT, 2.25::DOUBLE, 12345.678::DECIMAL(12,3), 'text'::VARCHAR,
                   DATE '2026-03-04', TIME '05:06:07.25', TIMESTAMP '2026-03-04 05:06:07.123456', TIMESTAMPTZ '2026-03-04 05:06:07+00',
                   INTERVAL '1 year 2 months 3 days 04:05:06', '00112233-4455-6677-8899-aabbccddeeff'::UUID, '\x01\x02'::BLOB,
                   '{"a": 1}'::JSON, [1, 2, NULL]::INTEGER[], ['x', 'y']::VARCHAR[], 42::HUGEINT, 3::TINYINT
            """, connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.True(reader.GetBoolean(0));
        Assert.Equal((short)7, reader.GetInt16(1));
        Assert.Equal(8, reader.GetInt32(2));
        Assert.Equal(9L, reader.GetInt64(3));
        Assert.Equal(1.5f, reader.GetFloat(4));
        Assert.Equal(2.25, reader.GetDouble(5));
        Assert.Equal(12345.678m, reader.GetDecimal(6));
        Assert.Equal("text", reader.GetString(7));
        Assert.Equal(new DateOnly(2026, 3, 4), reader.GetFieldValue<DateOnly>(8));
        Assert.Equal(new TimeOnly(5, 6, 7, 250), reader.GetFieldValue<TimeOnly>(9));
        Assert.Equal(new DateTime(2026, 3, 4, 5, 6, 7).AddTicks(1234560), reader.GetDateTime(10));
        Assert.Equal(new DateTime(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc), reader.GetFieldValue<DateTime>(11));
        Assert.Equal(new NpgsqlInterval(14, 3, ((4 * 3600L) + (5 * 60) + 6) * 1_000_000), reader.GetFieldValue<NpgsqlInterval>(12));
        Assert.Equal(Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), reader.GetGuid(13));
        Assert.Equal([1, 2], reader.GetFieldValue<byte[]>(14));
        Assert.Equal("{\"a\": 1}", reader.GetString(15));
        Assert.Equal([1, 2, null], reader.GetFieldValue<int?[]>(16));
        Assert.Equal(["x", "y"], reader.GetFieldValue<string[]>(17));
        Assert.Equal(42m, reader.GetDecimal(18));
        Assert.Equal((short)3, reader.GetInt16(19));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("-1")]
    [InlineData("0.0001")]
    [InlineData("-12345678901234.5678")]
    [InlineData("10000")]
    [InlineData("99990000")]
    [InlineData("123456789012345678.12")]
    [InlineData("0.00000001")]
    public void Numeric_values_round_trip_in_binary_both_ways(string text)
    {
        decimal value = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT $1::DECIMAL(38,10), CAST(" + text + " AS DECIMAL(38,10))", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Numeric });
        using NpgsqlDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(value, reader.GetDecimal(0));
        Assert.Equal(value, reader.GetDecimal(1));
    }

    [Theory]
    [InlineData("0.00", 12, 2)]
    [InlineData("-0.50", 12, 2)]
    [InlineData("1.50", 12, 2)]
    [InlineData("9999999999.99", 12, 2)]
    [InlineData("-9999999999.99", 12, 2)]
    [InlineData("0.0001", 10, 4)]
    [InlineData("0.000000010", 18, 9)]
    [InlineData("10000", 5, 0)]
    [InlineData("12345678.123000", 18, 6)]
    [InlineData("9999999999999999999999999999", 28, 0)]
    [InlineData("-0.9999999999999999999999999999", 28, 28)]
    [InlineData("123456789012345678.1234567890", 38, 10)]
    public void Decimal_columns_arrive_in_binary_with_their_value_and_scale(string text, int precision, int scale)
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand($"SELECT CAST('{text}' AS DECIMAL({precision},{scale}))", connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(text, reader.GetDecimal(0).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A_result_of_many_chunks_streams_every_value_and_null_in_binary()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("""
            SELECT i, CASE WHEN i % 3 = 0 THEN NULL ELSE (i * 0.01)::DECIMAL(12,2) END, CASE WHEN i % 5 = 0 THEN NULL ELSE DATE '2026-01-01' + i::INTEGER END,
                   CASE WHEN i % 7 = 0 THEN NULL ELSE i % 2 = 0 END, CASE WHEN i % 11 = 0 THEN NULL ELSE TIMESTAMP '2026-01-01 00:00:00.5' + to_seconds(i) END
            FROM range(10000) t(i) ORDER BY i
            """, connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        for (long i = 0; i < 10_000; i++)
        {
            Assert.True(reader.Read());
            Assert.Equal(i, reader.GetInt64(0));
            Assert.Equal(i % 3 == 0, reader.IsDBNull(1));
            if (i % 3 != 0)
            {
                Assert.Equal((i * 0.01m).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), reader.GetDecimal(1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            Assert.Equal<DateOnly?>(i % 5 == 0 ? null : new DateOnly(2026, 1, 1).AddDays((int)i), reader.IsDBNull(2) ? null : reader.GetFieldValue<DateOnly>(2));
            Assert.Equal<bool?>(i % 7 == 0 ? null : i % 2 == 0, reader.IsDBNull(3) ? null : reader.GetBoolean(3));
            Assert.Equal<DateTime?>(i % 11 == 0 ? null : new DateTime(2026, 1, 1, 0, 0, 0, 500).AddSeconds(i), reader.IsDBNull(4) ? null : reader.GetDateTime(4));
        }

        Assert.False(reader.Read());
    }

    [Fact]
    public void Infinite_dates_and_timestamps_arrive_in_binary_as_infinity()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT 'infinity'::DATE, '-infinity'::DATE, 'infinity'::TIMESTAMP, '-infinity'::TIMESTAMP", connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(DateOnly.MaxValue, reader.GetFieldValue<DateOnly>(0));
        Assert.Equal(DateOnly.MinValue, reader.GetFieldValue<DateOnly>(1));
        Assert.Equal(DateTime.MaxValue, reader.GetDateTime(2));
        Assert.Equal(DateTime.MinValue, reader.GetDateTime(3));
    }

    [Fact]
    public void A_batch_returns_one_result_per_statement()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new("SELECT 1"), new("SELECT 'two'"), new("SELECT count(*) FROM gold.daily_revenue") },
        };
        using NpgsqlDataReader reader = batch.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(1, reader.GetInt32(0));
        Assert.True(reader.NextResult());
        Assert.True(reader.Read());
        Assert.Equal("two", reader.GetString(0));
        Assert.True(reader.NextResult());
        Assert.True(reader.Read());
        Assert.Equal(3L, reader.GetInt64(0));
    }

    [Theory]
    [InlineData("SELEC 1", "42601")]
    [InlineData("SELECT * FROM gold.missing_table", "42P01")]
    [InlineData("SELECT missing_column FROM gold.daily_revenue", "42703")]
    [InlineData("SELECT 1 +", "42601")]
    [InlineData("SELECT 'abc'::INTEGER", "22P02")]
    [InlineData("SELECT no_such_function(1)", "42883")]
    public void Errors_carry_their_sqlstate_and_the_session_stays_usable(string sql, string sqlState)
    {
        using NpgsqlConnection connection = fixture.Open();
        using var failing = new NpgsqlCommand(sql, connection);
        PostgresException error = Assert.Throws<PostgresException>(() => failing.ExecuteScalar());
        Assert.Equal(sqlState, error.SqlState);
        using var next = new NpgsqlCommand("SELECT 41 + 1", connection);
        Assert.Equal(42, next.ExecuteScalar());
    }

    [Fact]
    public void An_error_inside_a_transaction_fails_the_block_until_rollback()
    {
        using NpgsqlConnection connection = fixture.Open();
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        using (var failing = new NpgsqlCommand("SELECT * FROM gold.nope", connection, transaction))
        {
            Assert.Equal("42P01", Assert.Throws<PostgresException>(() => failing.ExecuteScalar()).SqlState);
        }

        using (var ignored = new NpgsqlCommand("SELECT 1", connection, transaction))
        {
            Assert.Equal("25P02", Assert.Throws<PostgresException>(() => ignored.ExecuteScalar()).SqlState);
        }

        transaction.Rollback();
        using var after = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, after.ExecuteScalar());
    }

    [Fact]
    public void A_transaction_commits_and_savepoints_roll_back_a_failure()
    {
        using NpgsqlConnection connection = fixture.Open();
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        transaction.Save("before");
        using (var failing = new NpgsqlCommand("SELECT * FROM gold.nope", connection, transaction))
        {
            Assert.Throws<PostgresException>(() => failing.ExecuteScalar());
        }

        transaction.Rollback("before");
        using (var works = new NpgsqlCommand("SELECT count(*) FROM gold.daily_revenue", connection, transaction))
        {
            Assert.Equal(3L, works.ExecuteScalar());
        }

        transaction.Release("before");
        transaction.Commit();
    }

    [Theory]
    [InlineData("INSERT INTO gold.daily_revenue VALUES ('2026-01-03', 'x', 1, 1)", "INSERT")]
    [InlineData("UPDATE gold.daily_revenue SET orders = 0", "UPDATE")]
    [InlineData("DELETE FROM gold.daily_revenue", "DELETE")]
    [InlineData("CREATE TABLE gold.t (a INT)", "CREATE")]
    [InlineData("DROP TABLE gold.daily_revenue", "DROP")]
    [InlineData("COPY gold.daily_revenue TO '/tmp/out.csv'", "COPY")]
    [InlineData("WITH x AS (SELECT 1) DELETE FROM gold.daily_revenue", "DELETE")]
    [InlineData("ATTACH 'other.db'", "ATTACH")]
    public void Statements_that_change_data_are_refused_with_25006(string sql, string keyword)
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(sql, connection);
        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteNonQuery());
        Assert.Equal("25006", error.SqlState);
        Assert.Contains($" {keyword} statement, and this session is read-only", error.MessageText, StringComparison.Ordinal);
        using var count = new NpgsqlCommand("SELECT count(*) FROM gold.daily_revenue", connection);
        Assert.Equal(3L, count.ExecuteScalar());
    }

    [Fact]
    public async Task Cancelling_a_long_query_interrupts_it_with_57014_and_the_session_goes_on()
    {
        await using NpgsqlConnection connection = fixture.Open();
        // Minutes of work, so a cancel that a busy machine delays still finds the query running.
        await using var command = new NpgsqlCommand("SELECT count(*) FROM range(1000000000000)", connection);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        Stopwatch elapsed = Stopwatch.StartNew();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => command.ExecuteScalarAsync(cancel.Token));
        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(20), $"cancel took {elapsed.Elapsed}");
        Assert.Equal("57014", Assert.IsType<PostgresException>(error.InnerException).SqlState);
        await using var next = new NpgsqlCommand("SELECT 2", connection);
        Assert.Equal(2, await next.ExecuteScalarAsync());
    }

    [Fact]
    public void A_statement_timeout_cancels_with_57014()
    {
        using NpgsqlConnection connection = fixture.Open();
        using (var set = new NpgsqlCommand("SET statement_timeout = '1s'", connection))
        {
            set.ExecuteNonQuery();
        }

        // Minutes of work, so a timeout that a busy machine delays still finds the query running.
        using var command = new NpgsqlCommand("SELECT count(*) FROM range(1000000000000)", connection);
        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteScalar());
        Assert.Equal("57014", error.SqlState);
        Assert.Equal("canceling statement due to statement timeout", error.MessageText);
    }

    [Fact]
    public void The_pool_reset_query_restores_the_session_defaults()
    {
        string pooled = fixture.ConnectionString().Replace("Pooling=false", "Pooling=true;Maximum Pool Size=1", StringComparison.Ordinal);
        using (var connection = new NpgsqlConnection(pooled))
        {
            connection.Open();
            using var set = new NpgsqlCommand("SET search_path TO gold; SET TimeZone = 'Europe/Paris'", connection);
            set.ExecuteNonQuery();
            using var check = new NpgsqlCommand("SELECT count(*) FROM daily_revenue", connection);
            Assert.Equal(3L, check.ExecuteScalar());
        }

        using (var connection = new NpgsqlConnection(pooled))
        {
            connection.Open();
            using var show = new NpgsqlCommand("SHOW search_path", connection);
            Assert.Equal("\"$user\", public", show.ExecuteScalar());
            using var zone = new NpgsqlCommand("SHOW TimeZone", connection);
            Assert.Equal("UTC", zone.ExecuteScalar());
            using var unqualified = new NpgsqlCommand("SELECT count(*) FROM daily_revenue", connection);
            Assert.Equal("42P01", Assert.Throws<PostgresException>(() => unqualified.ExecuteScalar()).SqlState);
        }

        NpgsqlConnection.ClearAllPools();
    }

    [Theory]
    [InlineData("SET application_name = 'report'", "SHOW application_name", "report")]
    [InlineData("SET extra_float_digits TO 3", "SHOW extra_float_digits", "3")]
    [InlineData("SET DateStyle = 'ISO, DMY'", "SHOW DateStyle", "ISO, DMY")]
    [InlineData("SET TIME ZONE 'America/New_York'", "SHOW timezone", "America/New_York")]
    [InlineData("SET statement_timeout = '5min'", "SHOW statement_timeout", "300000")]
    [InlineData("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE", "SHOW default_transaction_isolation", "serializable")]
    [InlineData("SET search_path = gold, silver", "SELECT current_setting('search_path')", "gold, silver")]
    [InlineData("SET myapp.mode = 'fast'", "SHOW myapp.mode", "fast")]
    [InlineData("RESET ALL", "SHOW transaction_read_only", "on")]
    public void Session_commands_work_as_in_postgresql(string set, string show, string expected)
    {
        using NpgsqlConnection connection = fixture.Open();
        using (var command = new NpgsqlCommand(set, connection))
        {
            command.ExecuteNonQuery();
        }

        using var read = new NpgsqlCommand(show, connection);
        Assert.Equal(expected, read.ExecuteScalar());
    }

    [Fact]
    public void An_unknown_setting_is_refused_with_42704()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SET threads = 1", connection);
        Assert.Equal("42704", Assert.Throws<PostgresException>(() => command.ExecuteNonQuery()).SqlState);
    }

    [Fact]
    public void A_timestamptz_follows_the_session_time_zone()
    {
        using NpgsqlConnection connection = fixture.Open();
        using (var set = new NpgsqlCommand("SET TimeZone = 'Asia/Kolkata'", connection))
        {
            set.ExecuteNonQuery();
        }

        Assert.Equal("Asia/Kolkata", connection.Timezone);
        using var command = new NpgsqlCommand("SELECT (TIMESTAMPTZ '2026-01-01 00:00:00+00')::VARCHAR, TIMESTAMPTZ '2026-01-01 00:00:00+00'", connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal("2026-01-01 05:30:00+05:30", reader.GetString(0));
        Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), reader.GetDateTime(1));
    }

    [Fact]
    public void Version_and_session_functions_look_like_postgresql()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT version(), current_setting('server_version_num')::int, current_database()", connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.StartsWith("PostgreSQL 15.0 (Medallion)", reader.GetString(0), StringComparison.Ordinal);
        Assert.Equal(150000, reader.GetInt32(1));
        Assert.Equal("medallion", reader.GetString(2));
    }

    [Fact]
    public void A_large_result_streams_completely()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT i, 'row ' || i FROM range(200000) t(i)", connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        long expected = 0;
        while (reader.Read())
        {
            Assert.Equal(expected, reader.GetInt64(0));
            expected++;
        }

        Assert.Equal(200000, expected);
    }
}
