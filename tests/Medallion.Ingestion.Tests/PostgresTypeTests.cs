namespace Medallion.Ingestion.Tests;

public sealed class PostgresTypeTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static int s_table;

    public static TheoryData<string, string, string, string> Types => new()
    {
        // PostgreSQL type, PostgreSQL literal, DuckDB type, DuckDB expression of the same value
        { "smallint", "-32768", "SMALLINT", "(-32768)::SMALLINT" },
        { "integer", "2147483647", "INTEGER", "2147483647::INTEGER" },
        { "bigint", "-9223372036854775808", "BIGINT", "(-9223372036854775808)::BIGINT" },
        { "numeric(10,2)", "-12345678.91", "DECIMAL(10,2)", "-12345678.91::DECIMAL(10,2)" },
        { "numeric(28,6)", "1234567890123456789012.123456", "DECIMAL(28,6)", "1234567890123456789012.123456::DECIMAL(28,6)" },
        { "numeric(38,10)", "-1234567890123456789012345678.1234567891", "DECIMAL(38,10)", "-1234567890123456789012345678.1234567891::DECIMAL(38,10)" },
        { "numeric(50,5)", "123456789012345678901234567890123456789012345.12345", "VARCHAR", "'123456789012345678901234567890123456789012345.12345'" },
        { "numeric", "3.141592653589793238462643383279502884197", "VARCHAR", "'3.141592653589793238462643383279502884197'" },
        { "real", "3.1415927", "FLOAT", "3.1415927::FLOAT" },
        { "double precision", "2.718281828459045", "DOUBLE", "2.718281828459045::DOUBLE" },
        { "double precision", "'-Infinity'", "DOUBLE", "'-inf'::DOUBLE" },
        { "double precision", "'NaN'", "DOUBLE", "'nan'::DOUBLE" },
        { "text", "'héllo wörld ✓ 😀 中文 \\ ''quoted'''", "VARCHAR", "'héllo wörld ✓ 😀 中文 \\ ''quoted'''" },
        { "varchar(20)", "'abc'", "VARCHAR", "'abc'" },
        { "char(5)", "'ab'", "VARCHAR", "'ab   '" },
        { "boolean", "true", "BOOLEAN", "true" },
        { "date", "'2024-02-29'", "DATE", "DATE '2024-02-29'" },
        { "time", "'23:59:59.999999'", "VARCHAR", "'23:59:59.999999'" },
        { "timetz", "'12:34:56.789+05:30'", "VARCHAR", "'12:34:56.789+05:30'" },
        { "timestamp", "'2024-01-02 03:04:05.123456'", "TIMESTAMP", "TIMESTAMP '2024-01-02 03:04:05.123456'" },
        { "timestamptz", "'2024-01-02 03:04:05.123456+02'", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ '2024-01-02 01:04:05.123456+00'" },
        { "interval", "'1 year 2 mons 3 days 04:05:06.789'", "VARCHAR", "'P1Y2M3DT4H5M6.789S'" },
        { "interval", "'-1 days -00:00:00.000001'", "VARCHAR", "'P-1DT-0.000001S'" },
        { "uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "UUID", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID" },
        { "json", "'{\"a\": [1, 2.5, \"x\"]}'", "JSON", "'{\"a\": [1, 2.5, \"x\"]}'::JSON" },
        { "jsonb", "'{\"b\": 1, \"a\": \"ü\"}'", "JSON", "'{\"a\": \"ü\", \"b\": 1}'::JSON" },
        { "bytea", "'\\xdeadbeef00'", "BLOB", "'\\xDE\\xAD\\xBE\\xEF\\x00'::BLOB" },
        { "integer[]", "'{1,NULL,3}'", "INTEGER[]", "[1, NULL, 3]::INTEGER[]" },
        { "bigint[]", "'{}'", "BIGINT[]", "[]::BIGINT[]" },
        { "text[]", "'{\"a b\",\"c\\\"d\",NULL,\"ü\"}'", "VARCHAR[]", "['a b', 'c\"d', NULL, 'ü']" },
        { "numeric(12,4)[]", "'{1.5,NULL,-2.0001}'", "DECIMAL(12,4)[]", "[1.5, NULL, -2.0001]::DECIMAL(12,4)[]" },
        { "boolean[]", "'{t,f}'", "BOOLEAN[]", "[true, false]" },
        { "double precision[]", "'{0.1,1e300,-Infinity}'", "DOUBLE[]", "[0.1, 1e300, '-inf'::DOUBLE]" },
        { "timestamptz[]", "'{\"2024-01-01 00:00:00.5+01\"}'", "TIMESTAMP WITH TIME ZONE[]", "[TIMESTAMPTZ '2023-12-31 23:00:00.5+00']" },
        { "uuid[]", "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'", "UUID[]", "['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID]" },
        { "mood", "'happy'", "VARCHAR", "'happy'" },
        { "mood[]", "'{sad,happy}'", "VARCHAR[]", "['sad', 'happy']" },
        { "inet", "'192.168.0.1/24'", "VARCHAR", "'192.168.0.1/24'" },
        { "positive_money", "12.50", "DECIMAL(12,2)", "12.50::DECIMAL(12,2)" },
    };

    [Theory]
    [MemberData(nameof(Types))]
    public async Task Value_and_null_round_trip_exactly_into_duckdb(string pgType, string pgLiteral, string duckType, string duckValue)
    {
        string table = "types_" + Interlocked.Increment(ref s_table);
        await database.ExecuteAsync("""
            DO $$ BEGIN
              CREATE TYPE mood AS ENUM ('sad', 'happy');
              CREATE DOMAIN positive_money AS numeric(12,2) CHECK (VALUE > 0);
            EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            """);
        await database.ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY, v {pgType}); INSERT INTO {table} VALUES (1, {pgLiteral}), (2, NULL)");
        using var target = new DuckDbTarget();

        var source = new PostgresSource(database.ConnectionString, new SourceTableOptions { SourceName = "pg", Table = table });
        List<SourceBatch> batches = await target.CollectAsync(source, after: null);

        Assert.Equal("v", batches[0].Columns[1].Name);
        Assert.Equal(duckType, target.Scalar("SELECT typeof(v) FROM collected WHERE id = 1"));
        Assert.Equal(target.Scalar($"SELECT CAST(({duckValue}) AS VARCHAR)"), target.Scalar("SELECT CAST(v AS VARCHAR) FROM collected WHERE id = 1"));
        Assert.Equal(true, target.Scalar($"SELECT v IS NOT DISTINCT FROM ({duckValue}) FROM collected WHERE id = 1"));
        Assert.Equal(true, target.Scalar("SELECT v IS NULL FROM collected WHERE id = 2"));
    }
}
