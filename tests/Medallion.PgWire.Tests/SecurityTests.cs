using System.Diagnostics;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>
/// The attack review of the SQL endpoint (issue 23), played against a served project over the extended protocol
/// (Npgsql: Parse/Bind/Execute) and the simple one (psql: Query): each attempt is refused with its SQLSTATE, no file
/// appears or changes under the project, the server's settings stay as they were, and another session still reads the
/// same data.
/// </summary>
[Collection(LakehouseCollection.Name)]
public sealed class SecurityTests(LakehouseFixture fixture)
{
    /// <summary>How DuckDB spells a boolean setting that is off (some read back as 0).</summary>
    private static readonly string[] s_off = ["false", "0"];

    public static TheoryData<string, string> Attacks()
    {
        var data = new TheoryData<string, string>();
        foreach ((string sql, string state) in new (string, string)[]
        {
            ("EXPLAIN (ANALYZE) COPY (SELECT 42 AS x) TO '{warehouse}/pwned.csv'", "25006"),
            ("EXPLAIN/**/ANALYZE COPY (SELECT 42 AS x) TO '{warehouse}/pwned.csv'", "25006"),
            ("EXPLAIN (ANALYZE, FORMAT json) COPY (SELECT 42 AS x) TO '{warehouse}/pwned.csv'", "25006"),
            ("EXPLAIN ANALYZE /* ( */ COPY (SELECT 42 AS x) TO '{warehouse}/pwned.csv'", "25006"),
            ("EXPLAIN (ANALYZE) COPY (SELECT * REPLACE (CAST(0.01 AS DECIMAL(18,2)) AS revenue) FROM read_parquet('{datafile}')) TO '{datafile}' (FORMAT parquet)", "25006"),
            ("EXPLAIN (ANALYZE) CREATE OR REPLACE VIEW gold.daily_revenue AS SELECT 'attacker data' AS note", "25006"),
            ("EXPLAIN (ANALYZE) SET memory_limit='20MB'", "25006"),
            ("EXPLAIN (ANALYZE) SET GLOBAL threads=1", "25006"),
            ("EXPLAIN (ANALYZE) SET lock_configuration=true", "25006"),
            ("EXPORT DATABASE '{warehouse}/exp'", "25006"),
            ("SELECT * FROM enable_logging('QueryLog')", "42501"),
            ("SELECT * FROM enable_logging(storage_path='{warehouse}/gold/daily_revenue/_delta_log/x.csv')", "42501"),
            ("SELECT * FROM checkpoint()", "42501"),
            ("SELECT * FROM enable_profiling()", "42501"),
            ("SELECT * FROM system.main.enable_logging('QueryLog')", "42501"),
            ("SELECT write_log('forged', level := 'error')", "42501"),
            ("SELECT * FROM query('COPY (SELECT 1) TO ''{warehouse}/q.csv''')", "25006"),
            ("SELECT * FROM query('SELECT * FROM enable_logging(''QueryLog'')')", "42501"),
            ("SELECT * FROM query_table('{datafile}')", "42501"),
            ("SELECT * FROM query(concat('SELECT ', '1'))", "0A000"),
            ("SELECT * FROM '{datafile}'", "42501"),
            ("SELECT * FROM read_parquet('{datafile}')", "42501"),
            ("SELECT * FROM duckdb_logs", "42501"),
            ("SELECT * FROM json_execute_serialized_sql('{}')", "42501"),
            ("WITH x AS (SELECT 1) SELECT * FROM x, checkpoint()", "42501"),
        })
        {
            data.Add(sql, state);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void An_attack_over_the_extended_protocol_is_refused_and_changes_nothing(string attack, string sqlState)
    {
        string sql = Expand(attack);
        IReadOnlyDictionary<string, string> before = fixture.FileHashes();
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(sql, connection);

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteNonQuery());

        Assert.Equal(sqlState, error.SqlState);
        AssertNothingChanged(before);
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task An_attack_over_the_simple_protocol_is_refused_and_changes_nothing(string attack, string sqlState)
    {
        string sql = Expand(attack);
        IReadOnlyDictionary<string, string> before = fixture.FileHashes();

        (int exitCode, string _, string stderr) = await Psql.RunAsync(fixture.Port, LakehouseFixture.User, LakehouseFixture.Password, LakehouseFixture.ProjectName,
            "-v", "VERBOSITY=verbose", "-c", sql);

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"ERROR:  {sqlState}:", stderr, StringComparison.Ordinal);
        AssertNothingChanged(before);
    }

    [Theory]
    [InlineData("SELECT definition FROM pg_views")]
    [InlineData("SELECT view_definition FROM information_schema.views")]
    [InlineData("SELECT sql FROM system.duckdb_views")]
    [InlineData("SELECT sql FROM query_table('sqlite_master')")]
    [InlineData("SELECT pg_get_viewdef(oid) FROM pg_class")]
    [InlineData("SELECT setting FROM pg_settings")]
    [InlineData("SELECT current_setting('allowed_directories')")]
    [InlineData("SELECT definition FROM query('SELECT * FROM pg_catalog.pg_views')")]
    public void A_served_user_finds_no_path_of_the_lake_in_the_catalog(string sql)
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(sql, connection);
        var answer = new System.Text.StringBuilder();
        try
        {
            using NpgsqlDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                answer.Append(reader.GetValue(0)).Append('\n');
            }
        }
        catch (PostgresException error)
        {
            Assert.Equal("42501", error.SqlState);
        }

