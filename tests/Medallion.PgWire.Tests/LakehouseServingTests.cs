using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>A project's Delta tables served over the wire: namespaces as schemas, time travel, one read-only check, users from the catalog.</summary>
[Collection(LakehouseCollection.Name)]
public sealed class LakehouseServingTests(LakehouseFixture fixture)
{
    [Fact]
    public void A_table_is_read_as_namespace_dot_table_at_its_latest_version()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT count(*), sum(revenue) FROM gold.daily_revenue", connection);
        using NpgsqlDataReader reader = command.ExecuteReader();

        Assert.True(reader.Read());
        Assert.Equal(3L, reader.GetInt64(0));
        Assert.Equal(3334.49m, reader.GetDecimal(1));
    }

    [Fact]
    public void At_version_reads_an_older_version_over_the_wire_with_parameters()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT count(*) FROM gold.daily_revenue AT (VERSION => 0) WHERE region = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = "north" });

        Assert.Equal(1L, command.ExecuteScalar());
    }

    [Fact]
    public void A_version_the_table_does_not_have_is_refused_with_22023_naming_the_table_and_its_versions_but_not_its_location()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT count(*) FROM gold.daily_revenue AT (VERSION => 9)", connection);

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteScalar());

        Assert.Equal("22023", error.SqlState);
        Assert.StartsWith("Table gold.daily_revenue has no version 9: versions are whole numbers from 0 (its first commit), and its newest is ", error.MessageText, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.ProjectDirectory, error.MessageText, StringComparison.Ordinal);
        using var next = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, next.ExecuteScalar());
    }

    [Theory]
    [InlineData("-1", "version -1")]
    [InlineData("-9223372036854775808", "version -9223372036854775808")]
    [InlineData("1.5", "version 1.5")]
    [InlineData("99999999999999999999999", "version 99999999999999999999999")]
    public void A_version_no_table_can_have_is_refused_with_22023_naming_the_table_and_the_version(string version, string named)
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand($"SELECT count(*) FROM gold.daily_revenue AT (VERSION => {version})", connection);

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteScalar());

        Assert.Equal("22023", error.SqlState);
        Assert.StartsWith($"Table gold.daily_revenue has no {named}: versions are whole numbers from 0 (its first commit), and its newest is ", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_table_in_a_lakehouse_namespace_gives_42P01_with_close_names()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT * FROM gold.daily_revenu", connection);

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteScalar());

        Assert.Equal("42P01", error.SqlState);
        Assert.Contains("Did you mean gold.daily_revenue?", error.MessageText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("INSERT INTO gold.daily_revenue VALUES (DATE '2026-01-03', 'x', 1, 1)", "INSERT")]
    [InlineData("DROP VIEW gold.daily_revenue", "DROP")]
    [InlineData("COPY (SELECT 1) TO '/tmp/medallion-pgwire-out.csv'", "COPY")]
    [InlineData("CREATE TEMP TABLE t AS SELECT 1", "CREATE")]
    [InlineData("PRAGMA threads = 1", "PRAGMA")]
    [InlineData("CALL pragma_version()", "CALL")]
    [InlineData("EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 1", "CREATE")]
    public void Statements_that_change_data_or_settings_are_refused_with_25006_and_the_session_goes_on(string sql, string kind)
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(sql, connection);

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteNonQuery());

        Assert.Equal("25006", error.SqlState);
        Assert.Contains($" {kind} statement, and this session is read-only", error.MessageText, StringComparison.Ordinal);
        using var count = new NpgsqlCommand("SELECT count(*) FROM gold.daily_revenue", connection);
        Assert.Equal(3L, count.ExecuteScalar());
    }

    [Theory]
    [InlineData("SELECT * FROM read_csv('/etc/passwd')")]
    [InlineData("SELECT content FROM read_text('/etc/hostname')")]
    [InlineData("SELECT * FROM glob('/etc/*')")]
    public void Queries_cannot_read_the_servers_files(string sql)
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(sql, connection);

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteScalar());

        Assert.Equal("42501", error.SqlState);
    }

    [Fact]
    public void The_database_is_named_like_the_project_and_medallion_is_an_alias()
    {
        using NpgsqlConnection named = fixture.Open();
        using NpgsqlConnection alias = new(fixture.ConnectionString().Replace($"Database={LakehouseFixture.ProjectName}", "Database=medallion", StringComparison.Ordinal));
        alias.Open();

        using var current = new NpgsqlCommand("SELECT current_database()", named);
        Assert.Equal(LakehouseFixture.ProjectName, current.ExecuteScalar());
        Assert.Equal(System.Data.ConnectionState.Open, alias.State);
    }

    [Fact]
    public void Another_database_name_is_refused_with_3D000()
    {
        using var connection = new NpgsqlConnection(fixture.ConnectionString().Replace($"Database={LakehouseFixture.ProjectName}", "Database=other", StringComparison.Ordinal));

        PostgresException error = Assert.Throws<PostgresException>(connection.Open);

        Assert.Equal("3D000", error.SqlState);
        Assert.Contains("\"shop\"", error.MessageText + error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_password_and_an_unknown_user_get_the_same_error()
    {
        using var wrongPassword = new NpgsqlConnection(fixture.ConnectionString().Replace(LakehouseFixture.Password, "wrong", StringComparison.Ordinal));
        using var unknownUser = new NpgsqlConnection(fixture.ConnectionString().Replace($"Username={LakehouseFixture.User}", "Username=nobody", StringComparison.Ordinal));

        PostgresException first = Assert.Throws<PostgresException>(wrongPassword.Open);
        PostgresException second = Assert.Throws<PostgresException>(unknownUser.Open);

        Assert.Equal("28P01", first.SqlState);
        Assert.Equal(first.SqlState, second.SqlState);
        Assert.Equal(first.MessageText.Replace(LakehouseFixture.User, "?", StringComparison.Ordinal), second.MessageText.Replace("nobody", "?", StringComparison.Ordinal));
    }

    [Fact]
    public void Catalog_queries_list_the_lakehouse_tables_as_tables_with_their_columns()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var tables = new NpgsqlCommand(
            "SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind, ',' ORDER BY n.nspname, c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('gold', 'silver')",
            connection);
        using var columns = new NpgsqlCommand(
            "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'gold' AND table_name = 'daily_revenue'",
            connection);
        using var listed = new NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'silver' AND table_name = 'orders'", connection);

        Assert.Equal("gold.daily_revenue:r,gold.daily_revenue_pkey:i,silver.orders:r", tables.ExecuteScalar());
        Assert.Equal("day DATE, region VARCHAR, revenue DECIMAL(18,2), orders BIGINT", columns.ExecuteScalar());
        Assert.Equal(1L, listed.ExecuteScalar());
    }

    [Fact]
    public void Information_schema_shows_lakehouse_tables_as_base_tables()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(
            "SELECT string_agg(table_schema || '.' || table_name || ':' || table_type, ',' ORDER BY table_schema, table_name) FROM information_schema.tables WHERE table_schema IN ('gold', 'silver')",
            connection);

        Assert.Equal("gold.daily_revenue:BASE TABLE,silver.orders:BASE TABLE", command.ExecuteScalar());
    }

    [Fact]
    public void Information_schema_reports_the_catalog_unique_key_as_the_primary_key()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var constraints = new NpgsqlCommand(
            "SELECT string_agg(table_schema || '.' || table_name || ' ' || constraint_name || ' ' || constraint_type, ',') FROM information_schema.table_constraints WHERE table_schema IN ('gold', 'silver')",
            connection);
        using var columns = new NpgsqlCommand(
            "SELECT string_agg(column_name || ':' || ordinal_position, ',' ORDER BY ordinal_position) FROM information_schema.key_column_usage WHERE table_schema = 'gold' AND table_name = 'daily_revenue' AND constraint_name = 'daily_revenue_pkey'",
            connection);

        Assert.Equal("gold.daily_revenue daily_revenue_pkey PRIMARY KEY", constraints.ExecuteScalar());
        Assert.Equal("day:1,region:2", columns.ExecuteScalar());
    }

    [Fact]
    public void Pg_constraint_and_pg_index_hold_the_primary_key_with_its_attribute_numbers()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(
            "SELECT con.conname || ' ' || con.contype || ' ' || array_to_string(con.conkey, ',') || ' ' || array_to_string(i.indkey, ',') || ' ' || i.indisprimary || ' ' || ci.relname "
            + "FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid JOIN pg_catalog.pg_index i ON i.indexrelid = con.conindid JOIN pg_catalog.pg_class ci ON ci.oid = i.indexrelid "
            + "WHERE c.relname = 'daily_revenue' AND con.contype = 'p'",
            connection);

        Assert.Equal("daily_revenue_pkey p 1,2 1,2 true daily_revenue_pkey", command.ExecuteScalar());
    }

    [Fact]
    public async Task Psql_lists_lakehouse_tables_with_dt_and_not_with_dv_and_shows_the_primary_key()
    {
        (int exit, string output, string error) = await Psql.RunAsync(fixture.Port, LakehouseFixture.User, LakehouseFixture.Password, LakehouseFixture.ProjectName,
            "-c", "\\dt gold.*", "-c", "\\dv gold.*", "-c", "\\d gold.daily_revenue");

        Assert.True(exit == 0, error);
        Assert.Matches(@"(?m)^\s*gold\s*\|\s*daily_revenue\s*\|\s*table\s*\|", output);
        Assert.Contains("Did not find any relation named \"gold.*\"", output + error, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\s*""daily_revenue_pkey"" PRIMARY KEY, btree \(day, region\)", output);
    }

    [Fact]
    public async Task Psql_lists_namespaces_tables_and_columns_and_reads_an_old_version()
    {
        (int exit, string output, string error) = await Psql.RunAsync(fixture.Port, LakehouseFixture.User, LakehouseFixture.Password, LakehouseFixture.ProjectName,
            "-c", "\\dn", "-c", "\\dt gold.*", "-c", "\\d gold.daily_revenue", "-c", "SELECT count(*) AS then FROM gold.daily_revenue AT (VERSION => 0)");

        Assert.True(exit == 0, error);
        Assert.Matches(@"(?m)^\s*gold\s*\|", output);
        Assert.Matches(@"(?m)^\s*silver\s*\|", output);
        Assert.Matches(@"(?m)^\s*gold\s*\|\s*daily_revenue\s*\|\s*table\s*\|", output);
        Assert.Matches(@"(?m)^\s*revenue\s*\|\s*numeric\(18,2\)", output);
        Assert.Matches(@"(?m)^\s*day\s*\|\s*date", output);
        Assert.Matches(@"(?m)^\s*then\s*\n-+\n\s*2\s*$", output);
    }

    [Fact]
    public async Task Fifty_clients_query_lakehouse_tables_at_the_same_time()
    {
        Task<long>[] clients = Enumerable.Range(0, 50).Select(async i =>
        {
            await using var connection = new NpgsqlConnection(fixture.ConnectionString());
            await connection.OpenAsync();
            long total = 0;
            for (int round = 0; round < 5; round++)
            {
                await using var command = new NpgsqlCommand("SELECT count(*) FROM silver.orders WHERE id > $1", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = i });
                total += (long)(await command.ExecuteScalarAsync())!;
            }

            return total;
        }).ToArray();
        long[] totals = await Task.WhenAll(clients);
        for (int i = 0; i < totals.Length; i++)
        {
            Assert.Equal(5L * (1000 - i), totals[i]);
        }
    }
}
