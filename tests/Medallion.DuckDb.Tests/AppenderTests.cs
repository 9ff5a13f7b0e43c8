using System.Text;

namespace Medallion.DuckDb.Tests;

public sealed class AppenderTests
{
    [Fact]
    public void Appender_writes_every_primitive_type_and_reads_back_the_same_values()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute(
            "CREATE TABLE t (b BOOLEAN, i8 TINYINT, i16 SMALLINT, i32 INTEGER, i64 BIGINT, u8 UTINYINT, u16 USMALLINT, u32 UINTEGER, u64 UBIGINT, " +
            "h HUGEINT, f FLOAT, d DOUBLE, m DECIMAL(18,3), w DECIMAL(38,4), s VARCHAR, long_s VARCHAR, j JSON, bl BLOB, dt DATE, tm TIME, ts TIMESTAMP, " +
            "ts_s TIMESTAMP_S, ts_ms TIMESTAMP_MS, ts_ns TIMESTAMP_NS, tz TIMESTAMPTZ, u UUID)");
        var guid = Guid.Parse("6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
        var timestamp = new DateTime(2026, 1, 2, 3, 4, 5, 678);

        using (DuckDbAppender appender = connection.CreateAppender("t"))
        {
            appender.BeginRow()
                .Append(true).Append(-5).Append(-300).Append(-70000).Append(-5_000_000_000L).Append(200).Append(60000).Append(4_000_000_000L).Append(long.MaxValue)
                .Append(long.MinValue).Append(1.5).Append(-2.25).Append(1234.5678m).Append(-0.0001m).Append("short").Append("a string longer than twelve bytes ✓")
                .Append("{\"a\":1}").Append(new byte[] { 1, 0, 255 }).Append(new DateOnly(2026, 1, 2)).Append(new TimeOnly(3, 4, 5)).Append(timestamp)
                .Append(timestamp).Append(timestamp).Append(timestamp).Append(new DateTimeOffset(timestamp, TimeSpan.FromHours(1))).Append(guid)
                .EndRow();
        }

        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT * FROM t");
        Assert.Equal(
            new object[]
            {
                true, (sbyte)-5, (short)-300, -70000, -5_000_000_000L, (byte)200, (ushort)60000, 4_000_000_000u, (ulong)long.MaxValue,
                (Int128)long.MinValue, 1.5f, -2.25, 1234.568m, -0.0001m, "short", "a string longer than twelve bytes ✓",
                "{\"a\":1}", new byte[] { 1, 0, 255 }, new DateOnly(2026, 1, 2), new TimeOnly(3, 4, 5), timestamp,
                new DateTime(2026, 1, 2, 3, 4, 5), timestamp, timestamp, timestamp.AddHours(-1), guid,
            },
            Enumerable.Range(0, reader.FieldCount).Select(reader.GetValue).ToArray());
    }

    [Fact]
    public void Appender_writes_nulls_in_every_column()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (i INTEGER, s VARCHAR, d DOUBLE, b BLOB)");