        Assert.DoesNotContain(fixture.Warehouse, answer.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("EXPLAIN (ANALYZE) SELECT count(*) FROM gold.daily_revenue", "analyzed_plan")]
    [InlineData("EXPLAIN SELECT count(*) FROM gold.daily_revenue", "physical_plan")]
    [InlineData("EXPLAIN (FORMAT json) SELECT count(*) FROM gold.daily_revenue", "physical_plan")]
    public void Explain_of_a_query_still_works(string sql, string key)
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(sql, connection);
        using NpgsqlDataReader reader = command.ExecuteReader();

        Assert.True(reader.Read());
        Assert.Equal(key, reader.GetString(0));
    }

    [Theory]
    [InlineData("EXPORT DATABASE '/tmp/medallion-export'", "Statement 1 is an EXPORT statement")]
    [InlineData("DROP VIEW gold.daily_revenue", "Statement 1 is a DROP statement")]
    public void A_refusal_names_the_kind_of_statement_with_its_article(string sql, string start)
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(sql, connection);

        Assert.StartsWith(start, Assert.Throws<PostgresException>(() => command.ExecuteNonQuery()).MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_runs_a_checked_select_from_its_string()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT * FROM query('SELECT count(*) FROM gold.daily_revenue')", connection);

        Assert.Equal(3L, command.ExecuteScalar());
    }

    [Fact]
    public void A_parameter_number_past_postgresqls_limit_is_refused_before_anything_is_allocated()
    {
        long before = GC.GetTotalMemory(forceFullCollection: true);
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT $2000000000", connection);

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteScalar());

        Assert.Equal("42P02", error.SqlState);
        Assert.Equal("there is no parameter $2000000000: a statement may use at most 65535 parameters", error.MessageText);
        Assert.True(GC.GetTotalMemory(forceFullCollection: true) - before < 100_000_000, "the server allocated for the parameter number");
    }

    [Fact]
    public async Task A_parameter_in_a_simple_query_is_refused_as_postgresql_refuses_it()
    {
        (int exitCode, string _, string stderr) = await Psql.RunAsync(fixture.Port, LakehouseFixture.User, LakehouseFixture.Password, LakehouseFixture.ProjectName,
            "-v", "VERBOSITY=verbose", "-c", "SELECT $2000000000");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("ERROR:  42P02: there is no parameter $2000000000", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_time_travel_clause_with_a_subquery_is_refused_before_it_runs()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(
            "SELECT count(*) FROM gold.daily_revenue AT (VERSION => (SELECT count(*) FROM range(20000000000::BIGINT)) % 1)", connection);
        var clock = Stopwatch.StartNew();

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteScalar());

        Assert.Equal("22023", error.SqlState);
        Assert.StartsWith("The time-travel clause on gold.daily_revenue must be a constant expression", error.MessageText, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Twenty_thousand_union_branches_are_refused_without_planning_them()
    {
        string sql = string.Join(" UNION ALL ", Enumerable.Range(0, 20_000).Select(i => $"SELECT {i} AS x"));
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(sql, connection);
        var clock = Stopwatch.StartNew();

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteScalar());

        Assert.Equal("54000", error.SqlState);
        Assert.Equal("Statement 1 joins 19,999 queries with UNION, INTERSECT or EXCEPT; at most 1,000 are accepted.", error.MessageText);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void A_sql_text_over_a_mebibyte_is_refused()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT '" + new string('x', 1_100_000) + "'", connection);

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteScalar());

        Assert.Equal("54000", error.SqlState);
        Assert.StartsWith("The SQL text is 1,100,009 characters long; a query may be at most 1,048,576.", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public void A_statement_timeout_covers_the_parse_before_the_query_runs()
    {
        using NpgsqlConnection connection = fixture.Open();
        using (var set = new NpgsqlCommand("SET statement_timeout = 1", connection))
        {
            set.ExecuteNonQuery();
        }

        // Parsing and checking 999 branches takes DuckDB about a tenth of a second; running them, far less.
        using var command = new NpgsqlCommand(string.Join(" UNION ALL ", Enumerable.Range(0, 1_000).Select(i => $"SELECT {i} AS x")), connection);

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteScalar());

        Assert.Equal("57014", error.SqlState);
        Assert.Equal("canceling statement due to statement timeout", error.MessageText);
    }

    [Fact]
    public void A_time_travel_clause_that_computes_over_a_list_is_refused()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT count(*) FROM gold.daily_revenue AT (VERSION => list_reduce(range(20000000), (a, b) -> a + b) % 1)", connection);

        Assert.Equal("22023", Assert.Throws<PostgresException>(() => command.ExecuteScalar()).SqlState);
    }

    [Fact]
    public void A_time_travel_clause_with_clock_arithmetic_is_accepted()
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand("SELECT count(*) FROM gold.daily_revenue AT (TIMESTAMP => now() + INTERVAL 1 DAY)", connection);

        Assert.Equal(3L, command.ExecuteScalar());
    }

    [Fact]
    public async Task A_query_stops_when_its_client_goes_away()
    {
        // A server of its own over the same project, so no other test's connection counts.
        await using var server = new PgWireServer(fixture.Server.Options with { Port = 0 });
        await server.StartAsync();
        var start = new ProcessStartInfo("psql")
        {
            ArgumentList = { "-X", "-h", "127.0.0.1", "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", LakehouseFixture.User, "-d", LakehouseFixture.ProjectName, "-c", "SELECT count(*) FROM range(100000000000) a, range(10) b" },
            Environment = { ["PGPASSWORD"] = LakehouseFixture.Password },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process psql = Process.Start(start)!;
        await WaitUntilAsync(() => server.ConnectionCount == 1, TimeSpan.FromSeconds(20));

        // Past logging in, into the query, which runs for hours unless stopped.
        await Task.Delay(TimeSpan.FromSeconds(1));
        if (psql.HasExited)
        {
            Assert.Fail("psql ended before it was killed: " + await psql.StandardError.ReadToEndAsync());
        }

        psql.Kill();
        await psql.WaitForExitAsync();

        await WaitUntilAsync(() => server.ConnectionCount == 0, TimeSpan.FromSeconds(20));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < limit, $"not true after {limit}");
            await Task.Delay(50);
        }
    }
    private string Expand(string attack)
    {
        string table = Path.Combine(fixture.Warehouse, "gold", "daily_revenue");
        string dataFile = Directory.EnumerateFiles(table, "*.parquet").Order(StringComparer.Ordinal).First();
        return attack.Replace("{warehouse}", fixture.Warehouse, StringComparison.Ordinal).Replace("{datafile}", dataFile, StringComparison.Ordinal);
    }

    private void AssertNothingChanged(IReadOnlyDictionary<string, string> before)
    {
        Assert.Equal(before.OrderBy(f => f.Key, StringComparer.Ordinal), fixture.FileHashes().OrderBy(f => f.Key, StringComparer.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(fixture.Warehouse, "exp")), "EXPORT DATABASE created its directory");
        Assert.Contains(fixture.DatabaseSetting("enable_logging"), s_off);
        Assert.NotEqual("1", fixture.DatabaseSetting("threads"));
        Assert.NotEqual("20.0 MiB", fixture.DatabaseSetting("memory_limit"));
        using NpgsqlConnection other = fixture.Open();
        using var read = new NpgsqlCommand("SELECT sum(revenue) FROM gold.daily_revenue", other);
        Assert.Equal(3334.49m, read.ExecuteScalar());
    }
}

