using System.Numerics;

namespace Medallion.DuckDb.Tests;

/// <summary>Every DuckDB type is read with its .NET type, its text form, and as NULL.</summary>
public sealed class TypeReadingTests
{
    [Theory]
    [InlineData("BOOLEAN", "true")]
    [InlineData("TINYINT", "-128")]
    [InlineData("SMALLINT", "-32768")]
    [InlineData("INTEGER", "-2147483648")]
    [InlineData("BIGINT", "-9223372036854775808")]
    [InlineData("HUGEINT", "-170141183460469231731687303715884105728")]
    [InlineData("UHUGEINT", "340282366920938463463374607431768211455")]
    [InlineData("UTINYINT", "255")]
    [InlineData("USMALLINT", "65535")]
    [InlineData("UINTEGER", "4294967295")]
    [InlineData("UBIGINT", "18446744073709551615")]
    [InlineData("FLOAT", "1.5")]
    [InlineData("DOUBLE", "-2.25")]
    [InlineData("DECIMAL(4,1)", "-123.4")]
    [InlineData("DECIMAL(9,3)", "123456.789")]
    [InlineData("DECIMAL(18,6)", "-123456789012.345678")]
    [InlineData("DECIMAL(38,10)", "1234567890123456789012345678.0123456789")]
    [InlineData("VARCHAR", "short")]
    [InlineData("DATE", "2026-01-02")]
    [InlineData("TIME", "03:04:05.123456")]
    [InlineData("TIMESTAMP", "2026-01-02T03:04:05.123456")]
    [InlineData("TIMESTAMP_S", "2026-01-02T03:04:05")]
    [InlineData("TIMESTAMP_MS", "2026-01-02T03:04:05.123")]
    [InlineData("TIMESTAMP_NS", "2026-01-02T03:04:05.123456789")]
    [InlineData("UUID", "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")]
    public void Get_string_gives_the_exact_text_of_every_scalar_type(string type, string text)
    {
        string literal = type.StartsWith("TIMESTAMP", StringComparison.Ordinal) ? text.Replace('T', ' ') : text;
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow($"SELECT '{literal}'::{type} AS v");

        Assert.Equal(text, reader.GetString(0));
    }

    [Theory]
    [InlineData("BOOLEAN", typeof(bool))]
    [InlineData("TINYINT", typeof(sbyte))]
    [InlineData("SMALLINT", typeof(short))]
    [InlineData("INTEGER", typeof(int))]
    [InlineData("BIGINT", typeof(long))]
    [InlineData("HUGEINT", typeof(Int128))]
    [InlineData("UHUGEINT", typeof(UInt128))]
    [InlineData("UTINYINT", typeof(byte))]
    [InlineData("USMALLINT", typeof(ushort))]
    [InlineData("UINTEGER", typeof(uint))]
    [InlineData("UBIGINT", typeof(ulong))]
    [InlineData("FLOAT", typeof(float))]
    [InlineData("DOUBLE", typeof(double))]
    [InlineData("DECIMAL(4,1)", typeof(decimal))]
    [InlineData("DECIMAL(38,10)", typeof(decimal))]
    [InlineData("VARCHAR", typeof(string))]
    [InlineData("BLOB", typeof(byte[]))]
    [InlineData("DATE", typeof(DateOnly))]
    [InlineData("TIME", typeof(TimeOnly))]
    [InlineData("TIMESTAMP", typeof(DateTime))]
    [InlineData("TIMESTAMP_S", typeof(DateTime))]
    [InlineData("TIMESTAMP_MS", typeof(DateTime))]
    [InlineData("TIMESTAMP_NS", typeof(DateTime))]
    [InlineData("TIMESTAMPTZ", typeof(DateTime))]
    [InlineData("INTERVAL", typeof(DuckDbInterval))]
    [InlineData("UUID", typeof(Guid))]
    [InlineData("JSON", typeof(string))]
    [InlineData("INTEGER[]", typeof(List<object?>))]
    [InlineData("INTEGER[2]", typeof(List<object?>))]
    [InlineData("STRUCT(a INTEGER)", typeof(Dictionary<string, object?>))]
    [InlineData("MAP(VARCHAR, INTEGER)", typeof(Dictionary<object, object?>))]
    public void Null_of_every_type_reads_as_db_null_with_the_column_field_type(string type, Type fieldType)
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow($"SELECT NULL::{type} AS v");

