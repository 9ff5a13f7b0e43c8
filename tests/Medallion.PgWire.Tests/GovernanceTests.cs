using System.Text;
using Medallion.Catalog;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>
/// Grants, masking and row filters (issue 21) through Npgsql against a served project: what each user sees in metadata,
/// in data and in errors, and every way around them tried as a masked user (ana) and as a user with no grant (nobody).
/// </summary>
[Collection(GovernedLakehouseCollection.Name)]
public sealed class GovernanceTests(GovernedLakehouseFixture fixture)
{
    private const string HashPattern = "^[0-9a-f]{64}$";

    [Fact]
    public void An_analyst_sees_in_information_schema_only_the_tables_granted_to_her_role()
    {
        using NpgsqlConnection connection = fixture.Open("ana");

        List<string> tables = Strings(connection, "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema IN ('bronze', 'silver', 'gold') ORDER BY 1");

        Assert.Equal(["gold.revenue", "silver.customers", "silver.orders"], tables);
    }

    [Fact]
    public void A_user_without_grants_sees_no_lakehouse_table_in_pg_catalog_or_information_schema()
    {
        using NpgsqlConnection connection = fixture.Open("nobody");

        Assert.Empty(Strings(connection, "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('bronze', 'silver', 'gold')"));
        Assert.Empty(Strings(connection, "SELECT table_name FROM information_schema.columns WHERE table_schema IN ('bronze', 'silver', 'gold')"));
        Assert.Empty(Strings(connection, "SELECT schemaname || '.' || tablename FROM pg_catalog.pg_tables WHERE schemaname IN ('bronze', 'silver', 'gold')"));
    }