/// <summary>
/// Every table function DuckDB lists and one statement of every kind DuckDB parses, each tried as a served user:
/// only the allowlist gets through.
/// </summary>
[Collection(LakehouseCollection.Name)]
public sealed class SecurityCorpusTests(LakehouseFixture fixture)
{
    /// <summary>What a served user may call; each may still fail on its arguments, but never as a refusal.</summary>
    private static readonly HashSet<string> s_allowed = new(StringComparer.OrdinalIgnoreCase)
    {
        "range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree", "pg_timezone_names",
        "icu_calendar_names", "duckdb_keywords", "duckdb_types", "duckdb_functions", "pragma_version", "pragma_platform",
        "pragma_table_info", "pragma_show", "pragma_collations", "query", "query_table",
    };

    /// <summary>
    /// Read-only (25006), not allowed (42501), not supported (0A000), or refused as PostgreSQL refuses it by the server's
    /// own session commands: an unknown setting (42704), SET VARIABLE's syntax (42601), DEALLOCATE of no statement (26000).
    /// </summary>
    private static readonly string[] s_refusals = ["25006", "42501", "0A000", "42704", "42601", "26000"];

    [Fact]
    public void Every_table_function_off_the_allowlist_is_refused_with_42501()
    {
        IReadOnlyList<string> functions = fixture.TableFunctionNames();
        Assert.True(functions.Count > 80, $"only {functions.Count} table functions listed");
        using NpgsqlConnection connection = fixture.Open();
        var wrong = new List<string>();
        foreach (string function in functions)
        {
            using var command = new NpgsqlCommand($"SELECT * FROM {function}() LIMIT 1", connection);
            string? state = null;
            try
            {
                command.ExecuteNonQuery();
            }
            catch (PostgresException error)
            {
                state = error.SqlState;
            }

            bool refused = state == "42501";
            if (refused == s_allowed.Contains(function))
            {
                wrong.Add($"{function}: {state ?? "ran"}");
            }
        }

        Assert.Empty(wrong);
    }

