namespace Medallion.Ingestion.Tests;

public sealed class MySqlTypeTests(MySqlDatabase database) : IClassFixture<MySqlDatabase>
{
    private static int s_table;

    public static TheoryData<string, string, string, string> Types => new()
    {
        // MySQL type, MySQL literal, DuckDB type, DuckDB expression of the same value
        { "tinyint", "-128", "TINYINT", "(-128)::TINYINT" },
        { "tinyint(1)", "7", "TINYINT", "7::TINYINT" },
        { "tinyint unsigned", "255", "UTINYINT", "255::UTINYINT" },
        { "smallint", "-32768", "SMALLINT", "(-32768)::SMALLINT" },
        { "smallint unsigned", "65535", "USMALLINT", "65535::USMALLINT" },
        { "mediumint", "-8388608", "INTEGER", "(-8388608)::INTEGER" },
        { "int", "-2147483648", "INTEGER", "(-2147483648)::INTEGER" },
        { "int unsigned", "4294967295", "UINTEGER", "4294967295::UINTEGER" },
        { "bigint", "-9223372036854775808", "BIGINT", "(-9223372036854775808)::BIGINT" },
        { "bigint unsigned", "18446744073709551615", "UBIGINT", "18446744073709551615::UBIGINT" },
        { "bit(12)", "b'101010101010'", "UBIGINT", "2730::UBIGINT" },
        { "year", "2024", "SMALLINT", "2024::SMALLINT" },
        { "decimal(10,2)", "-12345678.91", "DECIMAL(10,2)", "(-12345678.91)::DECIMAL(10,2)" },
        { "decimal(38,10)", "-1234567890123456789012345678.1234567891", "DECIMAL(38,10)", "(-1234567890123456789012345678.1234567891)::DECIMAL(38,10)" },
        { "decimal(65,5)", "123456789012345678901234567890123456789012345.12345", "VARCHAR", "'123456789012345678901234567890123456789012345.12345'" },
        { "float", "3.1415927", "FLOAT", "3.1415927::FLOAT" },
        { "double", "2.718281828459045", "DOUBLE", "2.718281828459045::DOUBLE" },
        { "varchar(100)", "'héllo wörld ✓ 😀 中文 \\\\ ''quoted'''", "VARCHAR", "'héllo wörld ✓ 😀 中文 \\ ''quoted'''" },
        { "char(36)", "'not-a-guid-but-exactly-36-characters'", "VARCHAR", "'not-a-guid-but-exactly-36-characters'" },
        { "text", "'line1\\nline2'", "VARCHAR", "'line1' || chr(10) || 'line2'" },
        { "enum('sad','happy')", "'happy'", "VARCHAR", "'happy'" },
        { "set('a','b','c')", "'a,c'", "VARCHAR", "'a,c'" },
        { "json", "'{\"a\": [1, 2.5, \"x\"]}'", "VARCHAR", "'{\"a\": [1, 2.5, \"x\"]}'" },
        { "varbinary(10)", "x'DEADBEEF00'", "BLOB", "'\\xDE\\xAD\\xBE\\xEF\\x00'::BLOB" },
        { "binary(16)", "x'000102030405060708090A0B0C0D0E0F'", "BLOB", "from_hex('000102030405060708090A0B0C0D0E0F')" },
        { "blob", "x'00FF'", "BLOB", "'\\x00\\xFF'::BLOB" },
        { "date", "'2024-02-29'", "DATE", "DATE '2024-02-29'" },
        { "datetime(6)", "'2024-01-02 03:04:05.123456'", "TIMESTAMP", "TIMESTAMP '2024-01-02 03:04:05.123456'" },
        { "datetime", "'9999-12-31 23:59:59'", "TIMESTAMP", "TIMESTAMP '9999-12-31 23:59:59'" },
        { "timestamp(3)", "'2024-01-02 03:04:05.123'", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ '2024-01-02 03:04:05.123+00'" },
        { "time(6)", "'23:59:59.999999'", "VARCHAR", "'23:59:59.999999'" },
        { "uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "UUID", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID" },
    };

    [Theory]
    [MemberData(nameof(Types))]
    public async Task Value_and_null_round_trip_exactly_into_duckdb(string mySqlType, string mySqlLiteral, string duckType, string duckValue)
    {
        string table = "types_" + Interlocked.Increment(ref s_table);
        // The session is UTC, like the source's, so TIMESTAMP literals mean UTC.
        await database.ExecuteAsync($"SET time_zone = '+00:00'; CREATE TABLE {table} (id int PRIMARY KEY, v {mySqlType} NULL); INSERT INTO {table} VALUES (1, {mySqlLiteral}), (2, NULL)");
        using var target = new DuckDbTarget();

        var source = new MySqlSource(database.ConnectionString, new SourceTableOptions { SourceName = "my", Table = table });
        List<SourceBatch> batches = await target.CollectAsync(source, after: null);

        Assert.Equal("v", batches[0].Columns[1].Name);
        Assert.Equal(duckType, target.Scalar("SELECT typeof(v) FROM collected WHERE id = 1"));
        Assert.Equal(target.Scalar($"SELECT CAST(({duckValue}) AS VARCHAR)"), target.Scalar("SELECT CAST(v AS VARCHAR) FROM collected WHERE id = 1"));
        Assert.Equal(true, target.Scalar($"SELECT v IS NOT DISTINCT FROM ({duckValue}) FROM collected WHERE id = 1"));
        Assert.Equal(true, target.Scalar("SELECT v IS NULL FROM collected WHERE id = 2"));
    }
}