    [Fact]
    public void Psqls_table_listing_shows_a_user_only_the_tables_granted()
    {
        using NpgsqlConnection connection = fixture.Open("rita");

        // What psql's \dt asks (relkind 'r' for lakehouse tables).
        List<string> listed = Strings(connection,
            "SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            + "WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog' AND n.nspname !~ '^pg_toast' AND n.nspname <> 'information_schema' ORDER BY 1");

        Assert.Equal(["silver.customers", "silver.orders"], listed);
    }

    [Theory]
    [InlineData("nobody", "SELECT * FROM silver.customers", "silver.customers")]
    [InlineData("ana", "SELECT * FROM bronze.customers", "bronze.customers")]
    [InlineData("ana", "SELECT count(*) FROM gold.revenue g JOIN bronze.customers b ON b.region = g.region", "bronze.customers")]
    [InlineData("rita", "SELECT * FROM gold.revenue AT (VERSION => 0)", "gold.revenue")]
    public void Reading_a_table_without_a_grant_fails_with_insufficient_privilege_naming_the_table(string user, string sql, string table)
    {
        using NpgsqlConnection connection = fixture.Open(user);

        PostgresException error = Assert.Throws<PostgresException>(() => Strings(connection, sql));

        Assert.Equal("42501", error.SqlState);
        Assert.Contains($"permission denied for table {table}", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public void An_admin_reads_classified_columns_as_they_are_stored()
    {
        using NpgsqlConnection connection = fixture.Open("boss");

        Assert.Equal(["390.533.447-05|joana@example.com"], Strings(connection, "SELECT cpf || '|' || email FROM silver.customers WHERE id = 1"));
    }

    [Fact]
    public void A_masked_user_reads_a_hashed_document_and_a_partial_email()
    {
        using NpgsqlConnection connection = fixture.Open("ana");

        List<string> row = Strings(connection, "SELECT cpf || '|' || email FROM silver.customers WHERE id = 1");

        string[] parts = Assert.Single(row).Split('|');
        Assert.Matches(HashPattern, parts[0]);
        Assert.Equal("j***@example.com", parts[1]);
    }

    [Fact]
    public void A_hashed_column_still_joins_and_counts_distinct_values_as_the_stored_one_does()
    {
        const string sql = "SELECT count(*) || '/' || count(DISTINCT c.cpf) FROM silver.orders o JOIN silver.customers c ON c.cpf = o.cpf";
        using NpgsqlConnection admin = fixture.Open("boss");
        using NpgsqlConnection masked = fixture.Open("ana");

        Assert.Equal(Strings(admin, sql), Strings(masked, sql));
        Assert.Equal(["4/3"], Strings(masked, sql));
    }

    [Fact]
    public void A_hashed_integer_column_stays_an_integer_that_counts_distinct_values_as_the_stored_one_does()
    {
        const string sql = "SELECT customer_id, count(*) OVER (PARTITION BY customer_id), count(DISTINCT customer_id) OVER () FROM silver.orders ORDER BY order_id";
        using NpgsqlConnection admin = fixture.Open("boss");
        using NpgsqlConnection masked = fixture.Open("ana");

        List<object[]> stored = Values(admin, sql);
        List<object[]> hashed = Values(masked, sql);

        Assert.All(hashed, row => Assert.IsType<int>(row[0]));
        Assert.Equal(stored.Select(r => r[1]), hashed.Select(r => r[1]));
        Assert.Equal(stored.Select(r => r[2]), hashed.Select(r => r[2]));
        Assert.Equal(hashed[0][0], hashed[1][0]);
        Assert.DoesNotContain(hashed, row => (int)row[0] is 1 or 2 or 3);
    }

    [Fact]
    public void The_hash_mask_is_a_keyed_hmac_not_a_plain_sha256_of_the_value()
    {
        using NpgsqlConnection connection = fixture.Open("ana");

        string masked = Assert.Single(Strings(connection, "SELECT cpf FROM silver.customers WHERE id = 1"));

        Assert.NotEqual(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("390.533.447-05"))), masked);
    }

    public static TheoryData<string> QueryShapes() =>
    [
        "SELECT * FROM silver.customers",
        "WITH c AS (SELECT * FROM silver.customers) SELECT * FROM c",
        "SELECT * FROM (SELECT cpf, email FROM silver.customers) s",
        "SELECT cpf FROM silver.customers UNION ALL SELECT cpf FROM silver.orders",
        "SELECT cpf, email, row_number() OVER (PARTITION BY cpf ORDER BY email) FROM silver.customers",
        "SELECT * FROM silver.customers AT (VERSION => 0)",
        "SELECT c.*, o.* FROM silver.customers c JOIN silver.orders o USING (cpf)",
        "SELECT * FROM query('SELECT cpf, email FROM silver.customers')",
        "SELECT * FROM query_table('silver.customers')",
        "SELECT (SELECT max(cpf) FROM silver.customers) AS m, (SELECT string_agg(email, ',') FROM silver.customers) AS e",
        "SUMMARIZE silver.customers",
        "SELECT * FROM silver.customers WHERE cpf IN (SELECT cpf FROM silver.orders)",
    ];

    [Theory]
    [MemberData(nameof(QueryShapes))]
    public void No_query_shape_shows_a_masked_user_a_stored_cpf_or_email(string sql)
    {
        using NpgsqlConnection connection = fixture.Open("ana");

        string all = string.Join("\n", Rows(connection, sql));

        Assert.NotEmpty(all);
        AssertNoPersonalData(all);
    }

    [Fact]
    public void A_prepared_statement_with_a_parameter_reads_masked_values()
    {
        using NpgsqlConnection connection = fixture.Open("ana");
        using var command = new NpgsqlCommand("SELECT cpf, email FROM silver.customers WHERE id = $1", connection);
        command.Parameters.AddWithValue(1);
        command.Prepare();

        using NpgsqlDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Matches(HashPattern, reader.GetString(0));
        Assert.Equal("j***@example.com", reader.GetString(1));
    }

    [Fact]
    public void Copy_to_stdout_of_a_masked_table_is_refused_as_every_copy_is()
    {
        using NpgsqlConnection connection = fixture.Open("ana");

        PostgresException error = Assert.Throws<PostgresException>(() => connection.BeginTextExport("COPY (SELECT cpf, email FROM silver.customers) TO STDOUT").ReadToEnd());

        Assert.Equal("25006", error.SqlState);
        AssertNoPersonalData(error.MessageText);
    }

    [Fact]
    public void A_cast_error_on_a_masked_column_does_not_echo_the_stored_value()
    {
        using NpgsqlConnection connection = fixture.Open("ana");

        PostgresException error = Assert.Throws<PostgresException>(() => Strings(connection, "SELECT CAST(cpf AS INTEGER)::VARCHAR FROM silver.customers"));

        AssertNoPersonalData(error.MessageText + error.Detail + error.Hint);
    }

    [Fact]
    public void A_column_grant_shows_only_its_columns_in_metadata_and_refuses_the_others()
    {
        using NpgsqlConnection connection = fixture.Open("rita");

        List<string> columns = Strings(connection, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'silver' AND table_name = 'customers' ORDER BY ordinal_position");
        PostgresException error = Assert.Throws<PostgresException>(() => Strings(connection, "SELECT cpf FROM silver.customers"));

        Assert.Equal(["id", "name", "region"], columns);
        Assert.Equal("42703", error.SqlState);
    }

    [Fact]
    public void A_row_filter_on_a_user_attribute_shows_only_that_region_in_every_version()
    {
        using NpgsqlConnection connection = fixture.Open("rita");

        Assert.Equal(["Carla|SP", "Joana|SP"], Strings(connection, "SELECT name || '|' || region FROM silver.customers ORDER BY name"));
        Assert.Equal(["2"], Strings(connection, "SELECT count(*)::VARCHAR FROM silver.customers AT (VERSION => 0)"));
        Assert.Equal(["2"], Strings(connection, "SELECT count(*)::VARCHAR FROM query('SELECT * FROM silver.customers')"));
    }

    public static TheoryData<string, string> Bypasses()
    {
        var data = new TheoryData<string, string>();
        foreach (string user in new[] { "ana", "nobody" })
        {
            data.Add(user, "SELECT * FROM read_parquet('{warehouse}/bronze/customers/*.parquet')");
            data.Add(user, "SELECT * FROM read_text('{warehouse}/bronze/customers/_delta_log/00000000000000000000.json')");
            data.Add(user, "SELECT * FROM glob('{warehouse}/**')");
            data.Add(user, "SELECT * FROM '{warehouse}/silver/customers/*.parquet'");
            data.Add(user, "SELECT * FROM duckdb_views()");
            data.Add(user, "SELECT * FROM __medallion_mask_key");
            data.Add(user, "SELECT * FROM query_table('__medallion_mask_key')");
            data.Add(user, "SELECT __medallion_mask_hmac('390.533.447-05')");
            data.Add(user, "SELECT __medallion_mask_hmac_int(39053344705)");
            data.Add(user, "SELECT * FROM query('SELECT __medallion_mask_hmac(''a@x.com'')')");
            data.Add(user, "SELECT * FROM query('SELECT * FROM read_parquet(''{warehouse}/bronze/customers/*.parquet'')')");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Bypasses))]
    public void A_file_read_or_a_look_at_the_servers_internals_is_refused_to_a_served_user(string user, string attempt)
    {
        using NpgsqlConnection connection = fixture.Open(user);

        PostgresException error = Assert.Throws<PostgresException>(() => Rows(connection, attempt.Replace("{warehouse}", fixture.Warehouse, StringComparison.Ordinal)));

        Assert.Equal("42501", error.SqlState);
    }

    [Theory]
    [InlineData("rita", "EXPLAIN SELECT * FROM silver.customers")]
    [InlineData("rita", "EXPLAIN ANALYZE SELECT count(*) FROM silver.customers")]
    [InlineData("ana", "EXPLAIN (FORMAT json) SELECT * FROM silver.customers")]
    [InlineData("nobody", "EXPLAIN SELECT 1")]
    public void Explain_is_refused_to_a_user_under_a_policy_since_a_plan_shows_the_filter_the_files_and_the_hidden_rows(string user, string sql)
    {
        using NpgsqlConnection connection = fixture.Open(user);

        PostgresException error = Assert.Throws<PostgresException>(() => Rows(connection, sql));

        Assert.Equal("42501", error.SqlState);
        Assert.Contains("is an EXPLAIN, which a user under an access policy may not run", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public void An_admin_may_explain_a_query()
    {
        using NpgsqlConnection connection = fixture.Open("boss");

        Assert.NotEmpty(Strings(connection, "EXPLAIN SELECT count(*) FROM silver.customers"));
    }

    [Theory]
    [InlineData("SELECT coalesce(string_agg(definition, ''), '') FROM pg_views")]
    [InlineData("SELECT coalesce(string_agg(definition, ''), '') FROM pg_catalog.pg_views")]
    [InlineData("SELECT coalesce(string_agg(view_definition, ''), '') FROM information_schema.views")]
    [InlineData("SELECT coalesce(string_agg(definition, ''), '') FROM query('SELECT * FROM pg_views')")]
    public void View_definitions_show_a_restricted_user_neither_file_paths_nor_masks(string sql)
    {
        using NpgsqlConnection connection = fixture.Open("ana");

        string definitions = Assert.Single(Strings(connection, sql));

        Assert.DoesNotContain(fixture.Warehouse, definitions, StringComparison.Ordinal);
        Assert.DoesNotContain("sha256", definitions, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Every way into DuckDB's catalog tried: each is refused, or answers without a path, a mask or a filter.</summary>
    [Theory]
    [InlineData("SELECT sql FROM duckdb_views")]
    [InlineData("SELECT sql FROM system.duckdb_views")]
    [InlineData("SELECT sql FROM \"SYSTEM\".\"DUCKDB_VIEWS\"")]
    [InlineData("SELECT sql FROM system.main.duckdb_views")]
    [InlineData("SELECT sql FROM main.duckdb_views")]
    [InlineData("SELECT sql FROM duckdb_views()")]
    [InlineData("SELECT sql FROM sqlite_master")]
    [InlineData("SELECT sql FROM system.sqlite_master")]
    [InlineData("SELECT sql FROM SQLITE_SCHEMA")]
    [InlineData("SELECT sql FROM query_table('duckdb_views')")]
    [InlineData("SELECT sql FROM query_table('\"system\".main.\"DuckDB_Views\"')")]
    [InlineData("SELECT sql FROM query_table('sqlite_master')")]
    [InlineData("SELECT definition FROM query_table('pg_views')")]
    [InlineData("SELECT view_definition FROM query_table('information_schema.views')")]
    [InlineData("SELECT sql FROM query('SELECT * FROM duckdb_views')")]
    [InlineData("SELECT sql FROM query('SELECT * FROM query(''SELECT * FROM system.duckdb_views'')')")]
    [InlineData("WITH v AS (SELECT * FROM duckdb_views) SELECT sql FROM v")]
    [InlineData("WITH duckdb_views AS (SELECT * FROM duckdb_views) SELECT sql FROM duckdb_views")]
    [InlineData("WITH a AS (SELECT 1), pg_views AS (SELECT * FROM pg_views) SELECT definition FROM pg_views")]
    [InlineData("SELECT (SELECT string_agg(sql, '') FROM duckdb_views)")]
    [InlineData("SELECT pg_get_viewdef('silver.customers'::regclass)")]
    [InlineData("SELECT pg_catalog.pg_get_viewdef(c.oid) FROM pg_catalog.pg_class c WHERE relname = 'customers'")]
    [InlineData("SELECT \"PG_GET_VIEWDEF\"(oid) FROM pg_class")]
    [InlineData("SELECT definition FROM pg_views")]
    [InlineData("SELECT definition FROM \"PG_CATALOG\".\"PG_VIEWS\"")]
    [InlineData("SELECT definition FROM system.pg_catalog.pg_views")]
    [InlineData("SELECT view_definition FROM information_schema.views")]
    [InlineData("SELECT view_definition FROM system.information_schema.views")]
    [InlineData("SELECT column_default FROM information_schema.columns")]
    [InlineData("SELECT adbin FROM pg_attrdef")]
    [InlineData("SELECT indexdef FROM pg_indexes")]
    [InlineData("SELECT description FROM pg_description")]
    [InlineData("SELECT expression FROM duckdb_columns()")]
    [InlineData("SELECT expression FROM duckdb_columns")]
    [InlineData("SELECT macro_definition FROM duckdb_functions() WHERE macro_definition IS NOT NULL")]
    [InlineData("SELECT value FROM duckdb_settings()")]
    [InlineData("SELECT setting FROM pg_settings")]
    [InlineData("SELECT setting FROM pg_catalog.pg_settings WHERE name IN ('allowed_directories', 'temp_directory', 'home_directory')")]
    [InlineData("SELECT current_setting('allowed_directories')")]
    [InlineData("SELECT main.current_setting('temp_directory')")]
    [InlineData("SELECT system.main.current_setting('allowed_paths')")]
    [InlineData("SELECT current_setting(name) FROM (VALUES ('temp_directory')) t(name)")]
    [InlineData("SELECT message FROM duckdb_logs")]
    [InlineData("SELECT message FROM duckdb_logs()")]
    [InlineData("SELECT json_serialize_plan('SELECT * FROM silver.customers')")]
    [InlineData("SELECT \"JSON_SERIALIZE_PLAN\"('SELECT cpf FROM silver.customers')")]
    [InlineData("EXPLAIN SELECT * FROM silver.customers")]
    [InlineData("SELECT * FROM glob('{warehouse}/silver/customers/*')")]
    [InlineData("SELECT * FROM read_text('{warehouse}/silver/customers/_delta_log/00000000000000000000.json')")]
    [InlineData("SELECT * FROM pragma_table_info('duckdb_views')")]
    [InlineData("PRAGMA show_tables")]
    [InlineData("SUMMARIZE system.duckdb_views")]
    [InlineData("SUMMARIZE pg_views")]
    [InlineData("DESCRIBE SELECT sql FROM sqlite_master")]
    [InlineData("SELECT * FROM (SUMMARIZE information_schema.views)")]
    public void A_user_under_a_policy_finds_no_path_mask_or_filter_in_any_catalog_read(string sql)
    {
        foreach (string user in new[] { "rita", "ana" })
        {
            using NpgsqlConnection connection = fixture.Open(user);
            string answer;
            try
            {
                answer = string.Join("\n", Rows(connection, sql.Replace("{warehouse}", fixture.Warehouse, StringComparison.Ordinal)));
            }
            catch (PostgresException error)
            {
                Assert.True(error.SqlState is "42501" or "25006", $"{user}: {error.SqlState} {error.MessageText}");
                answer = error.MessageText + "\n" + error.Hint;
            }

            Assert.DoesNotContain(fixture.Warehouse, answer, StringComparison.Ordinal);
            Assert.DoesNotContain(".parquet", answer, StringComparison.Ordinal);
            Assert.DoesNotContain("'SP'", answer, StringComparison.Ordinal);
            Assert.DoesNotContain("__medallion_mask", answer, StringComparison.Ordinal);
            Assert.DoesNotContain("regexp_replace", answer, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_relation_of_duckdbs_own_catalog_is_refused_or_shows_a_user_under_a_policy_no_definition()
    {
        using NpgsqlConnection connection = fixture.Open("rita");
        var leaks = new List<string>();
        foreach ((string schema, string relation) in GovernedLakehouseFixture.SystemRelations())
        {
            foreach (string name in new[] { $"{schema}.{relation}", relation, $"system.{schema}.{relation}" })
            {
                string answer;
                try
                {
                    answer = string.Join("\n", Rows(connection, $"SELECT * FROM {name}"));
                }
                catch (PostgresException error) when (error.SqlState is "42501" or "42P01")
                {
                    continue;
                }

                if (answer.Contains(fixture.Warehouse, StringComparison.Ordinal) || answer.Contains("'SP'", StringComparison.Ordinal))
                {
                    leaks.Add(name);
                }
            }
        }

        Assert.Empty(leaks);
    }

    [Fact]
    public void A_user_under_a_policy_still_lists_views_settings_and_columns_through_the_catalog()
    {
        using NpgsqlConnection connection = fixture.Open("rita");

        Assert.Contains("silver.customers", Strings(connection, "SELECT table_schema || '.' || table_name FROM information_schema.views"));
        Assert.NotEqual("", Assert.Single(Strings(connection, "SELECT setting FROM pg_catalog.pg_settings WHERE name = 'TimeZone'")));
        Assert.Equal(["id", "name", "region"], Strings(connection, "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers' ORDER BY ordinal_position"));
        Assert.Equal(["1"], Strings(connection, "WITH pg_views AS (SELECT 1 AS definition) SELECT definition::VARCHAR FROM pg_views"));
    }

    [Fact]
    public async Task A_new_grant_applies_to_the_users_next_session()
    {
        var grant = new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "gold.revenue", [], GranteeKind.User, "nobody");
        await fixture.Catalog.Access.GrantAsync(grant);
        try
        {
            using NpgsqlConnection connection = fixture.Open("nobody");

            Assert.Equal(["2"], Strings(connection, "SELECT count(*)::VARCHAR FROM gold.revenue"));
        }
        finally
        {
            await fixture.Catalog.Access.RevokeAsync(grant);
        }
    }

    private static void AssertNoPersonalData(string text)
    {
        foreach (string cpf in GovernedLakehouseFixture.Cpfs)
        {
            Assert.DoesNotContain(cpf, text, StringComparison.Ordinal);
            Assert.DoesNotContain(cpf.Replace(".", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal), text, StringComparison.Ordinal);
        }

        foreach (string name in new[] { "joana@", "bruno@", "carla@", "davi@" })
        {
            Assert.DoesNotContain(name, text, StringComparison.Ordinal);
        }
    }

    private static List<string> Strings(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(reader.GetValue(0)?.ToString() ?? string.Empty);
        }

        return rows;
    }

    private static List<string> Rows(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows.Add(string.Join("|", values.Select(v => v?.ToString())));
        }

        return rows;
    }

    private static List<object[]> Values(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        using NpgsqlDataReader reader = command.ExecuteReader();
        var rows = new List<object[]>();
        while (reader.Read())
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows.Add(values);
        }

        return rows;
    }
}
