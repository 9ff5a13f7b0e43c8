using System.Globalization;

namespace Medallion.Ingestion.Tests;

/// <summary>
/// MariaDB tables land in bronze whatever their column types (issue #22): a column of every type loads in full and
/// incremental mode and streams by change data capture, and bronze returns the source's values in the form the
/// README's type table names.
/// </summary>
public sealed class MySqlBronzeTypeTests(MySqlDatabase database) : IClassFixture<MySqlDatabase>
{
    /// <param name="Name">The column.</param>
    /// <param name="Type">Its MariaDB type.</param>
    /// <param name="Literal">The MariaDB value of row 1.</param>
    /// <param name="BronzeType">The column's type when bronze is read back.</param>
    /// <param name="Expected">The DuckDB expression bronze must equal (compared as text).</param>
    private sealed record Column(string Name, string Type, string Literal, string BronzeType, string Expected);

    private static readonly Column[] s_columns =
    [
        new("c_tinyint", "tinyint", "-128", "TINYINT", "-128"),
        new("c_tinyint_unsigned", "tinyint unsigned", "255", "SMALLINT", "255"),
        new("c_bool", "boolean", "true", "TINYINT", "1"),
        new("c_smallint", "smallint", "-32768", "SMALLINT", "-32768"),
        new("c_smallint_unsigned", "smallint unsigned", "65535", "INTEGER", "65535"),
        new("c_mediumint", "mediumint", "-8388608", "INTEGER", "-8388608"),
        new("c_mediumint_unsigned", "mediumint unsigned", "16777215", "BIGINT", "16777215"),
        new("c_int", "int", "-2147483648", "INTEGER", "-2147483648"),
        new("c_int_unsigned", "int unsigned", "4294967295", "BIGINT", "4294967295"),
        new("c_bigint", "bigint", "-9223372036854775808", "BIGINT", "-9223372036854775808"),
        new("c_bigint_unsigned", "bigint unsigned", "18446744073709551615", "DECIMAL(38,0)", "18446744073709551615"),
        new("c_bit", "bit(12)", "b'101010101010'", "DECIMAL(38,0)", "2730"),
        new("c_year", "year", "2024", "SMALLINT", "2024"),
        new("c_decimal", "decimal(10,2)", "-12345678.91", "DECIMAL(10,2)", "-12345678.91::DECIMAL(10,2)"),
        new("c_decimal38", "decimal(38,10)", "-1234567890123456789012345678.1234567891", "DECIMAL(38,10)", "-1234567890123456789012345678.1234567891::DECIMAL(38,10)"),
        new("c_decimal65", "decimal(65,5)", "123456789012345678901234567890123456789012345.12345", "VARCHAR", "'123456789012345678901234567890123456789012345.12345'"),
        new("c_float", "float", "3.1415927", "FLOAT", "3.1415927::FLOAT"),
        new("c_double", "double", "2.718281828459045", "DOUBLE", "2.718281828459045::DOUBLE"),
        new("c_char", "char(10)", "'ab'", "VARCHAR", "'ab'"),
        new("c_varchar", "varchar(100)", "'héllo wörld ✓ 😀 ''quoted'''", "VARCHAR", "'héllo wörld ✓ 😀 ''quoted'''"),
        new("c_tinytext", "tinytext", "'tiny'", "VARCHAR", "'tiny'"),
        new("c_text", "text", "'line1\\nline2'", "VARCHAR", "'line1' || chr(10) || 'line2'"),
        new("c_mediumtext", "mediumtext", "'medium'", "VARCHAR", "'medium'"),
        new("c_longtext", "longtext", "'long'", "VARCHAR", "'long'"),
        new("c_enum", "enum('sad','happy')", "'happy'", "VARCHAR", "'happy'"),
        new("c_set", "set('a','b','c')", "'a,c'", "VARCHAR", "'a,c'"),
        new("c_json", "json", "'{\"a\": [1, 2.5, \"x\"]}'", "VARCHAR", "'{\"a\": [1, 2.5, \"x\"]}'"),
        new("c_binary", "binary(4)", "x'DEADBEEF'", "BLOB", "'\\xDE\\xAD\\xBE\\xEF'::BLOB"),
        new("c_binary_padded", "binary(4)", "x'AB00'", "BLOB", "'\\xAB\\x00\\x00\\x00'::BLOB"),
        new("c_varbinary", "varbinary(10)", "x'00FF'", "BLOB", "'\\x00\\xFF'::BLOB"),
        new("c_tinyblob", "tinyblob", "x'01'", "BLOB", "'\\x01'::BLOB"),
        new("c_blob", "blob", "x'0203'", "BLOB", "'\\x02\\x03'::BLOB"),
        new("c_mediumblob", "mediumblob", "x'04'", "BLOB", "'\\x04'::BLOB"),
        new("c_longblob", "longblob", "x'05'", "BLOB", "'\\x05'::BLOB"),
        new("c_date", "date", "'2024-02-29'", "DATE", "DATE '2024-02-29'"),
        new("c_datetime", "datetime(6)", "'2024-01-02 03:04:05.123456'", "TIMESTAMP", "TIMESTAMP '2024-01-02 03:04:05.123456'"),
        new("c_timestamp", "timestamp(3)", "'2024-01-02 03:04:05.123'", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ '2024-01-02 03:04:05.123+00'"),
        new("c_time", "time", "'-838:59:59'", "VARCHAR", "'-838:59:59'"),
        new("c_time6", "time(6)", "'23:59:59.999999'", "VARCHAR", "'23:59:59.999999'"),
        new("c_time3_negative", "time(3)", "'-12:34:56.789'", "VARCHAR", "'-12:34:56.789'"),
        new("c_uuid", "uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "VARCHAR", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"),
        // Not an RFC 4122 UUID (version 0): MariaDB stores it unswapped.
        new("c_uuid_v0", "uuid", "'12345678-9abc-0def-0123-456789abcdef'", "VARCHAR", "'12345678-9abc-0def-0123-456789abcdef'"),
        new("c_inet4", "inet4", "'192.168.0.1'", "VARCHAR", "'192.168.0.1'"),
        new("c_inet6", "inet6", "'2001:db8::1'", "VARCHAR", "'2001:db8::1'"),
        new("c_point", "point", "ST_GeomFromText('POINT(1.5 -2)')", "VARCHAR", "'POINT(1.5 -2)'"),
        new("c_linestring", "linestring", "ST_GeomFromText('LINESTRING(0 0,1 1)')", "VARCHAR", "'LINESTRING(0 0,1 1)'"),
        new("c_polygon", "polygon", "ST_GeomFromText('POLYGON((0 0,1 1,1 0,0 0))')", "VARCHAR", "'POLYGON((0 0,1 1,1 0,0 0))'"),
        new("c_multipoint", "multipoint", "ST_GeomFromText('MULTIPOINT(0 0,1 1)')", "VARCHAR", "'MULTIPOINT(0 0,1 1)'"),
        new("c_multilinestring", "multilinestring", "ST_GeomFromText('MULTILINESTRING((0 0,1 1))')", "VARCHAR", "'MULTILINESTRING((0 0,1 1))'"),
        new("c_multipolygon", "multipolygon", "ST_GeomFromText('MULTIPOLYGON(((0 0,1 1,1 0,0 0)))')", "VARCHAR", "'MULTIPOLYGON(((0 0,1 1,1 0,0 0)))'"),
        new("c_geometrycollection", "geometrycollection", "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 2))')", "VARCHAR", "'GEOMETRYCOLLECTION(POINT(1 2))'"),
        new("c_geometry", "geometry", "ST_GeomFromText('POINT(3 4)')", "VARCHAR", "'POINT(3 4)'"),
    ];

    [Fact]
    public async Task A_column_of_every_type_loads_in_full_with_the_source_values()
    {
        await CreateTableAsync("every_full", nullRow: true);
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);

        await IngestionRunner.RunAsync(Source("every_full", IngestionMode.Full), bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Empty(Mismatches(target));
    }

    [Fact]
    public async Task A_column_of_every_type_loads_incrementally_with_the_source_values()
    {
        await CreateTableAsync("every_incremental", nullRow: false);
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        MySqlSource source = Source("every_incremental", IngestionMode.Incremental);
        await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);

        await database.ExecuteAsync("INSERT INTO every_incremental (id) VALUES (2)");
        IngestionResult second = await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Equal(1L, second.Rows);
        Assert.Empty(Mismatches(target));
    }