        using (DuckDbAppender appender = connection.CreateAppender("t"))
        {
            appender.AppendRow(null, null, DBNull.Value, null);
            appender.BeginRow().Append(1).Append((string?)null).AppendNull().Append((byte[]?)null).EndRow();
            appender.AppendRow(2, "x", 2.5, new byte[] { 7 });
        }

        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM t WHERE i IS NULL AND s IS NULL AND d IS NULL AND b IS NULL"));
        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM t WHERE i = 1 AND s IS NULL AND d IS NULL AND b IS NULL"));
        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM t WHERE i = 2 AND s = 'x' AND d = 2.5 AND b = '\\x07'::BLOB"));
    }

    [Fact]
    public void Appender_rows_crossing_many_chunk_flushes_all_arrive_with_their_nulls()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (i BIGINT, s VARCHAR, d DOUBLE)");
        const int Rows = 10_000;

        using (DuckDbAppender appender = connection.CreateAppender("t"))
        {
            for (int i = 0; i < Rows; i++)
            {
                appender.BeginRow().Append((long)i);
                if (i % 3 == 0)
                {
                    appender.AppendNull();
                }
                else
                {
                    appender.Append("value " + i);
                }

                appender.Append(i * 0.5).EndRow();
            }
        }

        Assert.Equal((long)Rows, connection.Scalar("SELECT count(*) FROM t"));
        Assert.Equal(49_995_000L, connection.Scalar("SELECT sum(i)::BIGINT FROM t"));
        Assert.Equal(3334L, connection.Scalar("SELECT count(*) FROM t WHERE s IS NULL"));
        Assert.Equal(0L, connection.Scalar("SELECT count(*) FROM t WHERE (i % 3 = 0) <> (s IS NULL) OR (s IS NOT NULL AND s <> 'value ' || i)"));
    }

    [Fact]
    public void Appender_long_strings_and_blobs_over_many_chunks_arrive_byte_for_byte()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (i BIGINT, s VARCHAR, b BLOB)");
        const int Rows = 10_000;

        using (DuckDbAppender appender = connection.CreateAppender("t"))
        {
            for (int i = 0; i < Rows; i++)
            {
                // Lengths from 13 bytes to several kilobytes, some multi-byte, so chunks fill their string arena unevenly.
                string text = $"são paulo {i} " + new string('x', i % 7 == 0 ? 5000 : i % 40);
                appender.BeginRow().Append((long)i).Append(text).Append(Encoding.UTF8.GetBytes("blob-" + text)).EndRow();
            }
        }

        Assert.Equal((long)Rows, connection.Scalar("SELECT count(*) FROM t"));
        Assert.Equal(0L, connection.Scalar(
            "SELECT count(*) FROM t WHERE s <> 'são paulo ' || i || ' ' || repeat('x', CASE WHEN i % 7 = 0 THEN 5000 ELSE (i % 40)::INTEGER END) OR b <> encode('blob-' || s)"));
    }

    [Fact]
    public void Appender_into_a_schema_qualified_table()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE SCHEMA bronze; CREATE TABLE bronze.orders (id INTEGER)");

        using (DuckDbAppender appender = connection.CreateAppender("bronze", "orders"))
        {
            appender.AppendRow(1);
        }

        Assert.Equal(1, connection.Scalar("SELECT id FROM bronze.orders"));
    }

    [Fact]
    public void Appending_a_string_to_an_integer_column_names_the_column_and_both_types()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (id INTEGER, amount INTEGER)");
        using DuckDbAppender appender = connection.CreateAppender("t");

        var error = Assert.Throws<InvalidCastException>(() => appender.BeginRow().Append(1).Append("ten"));

        Assert.Equal("Column 2 'amount' of 't' is INTEGER; a string cannot be appended to it. The row was dropped.", error.Message);
    }

    [Fact]
    public void A_row_abandoned_after_a_type_mismatch_leaves_no_trace()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (s VARCHAR, i INTEGER)");

        using (DuckDbAppender appender = connection.CreateAppender("t"))
        {
            Assert.Throws<InvalidCastException>(() => appender.BeginRow().AppendNull().Append(true));
            appender.BeginRow().Append("kept").Append(1).EndRow();
        }

        Assert.Equal("kept", connection.Scalar("SELECT s FROM t"));
        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void A_value_too_large_for_its_column_is_reported_with_the_column()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (small TINYINT)");
        using DuckDbAppender appender = connection.CreateAppender("t");

        var error = Assert.Throws<DuckDbException>(() => appender.BeginRow().Append(300));

        Assert.Equal("The value 300 does not fit column 1 'small' (TINYINT) of 't'. The row was dropped.", error.Message);
        Assert.Equal(ErrorCode.DuckDbAppendFailed, error.Code);
    }

    [Fact]
    public void A_row_with_too_few_values_is_refused_and_dropped()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (a INTEGER, b INTEGER, c INTEGER)");

        using (DuckDbAppender appender = connection.CreateAppender("t"))
        {
            var error = Assert.Throws<InvalidOperationException>(() => appender.BeginRow().AppendNull().Append(2).EndRow());
            Assert.Equal("A row of 't' got 2 values, but the table has 3 columns. The row was dropped.", error.Message);
            appender.AppendRow(1, 2, 3);
        }

        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM t WHERE a = 1 AND b = 2 AND c = 3"));
        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void A_row_with_too_many_values_is_refused()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (a INTEGER)");
        using DuckDbAppender appender = connection.CreateAppender("t");

        var error = Assert.Throws<InvalidOperationException>(() => appender.AppendRow(1, 2));

        Assert.Equal("Too many values for a row of 't': it has 1 columns. The row was dropped.", error.Message);
    }

    [Fact]
    public void Appending_without_begin_row_says_what_to_do()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (a INTEGER)");
        using DuckDbAppender appender = connection.CreateAppender("t");

        var error = Assert.Throws<InvalidOperationException>(() => appender.Append(1));

        Assert.Equal("No row of 't' is open. Call BeginRow() first.", error.Message);
    }

    [Fact]
    public void An_appender_for_a_missing_table_names_it()
    {
        using DuckDbConnection connection = Db.Open();

        var error = Assert.Throws<DuckDbException>(() => connection.CreateAppender("missing"));

        Assert.Equal("Could not create an appender for table 'missing': Table \".main.missing\" could not be found. Help: create the table first, or check its schema and name.", error.Message);
        Assert.Equal(ErrorCode.DuckDbAppendFailed, error.Code);
    }

    [Fact]
    public void A_constraint_violation_surfaces_on_close()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (id INTEGER NOT NULL)");
        DuckDbAppender appender = connection.CreateAppender("t");
        appender.AppendRow([null]);

        var error = Assert.Throws<DuckDbException>(appender.Close);

        Assert.Equal("Appending to 't' failed while closing: Failed to append: NOT NULL constraint failed: t.id", error.Message);
        appender.Dispose();
        Assert.Equal(0L, connection.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void Appending_after_close_is_refused()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (a INTEGER)");
        DuckDbAppender appender = connection.CreateAppender("t");
        appender.Close();

        Assert.Throws<ObjectDisposedException>(() => appender.BeginRow());
    }

    [Fact]
    public void Appender_inside_a_rolled_back_transaction_leaves_the_table_empty()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (a INTEGER)");

        using (DuckDbTransaction transaction = connection.BeginTransaction())
        {
            using (DuckDbAppender appender = connection.CreateAppender("t"))
            {
                for (int i = 0; i < 5000; i++)
                {
                    appender.BeginRow().Append(i).EndRow();
                }
            }

            transaction.Rollback();
        }

        Assert.Equal(0L, connection.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void Appender_writes_into_a_table_of_an_attached_database()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("ATTACH ':memory:' AS side; CREATE TABLE side.main.t (id INTEGER, name VARCHAR)");

        using (DuckDbAppender appender = connection.CreateAppender("side", "main", "t"))
        {
            appender.BeginRow().Append(7).Append("seven").EndRow();
        }

        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT id, name FROM side.main.t");
        Assert.Equal((7, "seven"), (reader.GetInt32(0), reader.GetString(1)));
    }

    [Fact]
    public void A_sibling_connection_shares_the_in_memory_database_but_not_its_temporary_tables()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE shared (id INTEGER); INSERT INTO shared VALUES (1); CREATE TEMP TABLE private (id INTEGER)");

        using DuckDbConnection sibling = connection.OpenSibling();

        using DuckDbDataReader reader = sibling.ReadFirstRow("SELECT (SELECT count(*) FROM shared), (SELECT count(*) FROM duckdb_tables() WHERE table_name = 'private')");
        Assert.Equal((1L, 0L), (reader.GetInt64(0), reader.GetInt64(1)));
    }

    [Fact]
    public void Appender_writes_utf8_bytes_as_text_byte_for_byte()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (s VARCHAR)");
        string[] values = ["", "short ✓", "a string well past the twelve inline bytes: São Paulo, Curitiba ✓"];

        using (DuckDbAppender appender = connection.CreateAppender("t"))
        {
            foreach (string value in values)
            {
                appender.BeginRow().AppendUtf8(Encoding.UTF8.GetBytes(value)).EndRow();
            }
        }

        Assert.Equal(string.Join('|', values), connection.Scalar("SELECT string_agg(s, '|' ORDER BY length(s)) FROM t"));
    }

    [Fact]
    public void Appender_refuses_bytes_that_are_not_utf8_naming_the_column_and_drops_the_row()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (id INTEGER, name VARCHAR)");

        using (DuckDbAppender appender = connection.CreateAppender("t"))
        {
            var error = Assert.Throws<DuckDbException>(() => appender.BeginRow().Append(1).AppendUtf8([0x41, 0xC3, 0x28]));
            Assert.Contains("'name'", error.Message, StringComparison.Ordinal);
            Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
            appender.AppendRow(2, "ok");
        }

        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM t"));
    }
}
