using System.Globalization;

namespace Medallion.Ingestion.Tests;

/// <summary>
/// PostgreSQL tables land in bronze whatever their column types (issue #22): a column of every built-in type (and a
/// domain, a composite, an enum, ranges, hstore, arrays of each kind) loads in full, incremental and CDC mode, and
/// bronze returns the source's values in the form the README's type table names.
/// </summary>
public sealed class PostgresBronzeTypeTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    /// <param name="Name">The column.</param>
    /// <param name="Type">Its PostgreSQL type.</param>
    /// <param name="Literal">The PostgreSQL value of row 1.</param>
    /// <param name="BronzeType">The column's type when bronze is read back (full and incremental loads).</param>
    /// <param name="Expected">
    /// The DuckDB expression bronze must equal (compared as text); null for the text PostgreSQL itself prints for the
    /// value (in UTC, intervals in ISO 8601).
    /// </param>
    private sealed record Column(string Name, string Type, string Literal, string BronzeType, string? Expected = null)
    {
        public bool IsArray => Type.EndsWith("[]", StringComparison.Ordinal);
    }

    private static readonly Column[] s_columns =
    [
        new("c_smallint", "smallint", "-32768", "SMALLINT", "-32768"),
        new("c_integer", "integer", "2147483647", "INTEGER", "2147483647"),
        new("c_bigint", "bigint", "-9223372036854775808", "BIGINT", "-9223372036854775808"),
        new("c_numeric", "numeric(10,2)", "-12345678.91", "DECIMAL(10,2)", "-12345678.91::DECIMAL(10,2)"),
        new("c_numeric38", "numeric(38,10)", "-1234567890123456789012345678.1234567891", "DECIMAL(38,10)", "-1234567890123456789012345678.1234567891::DECIMAL(38,10)"),
        new("c_numeric_free", "numeric", "3.141592653589793238462643383279502884197", "VARCHAR"),
        new("c_real", "real", "3.1415927", "FLOAT", "3.1415927::FLOAT"),
        new("c_double", "double precision", "2.718281828459045", "DOUBLE", "2.718281828459045::DOUBLE"),
        new("c_money", "money", "-1234.5", "VARCHAR", "'-1234.50'"),
        new("c_text", "text", "'héllo wörld ✓ ''quoted'''", "VARCHAR"),
        new("c_varchar", "varchar(20)", "'abc'", "VARCHAR"),
        new("c_char", "char(5)", "'ab'", "VARCHAR", "'ab   '"),
        new("c_char_array", "char(3)[]", "'{a,bc}'", "VARCHAR[]", "['a  ', 'bc ']"),
        new("c_qchar", "\"char\"", "'x'", "VARCHAR"),
        new("c_name", "name", "'a_name'", "VARCHAR"),
        new("c_citext", "citext", "'MiXed'", "VARCHAR"),
        new("c_bytea", "bytea", "'\\xdeadbeef00'", "BLOB", "'\\xDE\\xAD\\xBE\\xEF\\x00'::BLOB"),
        new("c_bool", "boolean", "true", "BOOLEAN", "true"),
        new("c_date", "date", "'2024-02-29'", "DATE", "DATE '2024-02-29'"),
        new("c_time", "time", "'23:59:59.999999'", "VARCHAR", "'23:59:59.999999'"),
        new("c_timetz", "timetz", "'12:34:56.789+05:30'", "VARCHAR", "'12:34:56.789+05:30'"),
        new("c_timestamp", "timestamp", "'2024-01-02 03:04:05.123456'", "TIMESTAMP", "TIMESTAMP '2024-01-02 03:04:05.123456'"),
        new("c_timestamptz", "timestamptz", "'2024-01-02 03:04:05.123456+02'", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ '2024-01-02 01:04:05.123456+00'"),
        new("c_date_infinity", "date", "'infinity'", "DATE", "'infinity'::DATE"),
        new("c_date_far", "date", "'20000-01-01'", "DATE", "DATE '20000-01-01'"),
        new("c_timestamp_minus_infinity", "timestamp", "'-infinity'", "TIMESTAMP", "'-infinity'::TIMESTAMP"),
        new("c_timestamptz_infinity", "timestamptz", "'infinity'", "TIMESTAMP WITH TIME ZONE", "'infinity'::TIMESTAMPTZ"),
        new("c_interval", "interval", "'1 year 2 mons 3 days 04:05:06.789'", "VARCHAR", "'P1Y2M3DT4H5M6.789S'"),
        new("c_interval_negative", "interval", "'-1 days -00:00:00.000001'", "VARCHAR", "'P-1DT-0.000001S'"),
        new("c_uuid", "uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "VARCHAR", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"),
        new("c_json", "json", "'{\"a\": [1, 2.5, \"x\"]}'", "VARCHAR", "'{\"a\": [1, 2.5, \"x\"]}'"),
        new("c_jsonb", "jsonb", "'{\"b\": 1, \"a\": \"ü\"}'", "VARCHAR", "'{\"a\": \"ü\", \"b\": 1}'"),
        new("c_jsonpath", "jsonpath", "'$.a[*] ? (@ > 1)'", "VARCHAR"),
        new("c_xml", "xml", "'<a x=\"1\">t</a>'", "VARCHAR"),
        new("c_inet", "inet", "'192.168.0.1/24'", "VARCHAR", "'192.168.0.1/24'"),
        new("c_inet_host", "inet", "'10.0.0.1'", "VARCHAR", "'10.0.0.1'"),
        new("c_cidr", "cidr", "'10.0.0.0/8'", "VARCHAR", "'10.0.0.0/8'"),
        new("c_macaddr", "macaddr", "'08:00:2b:01:02:03'", "VARCHAR"),
        new("c_macaddr8", "macaddr8", "'08:00:2b:01:02:03:04:05'", "VARCHAR"),
        new("c_bit", "bit(4)", "B'1010'", "VARCHAR", "'1010'"),
        new("c_varbit", "bit varying(8)", "B'101'", "VARCHAR", "'101'"),
        new("c_tsvector", "tsvector", "'a fat:2 cat'", "VARCHAR"),
        new("c_tsquery", "tsquery", "'fat & (rat | cat)'", "VARCHAR"),
        new("c_point", "point", "'(1.5,-2)'", "VARCHAR", "'(1.5,-2)'"),
        new("c_line", "line", "'{1,-1,0}'", "VARCHAR"),
        new("c_lseg", "lseg", "'[(0,0),(1,1)]'", "VARCHAR"),
        new("c_box", "box", "'(1,1),(0,0)'", "VARCHAR"),
        new("c_path", "path", "'[(0,0),(1,1),(2,0)]'", "VARCHAR"),
        new("c_polygon", "polygon", "'((0,0),(1,1),(1,0))'", "VARCHAR"),
        new("c_circle", "circle", "'<(0,0),2.5>'", "VARCHAR"),
        new("c_int4range", "int4range", "'[1,10)'", "VARCHAR", "'[1,10)'"),
        new("c_int8range", "int8range", "'(0,5]'", "VARCHAR"),
        new("c_numrange", "numrange", "'(1.5,2.5]'", "VARCHAR"),
        new("c_tsrange", "tsrange", "'[2024-01-01 00:00,2024-02-01 00:00)'", "VARCHAR"),
        new("c_tstzrange", "tstzrange", "'[2024-01-01 00:00+02,2024-02-01 00:00+00)'", "VARCHAR", "'[\"2023-12-31 22:00:00+00\",\"2024-02-01 00:00:00+00\")'"),
        new("c_daterange", "daterange", "'[2024-01-01,2024-02-01)'", "VARCHAR"),
        new("c_multirange", "int4multirange", "'{[1,3),[5,7)}'", "VARCHAR", "'{[1,3),[5,7)}'"),
        new("c_pg_lsn", "pg_lsn", "'16/B374D848'", "VARCHAR"),
        new("c_oid", "oid", "4294967295", "BIGINT", "4294967295"),
        new("c_xid8", "xid8", "'12345'", "VARCHAR"),
        new("c_regtype", "regtype", "'integer'", "VARCHAR"),
        new("c_enum", "mood", "'happy'", "VARCHAR", "'happy'"),
        new("c_domain", "positive_money", "12.50", "DECIMAL(12,2)", "12.50::DECIMAL(12,2)"),
        new("c_composite", "address", "ROW('Main St 1', 12345)", "VARCHAR", "'(\"Main St 1\",12345)'"),
        new("c_hstore", "hstore", "'a=>1, b=>NULL'", "VARCHAR", "'\"a\"=>\"1\", \"b\"=>NULL'"),
        new("c_int_array", "integer[]", "'{1,NULL,3}'", "INTEGER[]", "[1, NULL, 3]"),
        new("c_bigint_array", "bigint[]", "'{}'", "BIGINT[]", "[]::BIGINT[]"),
        new("c_text_array", "text[]", "'{\"a b\",\"c\\\"d\",NULL}'", "VARCHAR[]", "['a b', 'c\"d', NULL]"),
        new("c_numeric_array", "numeric(12,4)[]", "'{1.5,NULL,-2.0001}'", "DECIMAL(12,4)[]", "[1.5, NULL, -2.0001]::DECIMAL(12,4)[]"),
        new("c_bool_array", "boolean[]", "'{t,f}'", "BOOLEAN[]", "[true, false]"),
        new("c_double_array", "double precision[]", "'{0.1,1e300,-Infinity}'", "DOUBLE[]", "[0.1, 1e300, '-inf'::DOUBLE]"),
        new("c_date_array", "date[]", "'{2024-01-01}'", "DATE[]", "[DATE '2024-01-01']"),
        new("c_timestamptz_array", "timestamptz[]", "'{\"2024-01-01 00:00:00.5+01\"}'", "TIMESTAMP WITH TIME ZONE[]", "[TIMESTAMPTZ '2023-12-31 23:00:00.5+00']"),
        new("c_uuid_array", "uuid[]", "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'", "VARCHAR[]", "['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']"),
        new("c_jsonb_array", "jsonb[]", "ARRAY['{\"a\": 1}'::jsonb]", "VARCHAR[]", "['{\"a\": 1}']"),
        new("c_interval_array", "interval[]", "'{\"1 day\",\"-00:00:01\"}'", "VARCHAR[]", "['P1D', 'PT-1S']"),
        new("c_time_array", "time[]", "'{12:00:00,23:59:59.5}'", "VARCHAR[]", "['12:00:00', '23:59:59.5']"),
        new("c_inet_array", "inet[]", "'{10.0.0.1,::1}'", "VARCHAR[]", "['10.0.0.1', '::1']"),
        new("c_money_array", "money[]", "'{1.5,-2}'", "VARCHAR[]", "['1.50', '-2.00']"),
        new("c_bytea_array", "bytea[]", "ARRAY['\\x00ff'::bytea]", "VARCHAR[]", "['\\x00ff']"),
        new("c_enum_array", "mood[]", "'{sad,happy}'", "VARCHAR[]", "['sad', 'happy']"),
        new("c_composite_array", "address[]", "ARRAY[ROW('a', 1)::address]", "VARCHAR[]", "['(a,1)']"),
        new("c_range_array", "int4range[]", "'{\"[1,2)\",empty}'", "VARCHAR[]", "['[1,2)', 'empty']"),
        new("c_domain_array", "positive_money[]", "ARRAY[1.25::positive_money]", "VARCHAR[]", "['1.25']"),
    ];

    [Fact]
    public async Task A_table_with_an_interval_column_loads_into_bronze_as_iso_8601_text()
    {
        await database.ExecuteAsync("CREATE TABLE waits (id int PRIMARY KEY, wait interval); INSERT INTO waits VALUES (1, '1 year 2 mons 3 days 04:05:06.789'), (2, '-1 days -00:00:00.000001'), (3, NULL)");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);

        var source = new PostgresSource(database.ConnectionString, new SourceTableOptions { SourceName = "pg", Table = "waits" });
        await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Equal("VARCHAR", target.Scalar("SELECT typeof(wait) FROM bronze LIMIT 1"));
        Assert.Equal(["P1Y2M3DT4H5M6.789S", "P-1DT-0.000001S", null], target.Column<string?>("SELECT wait FROM bronze ORDER BY id"));
    }

    [Fact]
    public async Task A_type_the_map_does_not_know_lands_as_its_text_with_a_warning_naming_the_column()
    {
        await database.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS ltree; CREATE TABLE paths (id int PRIMARY KEY, p ltree); INSERT INTO paths VALUES (1, 'top.science.astronomy')");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        var log = new RecordingLog();

        var source = new PostgresSource(database.ConnectionString, new SourceTableOptions { SourceName = "pg", Table = "paths" }, log);
        await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Equal(["top.science.astronomy"], target.Column<string>("SELECT p FROM bronze"));
        Assert.Contains("Warning: Source pg: column p of table public.paths has type ltree, which Medallion does not know; it lands in bronze as the text the server prints for it", log.Lines);
    }

    [Fact]
    public async Task A_column_of_every_type_loads_in_full_with_the_source_values()
    {
        await CreateTableAsync("every_full");
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);

        var source = new PostgresSource(database.ConnectionString, new SourceTableOptions { SourceName = "pg", Table = "every_full" });
        await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Empty(await MismatchesAsync(target, "every_full", cdc: false));
    }

    [Fact]
    public async Task A_column_of_every_type_loads_incrementally_with_the_source_values()
    {
        await CreateTableAsync("every_incremental", nullRow: false);
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        var source = new PostgresSource(database.ConnectionString, new SourceTableOptions { SourceName = "pg", Table = "every_incremental", Mode = IngestionMode.Incremental, CursorColumns = ["id"] });
        await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);

        await database.ExecuteAsync("INSERT INTO every_incremental (id) VALUES (2)");
        IngestionResult second = await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Equal(1L, second.Rows);
        Assert.Empty(await MismatchesAsync(target, "every_incremental", cdc: false));
    }

    [Fact]
    public async Task A_column_of_every_type_streams_by_cdc_with_the_source_values()
    {
        await CreateTableAsync("every_cdc", nullRow: false);
        using var target = new DuckDbTarget();
        using var bronze = new BronzeTable(target);
        var source = new PostgresSource(database.ConnectionString, new SourceTableOptions
        {
            SourceName = "pg",
            Table = "every_cdc",
            Mode = IngestionMode.Cdc,
            ReplicationSlot = $"{database.Name}_every_cdc",
            ChangeWait = TimeSpan.FromMilliseconds(500),
        });
        await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);

        // Row 1 came with the snapshot (COPY of text); rows 2 and 3 come as changes (pgoutput's text).
        string columns = string.Join(", ", s_columns.Select(c => c.Name));
        await database.ExecuteAsync($"INSERT INTO every_cdc (id) VALUES (2); INSERT INTO every_cdc (id, {columns}) SELECT 3, {columns} FROM every_cdc WHERE id = 1");
        IngestionResult changes = await IngestionRunner.RunAsync(source, bronze.Sink(), target.Connection);
        await bronze.ViewAsync();

        Assert.Equal(2L, changes.Rows);
        Assert.Equal(["snapshot", "insert", "insert"], target.Column<string>("SELECT _op FROM bronze ORDER BY id"));
        Assert.Empty(await MismatchesAsync(target, "every_cdc", cdc: true, copyOfRow1: 3));
    }

    private async Task CreateTableAsync(string table, bool nullRow = true)
    {
        await database.ExecuteAsync("""
            CREATE EXTENSION IF NOT EXISTS hstore;
            CREATE EXTENSION IF NOT EXISTS citext;
            DO $$ BEGIN
              CREATE TYPE mood AS ENUM ('sad', 'happy');
              CREATE TYPE address AS (street text, zip int);
              CREATE DOMAIN positive_money AS numeric(12,2) CHECK (VALUE > 0);
            EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            """);
        string definitions = string.Join(", ", s_columns.Select(c => $"{c.Name} {c.Type}"));
        string columns = string.Join(", ", s_columns.Select(c => c.Name));
        string values = string.Join(", ", s_columns.Select(c => c.Literal));
        await database.ExecuteAsync($"CREATE TABLE {table} (id int PRIMARY KEY, {definitions}); INSERT INTO {table} (id, {columns}) VALUES (1, {values})"
            + (nullRow ? $"; INSERT INTO {table} (id) VALUES (2)" : ""));
    }

    /// <summary>
    /// Every column of bronze's rows 1 (and its copy) and 2 (all NULL) that does not hold the source's value or has
    /// another type than the documented one, as "column: what was wrong".
    /// </summary>
    private async Task<List<string>> MismatchesAsync(DuckDbTarget target, string table, bool cdc, int? copyOfRow1 = null)
    {
        string texts = string.Join(", ", s_columns.Select(c => c.Name + "::text"));
        List<string?> sourceTexts = await SourceTextsAsync($"SELECT {texts} FROM {table} WHERE id = 1");
        var mismatches = new List<string>();
        for (int i = 0; i < s_columns.Length; i++)
        {
            Column column = s_columns[i];
            // CDC receives arrays as PostgreSQL's array text and keeps it so.
            bool asText = column.Expected is null || (cdc && column.IsArray);
            string expected = asText ? "'" + sourceTexts[i]!.Replace("'", "''", StringComparison.Ordinal) + "'" : column.Expected!;
            string type = cdc && column.IsArray ? "VARCHAR" : column.BronzeType;
            foreach (int id in copyOfRow1 is int copy ? [1, copy] : new[] { 1 })
            {
                string? actualType = target.Scalar($"SELECT typeof({column.Name}) FROM bronze WHERE id = {id}") as string;
                string? actual = target.Scalar($"SELECT CAST({column.Name} AS VARCHAR) FROM bronze WHERE id = {id}") as string;
                string? wanted = target.Scalar($"SELECT CAST(({expected}) AS VARCHAR)") as string;
                if (actualType != type || actual != wanted)
                {
                    mismatches.Add(string.Create(CultureInfo.InvariantCulture, $"{column.Name} (row {id}): {actualType} {actual}, expected {type} {wanted}"));
                }
            }

            if (target.Scalar($"SELECT {column.Name} IS NULL FROM bronze WHERE id = 2") is not true)
            {
                mismatches.Add($"{column.Name} (row 2): not NULL");
            }
        }

        return mismatches;
    }

    private async Task<List<string?>> SourceTextsAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using (var settings = new Npgsql.NpgsqlCommand("SET TimeZone = 'UTC'; SET IntervalStyle = 'iso_8601'", connection))
        {
            await settings.ExecuteNonQueryAsync();
        }

        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await using Npgsql.NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetString(i)).ToList();
    }
}