    [Theory]
    [InlineData("INSERT INTO gold.daily_revenue VALUES (DATE '2026-01-03', 'x', 1, 1)")]
    [InlineData("UPDATE gold.daily_revenue SET orders = 0")]
    [InlineData("DELETE FROM gold.daily_revenue")]
    [InlineData("MERGE INTO gold.daily_revenue t USING (SELECT 1 AS orders) s ON true WHEN MATCHED THEN DELETE")]
    [InlineData("CREATE TABLE t (a INT)")]
    [InlineData("CREATE MACRO m(a) AS a")]
    [InlineData("CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 's')")]
    [InlineData("DROP VIEW gold.daily_revenue")]
    [InlineData("ALTER VIEW gold.daily_revenue RENAME TO x")]
    [InlineData("COPY gold.daily_revenue TO '/tmp/medallion-corpus.csv'")]
    [InlineData("COPY FROM DATABASE memory TO memory")]
    [InlineData("EXPORT DATABASE '/tmp/medallion-corpus-export'")]
    [InlineData("IMPORT DATABASE '/tmp/medallion-corpus-export'")]
    [InlineData("ATTACH ':memory:' AS other")]
    [InlineData("DETACH memory")]
    [InlineData("USE memory")]
    [InlineData("LOAD httpfs")]
    [InlineData("INSTALL httpfs")]
    [InlineData("UPDATE EXTENSIONS")]
    [InlineData("PRAGMA enable_profiling")]
    [InlineData("CALL enable_logging('QueryLog')")]
    [InlineData("VACUUM")]
    [InlineData("ANALYZE")]
    [InlineData("CHECKPOINT")]
    [InlineData("FORCE CHECKPOINT")]
    [InlineData("PREPARE p AS SELECT 1")]
    [InlineData("EXECUTE p")]
    [InlineData("DEALLOCATE p")]
    [InlineData("PIVOT gold.daily_revenue ON region USING sum(revenue)")]
    [InlineData("SET VARIABLE v = 1")]
    [InlineData("RESET VARIABLE v")]
    [InlineData("COMMENT ON VIEW gold.daily_revenue IS 'x'")]
    [InlineData("CREATE TYPE mood AS ENUM ('a')")]
    [InlineData("CREATE SEQUENCE s")]
    [InlineData("CREATE INDEX i ON gold.daily_revenue (day)")]
    [InlineData("SUMMARIZE SELECT * FROM read_parquet('/tmp/x.parquet')")]
    public void Every_kind_of_statement_but_a_query_is_refused(string sql)
    {
        using NpgsqlConnection connection = fixture.Open();
        using var command = new NpgsqlCommand(sql, connection);

        PostgresException error = Assert.Throws<PostgresException>(() => command.ExecuteNonQuery());

        Assert.Contains(error.SqlState, s_refusals);
        Assert.False(Directory.Exists("/tmp/medallion-corpus-export"));
        Assert.False(File.Exists("/tmp/medallion-corpus.csv"));
    }
}

/// <summary>The serving database's own defences, for whatever a session's check might ever miss.</summary>
[Collection(LakehouseCollection.Name)]
public sealed class ServingDatabaseTests(LakehouseFixture fixture)
{
    [Fact]
    public void The_serving_database_refuses_a_setting_change_even_on_a_connection_of_its_own()
    {
        var error = Assert.Throws<Medallion.DuckDb.DuckDbException>(() => fixture.ChangeDatabaseSetting("SET GLOBAL threads = 1"));

        Assert.Contains("the configuration has been locked", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_still_sets_its_own_time_zone_on_the_locked_database()
    {
        using NpgsqlConnection connection = fixture.Open("Timezone=America/Sao_Paulo");
        using var command = new NpgsqlCommand("SELECT (TIMESTAMPTZ '2026-01-01 12:00:00+00')::VARCHAR", connection);

        Assert.Equal("2026-01-01 09:00:00-03", command.ExecuteScalar());
    }
}