        Assert.True(reader.IsDBNull(0));
        Assert.Equal(DBNull.Value, reader.GetValue(0));
        Assert.Equal(fieldType, reader.GetFieldType(0));
    }

    [Fact]
    public void Boolean_reads_true_and_false()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT true, false");

        Assert.True(reader.GetBoolean(0));
        Assert.False(reader.GetBoolean(1));
        Assert.Equal(true, reader.GetValue(0));
    }

    [Fact]
    public void Signed_integers_read_at_their_limits_with_typed_getters()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow(
            "SELECT (-128)::TINYINT, (-32768)::SMALLINT, (-2147483648)::INTEGER, (-9223372036854775808)::BIGINT, 127::TINYINT");

        Assert.Equal((sbyte)-128, reader.GetFieldValue<sbyte>(0));
        Assert.Equal((short)-32768, reader.GetInt16(1));
        Assert.Equal(int.MinValue, reader.GetInt32(2));
        Assert.Equal(long.MinValue, reader.GetInt64(3));
        Assert.Equal((sbyte)127, reader.GetValue(4));
        Assert.Equal(127L, reader.GetInt64(4));
    }

    [Fact]
    public void Unsigned_integers_read_at_their_limits()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow(
            "SELECT 255::UTINYINT, 65535::USMALLINT, 4294967295::UINTEGER, 18446744073709551615::UBIGINT");

        Assert.Equal((byte)255, reader.GetByte(0));
        Assert.Equal((ushort)65535, reader.GetFieldValue<ushort>(1));
        Assert.Equal(4294967295u, reader.GetFieldValue<uint>(2));
        Assert.Equal(ulong.MaxValue, reader.GetValue(3));
    }

    [Fact]
    public void Unsigned_bigint_beyond_int64_gives_an_out_of_range_error_from_get_int64()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT 18446744073709551615::UBIGINT AS big");

        var error = Assert.Throws<DuckDbException>(() => reader.GetInt64(0));

        Assert.Equal(
            "The value 18446744073709551615 in column 'big' (UBIGINT) does not fit in Int64. Help: read it with GetString(), or cast it in SQL (e.g. to VARCHAR or DOUBLE).",
            error.Message);
        Assert.Equal(ErrorCode.DuckDbValueOutOfRange, error.Code);
    }

    [Fact]
    public void Hugeint_and_uhugeint_read_as_int128_and_uint128()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow(
            "SELECT (-170141183460469231731687303715884105728)::HUGEINT, 340282366920938463463374607431768211455::UHUGEINT, 12345678901234567890123::HUGEINT");

        Assert.Equal(Int128.MinValue, reader.GetFieldValue<Int128>(0));
        Assert.Equal(UInt128.MaxValue, reader.GetValue(1));
        Assert.Equal(Int128.Parse("12345678901234567890123", System.Globalization.CultureInfo.InvariantCulture), reader.GetValue(2));
    }

    [Fact]
    public void Sum_of_bigint_is_a_hugeint_readable_as_int64_when_it_fits()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT sum(i) FROM range(10) t(i)");

        Assert.Equal("HUGEINT", reader.GetDataTypeName(0));
        Assert.Equal(45L, reader.GetInt64(0));
    }

    [Fact]
    public void Float_and_double_read_exactly()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT 1.5::FLOAT, 0.1::DOUBLE, 'NaN'::DOUBLE, 'inf'::FLOAT");

        Assert.Equal(1.5f, reader.GetFloat(0));
        Assert.Equal(1.5, reader.GetDouble(0));
        Assert.Equal(0.1, reader.GetDouble(1));
        Assert.Equal("0.1", reader.GetString(1));
        Assert.True(double.IsNaN(reader.GetDouble(2)));
        Assert.Equal(float.PositiveInfinity, reader.GetValue(3));
    }

    [Theory]
    [InlineData("DECIMAL(4,1)", "-123.4", "SMALLINT")]
    [InlineData("DECIMAL(9,3)", "123456.789", "INTEGER")]
    [InlineData("DECIMAL(18,6)", "-123456789012.345678", "BIGINT")]
    [InlineData("DECIMAL(38,10)", "1234567890123456.0123456789", "HUGEINT")]
    public void Decimal_of_every_storage_width_reads_as_system_decimal(string type, string text, string storage)
    {
        _ = storage;
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow($"SELECT '{text}'::{type}");

        Assert.Equal(decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture), reader.GetDecimal(0));
        Assert.Equal(decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture), reader.GetValue(0));
        Assert.Equal(type, reader.GetDataTypeName(0));
    }

    [Fact]
    public void Decimal_beyond_system_decimal_gives_the_documented_error_while_get_string_is_exact()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT '-99999999999999999999999999999999999999'::DECIMAL(38,0) AS huge");

        var error = Assert.Throws<DuckDbException>(() => reader.GetDecimal(0));

        Assert.Equal(
            "The value -99999999999999999999999999999999999999 in column 'huge' (DECIMAL(38,0)) does not fit in Decimal. Help: read it with GetString(), or cast it in SQL (e.g. to VARCHAR or DOUBLE).",
            error.Message);
        Assert.Equal(DuckDbErrorType.OutOfRange, error.ErrorType);
        Assert.Equal("-99999999999999999999999999999999999999", reader.GetString(0));
        Assert.Throws<DuckDbException>(() => reader.GetValue(0));
    }

    [Fact]
    public void Decimal_with_scale_beyond_28_gives_the_documented_error_while_get_string_is_exact()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT '0.123456789012345678901234567890123456'::DECIMAL(38,36) AS tiny");

        Assert.Throws<DuckDbException>(() => reader.GetDecimal(0));
        Assert.Equal("0.123456789012345678901234567890123456", reader.GetString(0));
    }

    [Fact]
    public void Small_decimals_keep_leading_zeros_and_sign_in_text()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT '-0.05'::DECIMAL(9,3), '0.5'::DECIMAL(4,1)");

        Assert.Equal("-0.050", reader.GetString(0));
        Assert.Equal(-0.05m, reader.GetDecimal(0));
        Assert.Equal("0.5", reader.GetString(1));
    }

    [Theory]
    [InlineData("")]
    [InlineData("exactly12byt")]
    [InlineData("thirteen byte")]
    [InlineData("a string that is much longer than the twelve bytes DuckDB keeps inline")]
    [InlineData("ünïcödé ✓ 日本語 🦆")]
    [InlineData("🦆🦆🦆")]
    public void Varchar_reads_inline_long_and_unicode_strings(string text)
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT $1::VARCHAR AS s";
        command.Parameters.Add(text);
        using DuckDbDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());

        Assert.Equal(text, reader.GetString(0));
        Assert.Equal(text, reader.GetValue(0));
        Assert.Equal(text, reader.GetFieldValue<string>(0));
    }

    [Fact]
    public void Varchar_column_mixing_inline_and_long_strings_reads_every_row()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT repeat('x', i::INTEGER) FROM range(40) t(i) ORDER BY i";
        using DuckDbDataReader reader = command.ExecuteReader();

        int row = 0;
        while (reader.Read())
        {
            Assert.Equal(new string('x', row), reader.GetString(0));
            row++;
        }

        Assert.Equal(40, row);
    }

    [Fact]
    public void Blob_reads_as_bytes_and_as_duckdb_text()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT '\\xAA\\x00AB'::BLOB AS b");

        Assert.Equal(new byte[] { 0xAA, 0x00, 0x41, 0x42 }, (byte[])reader.GetValue(0));
        Assert.Equal("\\xAA\\x00AB", reader.GetString(0));
        Assert.Equal(4, reader.GetBytes(0, 0, null, 0, 0));
        byte[] buffer = new byte[2];
        Assert.Equal(2, reader.GetBytes(0, 2, buffer, 0, 2));
        Assert.Equal(new byte[] { 0x41, 0x42 }, buffer);
    }

    [Fact]
    public void Date_reads_as_date_only_and_date_time()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT DATE '2026-01-02', DATE '1901-12-31', 'infinity'::DATE");

        Assert.Equal(new DateOnly(2026, 1, 2), reader.GetValue(0));
        Assert.Equal(new DateTime(2026, 1, 2), reader.GetDateTime(0));
        Assert.Equal(new DateOnly(1901, 12, 31), reader.GetFieldValue<DateOnly>(1));
        Assert.Equal("infinity", reader.GetString(2));
    }

    [Fact]
    public void Dates_beyond_date_only_read_as_the_text_duckdb_prints_for_them()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow(
            "SELECT a, b, c, d, a::VARCHAR, b::VARCHAR, c::VARCHAR FROM (SELECT DATE '20000-02-29', DATE '5881580-07-10', DATE '0044-03-15 (BC)', TIMESTAMP '20000-01-01 01:02:03.5') t(a, b, c, d)");

        Assert.Equal(["20000-02-29", "5881580-07-10", "0044-03-15 (BC)"], new[] { reader.GetString(0), reader.GetString(1), reader.GetString(2) });
        Assert.Equal(new[] { reader.GetString(4), reader.GetString(5), reader.GetString(6) }, new[] { reader.GetString(0), reader.GetString(1), reader.GetString(2) });
        Assert.Equal("20000-01-01T01:02:03.5", reader.GetString(3));
    }

    [Fact]
    public void Time_reads_as_time_only_with_microseconds()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT TIME '03:04:05.123456', TIME '23:59:59'");

        Assert.Equal(new TimeOnly(3, 4, 5).Add(TimeSpan.FromTicks(1_234_560)), reader.GetValue(0));
        Assert.Equal("23:59:59", reader.GetString(1));
    }

    [Theory]
    [InlineData("TIMESTAMP_S", 0)]
    [InlineData("TIMESTAMP_MS", 1_230_000)]
    [InlineData("TIMESTAMP", 1_234_560)]
    [InlineData("TIMESTAMP_NS", 1_234_567)]
    public void Timestamps_of_every_unit_read_as_date_time_truncated_to_the_unit(string type, long fractionTicks)
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow($"SELECT '2026-01-02 03:04:05.123456789'::{type}");

        var expected = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Unspecified).AddTicks(fractionTicks);
        DateTime actual = reader.GetDateTime(0);
        Assert.Equal(expected, actual);
        Assert.Equal(DateTimeKind.Unspecified, actual.Kind);
        Assert.Equal(type, reader.GetDataTypeName(0));
    }

    [Fact]
    public void Timestamp_before_the_epoch_reads_correctly()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT TIMESTAMP '1969-12-31 23:59:59.5'");

        Assert.Equal(new DateTime(1969, 12, 31, 23, 59, 59, 500), reader.GetDateTime(0));
        Assert.Equal("1969-12-31T23:59:59.5", reader.GetString(0));
    }

    [Fact]
    public void Timestamptz_reads_as_utc_date_time_and_iso_text_with_z()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("SET TimeZone = 'UTC'");
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT TIMESTAMPTZ '2026-01-02 03:04:05.5+02:00'");

        DateTime value = reader.GetDateTime(0);
        Assert.Equal(new DateTime(2026, 1, 2, 1, 4, 5, 500, DateTimeKind.Utc), value);
        Assert.Equal(DateTimeKind.Utc, value.Kind);
        Assert.Equal("2026-01-02T01:04:05.5Z", reader.GetString(0));
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 1, 4, 5, 500, TimeSpan.Zero), reader.GetFieldValue<DateTimeOffset>(0));
    }

    [Fact]
    public void Infinite_timestamp_reads_as_text_and_fails_as_date_time()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT 'infinity'::TIMESTAMP AS t");

        Assert.Equal("infinity", reader.GetString(0));
        Assert.Throws<DuckDbException>(() => reader.GetDateTime(0));
    }

    [Fact]
    public void Interval_keeps_months_days_and_microseconds_apart()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT INTERVAL '1 year 2 months 3 days 04:05:06.789'");

        Assert.Equal(new DuckDbInterval(14, 3, 14_706_789_000), reader.GetValue(0));
        Assert.Equal("1 year 2 mons 3 days 04:05:06.789", reader.GetString(0));
        Assert.Equal(TimeSpan.FromDays(423) + new TimeSpan(0, 4, 5, 6, 789), reader.GetFieldValue<TimeSpan>(0));
    }

    [Fact]
    public void Uuid_reads_as_guid_in_its_canonical_form()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow(
            "SELECT '6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'::UUID, '00000000-0000-0000-0000-000000000001'::UUID, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID");

        Assert.Equal(Guid.Parse("6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"), reader.GetGuid(0));
        Assert.Equal(Guid.Parse("00000000-0000-0000-0000-000000000001"), reader.GetValue(1));
        Assert.Equal("ffffffff-ffff-ffff-ffff-ffffffffffff", reader.GetString(2));
    }

    [Fact]
    public void Enum_reads_as_its_label()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT 'happy'::mood, NULL::mood");

        Assert.Equal("happy", reader.GetValue(0));
        Assert.Equal("happy", reader.GetString(0));
        Assert.Equal("ENUM('sad', 'ok', 'happy')", reader.GetDataTypeName(0));
        Assert.True(reader.IsDBNull(1));
    }

    [Fact]
    public void Enum_with_more_than_256_labels_reads_from_wider_storage()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TYPE many AS ENUM (SELECT 'v' || i FROM range(300) t(i) ORDER BY i)");
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT 'v299'::many");

        Assert.Equal("v299", reader.GetString(0));
    }

    [Fact]
    public void List_reads_as_a_list_with_null_elements()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT [1, NULL, 3], ['a', 'long string beyond twelve'], []::INTEGER[]");

        Assert.Equal(new List<object?> { 1, null, 3 }, reader.GetValue(0));
        Assert.Equal(new List<object?> { "a", "long string beyond twelve" }, reader.GetValue(1));
        Assert.Equal(new List<object?>(), reader.GetValue(2));
        Assert.Equal("[1, NULL, 3]", reader.GetString(0));
        Assert.Equal("['a', 'long string beyond twelve']", reader.GetString(1));
        Assert.Equal("INTEGER[]", reader.GetDataTypeName(0));
    }

    [Fact]
    public void List_rows_read_their_own_elements_across_a_result()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT list_value(i, i + 1) FROM range(5000) t(i) ORDER BY i";
        using DuckDbDataReader reader = command.ExecuteReader();

        long row = 0;
        while (reader.Read())
        {
            Assert.Equal(new List<object?> { row, row + 1 }, reader.GetValue(0));
            row++;
        }

        Assert.Equal(5000, row);
    }

    [Fact]
    public void A_list_of_integers_reads_as_a_long_array()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT [3, -1, 9223372036854775807], [1, 2]::INTEGER[], []::BIGINT[]");

        Assert.Equal([3L, -1L, long.MaxValue], reader.GetFieldValue<long[]>(0));
        Assert.Equal([1L, 2L], reader.GetFieldValue<long[]>(1));
        Assert.Empty(reader.GetFieldValue<long[]>(2));
    }

    [Fact]
    public void A_list_with_a_null_element_read_as_a_long_array_names_its_position()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT [1, NULL] AS ids");

        InvalidCastException error = Assert.Throws<InvalidCastException>(() => reader.GetFieldValue<long[]>(0));

        Assert.Equal("Column 'ids' holds a list with a NULL at position 2, which cannot be read as Int64[].", error.Message);
    }

    [Fact]
    public void Array_reads_as_a_fixed_size_list()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT [1.5, NULL, 3]::DOUBLE[3] FROM range(3)");

        Assert.Equal(new List<object?> { 1.5, null, 3.0 }, reader.GetValue(0));
        Assert.Equal("DOUBLE[3]", reader.GetDataTypeName(0));
        Assert.True(reader.Read());
        Assert.Equal("[1.5, NULL, 3]", reader.GetString(0));
    }

    [Fact]
    public void Struct_reads_as_a_dictionary_of_fields_with_nulls()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT {'id': 7, 'name': 'duck', 'tags': ['a'], 'gone': NULL::VARCHAR} AS s");

        var value = Assert.IsType<Dictionary<string, object?>>(reader.GetValue(0));
        Assert.Equal(7, value["id"]);
        Assert.Equal("duck", value["name"]);
        Assert.Equal(new List<object?> { "a" }, value["tags"]);
        Assert.Null(value["gone"]);
        Assert.Equal("{'id': 7, 'name': 'duck', 'tags': ['a'], 'gone': NULL}", reader.GetString(0));
        Assert.Equal("STRUCT(\"id\" INTEGER, \"name\" VARCHAR, \"tags\" VARCHAR[], \"gone\" VARCHAR)", reader.GetDataTypeName(0));
    }

    [Fact]
    public void Map_reads_as_a_dictionary_of_keys_to_values()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT MAP {'a': 1, 'b': NULL}, MAP {1: 'x'}");

        var map = Assert.IsType<Dictionary<object, object?>>(reader.GetValue(0));
        Assert.Equal(2, map.Count);
        Assert.Equal(1, map["a"]);
        Assert.Null(map["b"]);
        Assert.Equal("x", ((Dictionary<object, object?>)reader.GetValue(1))[1]);
        Assert.Equal("{'a'=1, 'b'=NULL}", reader.GetString(0));
        Assert.Equal("MAP(VARCHAR, INTEGER)", reader.GetDataTypeName(0));
    }

    [Fact]
    public void Json_column_is_named_json_and_reads_as_text()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT '{\"a\": [1, 2]}'::JSON AS j, to_json({'x': 1}) AS k");

        Assert.Equal("JSON", reader.GetDataTypeName(0));
        Assert.Equal("{\"a\": [1, 2]}", reader.GetString(0));
        Assert.Equal("{\"x\":1}", reader.GetValue(1));
        Assert.Equal(typeof(string), reader.GetFieldType(1));
    }

    [Fact]
    public void Reading_a_string_as_a_number_names_the_column_and_both_types()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT 'x' AS name");

        var error = Assert.Throws<InvalidCastException>(() => reader.GetInt64(0));

        Assert.Equal("Column 'name' has type VARCHAR, which cannot be read as Int64.", error.Message);
    }

    [Fact]
    public void Get_field_value_of_a_null_value_type_explains_what_to_do()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT NULL::INTEGER AS n");

        var error = Assert.Throws<InvalidCastException>(() => reader.GetFieldValue<int>(0));

        Assert.Equal("Column 'n' is NULL in this row and cannot be read as Int32. Help: check IsDBNull first, or read it as a nullable type.", error.Message);
        Assert.Null(reader.GetFieldValue<string?>(0));
    }

    [Theory]
    [InlineData("INTEGER", "Int64")]
    [InlineData("BIGINT", "Int64")]
    [InlineData("VARCHAR", "String")]
    [InlineData("DOUBLE", "Double")]
    [InlineData("DECIMAL(18,2)", "Decimal")]
    public void Typed_getters_on_a_null_value_throw_and_name_the_column(string type, string target)
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow($"SELECT NULL::{type} AS n");

        var error = Assert.Throws<InvalidCastException>(() => target switch
        {
            "Int64" => reader.GetInt64(0),
            "String" => reader.GetString(0),
            "Double" => reader.GetDouble(0),
            _ => (object)reader.GetDecimal(0),
        });

        Assert.Equal($"Column 'n' is NULL in this row and cannot be read as {target}. Help: check IsDBNull first, or read it as a nullable type.", error.Message);
    }

    [Fact]
    public void Typed_getters_convert_between_numeric_widths()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT 7::INTEGER, 8::BIGINT, 2.5::DOUBLE, 1.25::DECIMAL(9,2), 3::SMALLINT");

        Assert.Equal(7L, reader.GetInt64(0));
        Assert.Equal(8, reader.GetInt32(1));
        Assert.Equal(2.5f, reader.GetFloat(2));
        Assert.Equal(1.25, reader.GetDouble(3));
        Assert.Equal((short)3, reader.GetInt16(4));
        Assert.Equal(3.0, reader.GetDouble(4));
    }

    [Fact]
    public void Columns_are_found_by_name_exactly_then_ignoring_case()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT 1 AS a, 2 AS \"A\", 3 AS b");

        Assert.Equal(1, reader.GetOrdinal("A"));
        Assert.Equal(2, reader.GetOrdinal("B"));
        Assert.Equal(3, reader["b"]);
        var error = Assert.Throws<IndexOutOfRangeException>(() => reader.GetOrdinal("c"));
        Assert.Equal("The result has no column named 'c'.", error.Message);
    }

    [Fact]
    public void Reading_before_read_is_called_says_what_to_do()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        using DuckDbDataReader reader = command.ExecuteReader();

        var error = Assert.Throws<InvalidOperationException>(() => reader.GetInt32(0));

        Assert.Equal("The reader is not on a row. Call Read() and check that it returned true.", error.Message);
    }
}