    [Fact]
    public async Task A_column_of_every_type_streams_by_cdc_with_the_source_values()
    {
        await CreateTableAsync("every_cdc", nullRow: false);
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        MySqlSource source = Source("every_cdc", IngestionMode.Cdc);
        await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);

        // Row 1 came with the snapshot (the query's values); rows 2 and 3 come as changes (decoded from the binlog).
        string columns = string.Join(", ", s_columns.Select(c => c.Name));
        await database.ExecuteAsync($"INSERT INTO every_cdc (id) VALUES (2); INSERT INTO every_cdc (id, {columns}) SELECT 3, {columns} FROM every_cdc WHERE id = 1");
        IngestionResult changes = await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Equal(2L, changes.Rows);
        Assert.Equal(["snapshot", "insert", "insert"], target.Column<string>("SELECT _op FROM bronze ORDER BY id"));
        Assert.Empty(Mismatches(target, copyOfRow1: 3));
    }

    [Fact]
    public async Task Updates_by_cdc_carry_the_old_value_of_every_type_as_the_before_image()
    {
        await CreateTableAsync("every_before", nullRow: false);
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        MySqlSource source = Source("every_before", IngestionMode.Cdc);
        await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);

        string nulls = string.Join(", ", s_columns.Select(c => c.Name + " = NULL"));
        await database.ExecuteAsync($"UPDATE every_before SET {nulls} WHERE id = 1");
        await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        // The update's before-image is row 1 as it was; the snapshot row stays as a reference to compare with.
        string differing = string.Join(" OR ", s_columns.Select(c => $"(u._before_{c.Name} IS DISTINCT FROM s.{c.Name})"));
        Assert.Equal(0L, Convert.ToInt64(target.Scalar($"SELECT count(*) FROM bronze u, bronze s WHERE u._op = 'update' AND s._op = 'snapshot' AND ({differing})")));
        Assert.Equal(1L, Convert.ToInt64(target.Scalar("SELECT count(*) FROM bronze WHERE _op = 'update' AND " + string.Join(" AND ", s_columns.Select(c => c.Name + " IS NULL")))));
    }

    private MySqlSource Source(string table, IngestionMode mode) =>
        new(database.ConnectionString, new SourceTableOptions { SourceName = "my", Table = table, Mode = mode, CursorColumns = mode == IngestionMode.Incremental ? ["id"] : [] });

    private async Task CreateTableAsync(string table, bool nullRow)
    {
        string definitions = string.Join(", ", s_columns.Select(c => $"{c.Name} {c.Type} NULL"));
        string columns = string.Join(", ", s_columns.Select(c => c.Name));
        string values = string.Join(", ", s_columns.Select(c => c.Literal));
        // The session is UTC, like the source's, so TIMESTAMP literals mean UTC.
        await database.ExecuteAsync($"SET time_zone = '+00:00'; CREATE TABLE {table} (id int PRIMARY KEY, {definitions}); INSERT INTO {table} (id, {columns}) VALUES (1, {values})"
            + (nullRow ? $"; INSERT INTO {table} (id) VALUES (2)" : ""));
    }

    /// <summary>Every column of bronze's rows 1 and 2 (all NULL) that does not hold the source's value or has another type than the documented one.</summary>
    private static List<string> Mismatches(DuckDbTarget target, int? copyOfRow1 = null)
    {
        var mismatches = new List<string>();
        foreach (Column column in s_columns)
        {
            foreach (int id in copyOfRow1 is int copy ? [1, copy] : new[] { 1 })
            {
                string? actualType = target.Scalar($"SELECT typeof({column.Name}) FROM bronze WHERE id = {id}") as string;
                string? actual = target.Scalar($"SELECT CAST({column.Name} AS VARCHAR) FROM bronze WHERE id = {id}") as string;
                string? wanted = target.Scalar($"SELECT CAST(({column.Expected}) AS VARCHAR)") as string;
                if (actualType != column.BronzeType || actual != wanted)
                {
                    mismatches.Add(string.Create(CultureInfo.InvariantCulture, $"{column.Name} (row {id}): {actualType} {actual}, expected {column.BronzeType} {wanted}"));
                }
            }

            if (target.Scalar($"SELECT {column.Name} IS NULL FROM bronze WHERE id = 2") is not true)
            {
                mismatches.Add($"{column.Name} (row 2): not NULL");
            }
        }

        return mismatches;
    }
}
