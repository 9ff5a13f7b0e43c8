using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Pipelines;
using Medallion.Pipelines.Planning;
using Npgsql;

namespace Medallion.Server.Tests;

/// <summary>
/// A client of the SQL endpoint chooses an environment when it connects (<c>options=-c medallion.environment=dev</c>, what
/// psql sends for <c>PGOPTIONS</c>), or switches to it between transactions with <c>SET medallion.environment</c>: it reads that environment's tables under their usual names, with the same grants and
/// masks as in prod, and a name that is no environment's is refused, never served as prod. The runs the environments'
/// builds made are listed by environment on the REST API and the runs page.
/// </summary>
public sealed class EnvironmentSqlTests : IAsyncLifetime
{
    /// <summary>silver.orders as dev changes it: only the first order, the e-mail still classified.</summary>
    private const string DevOrders = """
        /* ---
        columns:
          email:
            classification: pii
        --- */
        SELECT CAST(order_id AS BIGINT) AS order_id, lower(email) AS email, CAST(amount AS DECIMAL(10, 2)) AS amount FROM bronze.orders WHERE order_id = 1
        """;

    private ServedProject _served = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        await _served.Catalog.Identity.SetUserAsync("mia", PgUserStore.CreateScramVerifier("mia-secret"));
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders", [], GranteeKind.User, "mia"), ["silver.orders"]);
        await _served.Catalog.Access.SetMaskingPolicyAsync(new MaskingPolicy("pii", MaskingPolicyKind.Hash));
        File.WriteAllText(Path.Combine(_served.Directory, "models", "silver", "orders.sql"), DevOrders);
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(_served.Directory);
        Assert.True((await ProjectPlanner.ApplyAsync(environment, new ApplyOptions { Plan = new PlanOptions { Environment = "dev" } })).Succeeded);
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    /// <summary>A connection as <paramref name="user"/> whose startup options are <paramref name="options"/> (none when null).</summary>
    private async Task<NpgsqlConnection> ConnectAsync(string? options, string user = "vic", string password = ServedProject.ViewerPassword)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = _served.Server.PgPort!.Value, Username = user, Password = password, Database = "shop", Pooling = false, Timeout = 60,
            Options = options,
        };
        // Without pooling, a connection that failed to open holds nothing to release.
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<string> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    /// <summary>The option that names <paramref name="environment"/>, its spaces and backslashes escaped as PostgreSQL reads options.</summary>
    private static string Choosing(string environment) =>
        "-c medallion.environment=" + environment.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(" ", "\\ ", StringComparison.Ordinal);

    [Fact]
    public async Task A_client_that_chooses_dev_when_it_connects_reads_devs_table_and_one_that_does_not_reads_prods()
    {
        await using NpgsqlConnection dev = await ConnectAsync(Choosing("dev"));
        await using NpgsqlConnection prod = await ConnectAsync(null);

        Assert.Equal("1", await ScalarAsync(dev, "SELECT count(*) FROM silver.orders"));
        Assert.Equal("2", await ScalarAsync(prod, "SELECT count(*) FROM silver.orders"));
        Assert.Equal("1", await ScalarAsync(dev, "SELECT count(*) FROM silver.orders"));
    }

    [Fact]
    public async Task Show_names_the_sessions_environment()
    {
        await using NpgsqlConnection dev = await ConnectAsync("--medallion.environment=dev");
        await using NpgsqlConnection prod = await ConnectAsync(null);

        Assert.Equal("dev", await ScalarAsync(dev, "SHOW medallion.environment"));
        Assert.Equal("prod", await ScalarAsync(prod, "SHOW medallion.environment"));
    }

    [Fact]
    public async Task An_environment_that_does_not_exist_is_refused_with_3D000_naming_it()
    {
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ConnectAsync(Choosing("staging")));

        Assert.Equal("3D000", refused.SqlState);
        Assert.Contains("environment \"staging\" does not exist", refused.MessageText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("'; DROP TABLE silver.orders; --")]
    [InlineData("../prod")]
    [InlineData("Dev")]
    [InlineData("dev\"; SELECT 1")]
    public async Task A_name_that_cannot_be_an_environment_is_refused_with_22023_and_MDL6401(string hostile)
    {
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ConnectAsync(Choosing(hostile)));

        Assert.Equal("22023", refused.SqlState);
        Assert.Contains("MDL6401", refused.MessageText, StringComparison.Ordinal);
        Assert.Equal("2", await _served.SqlScalarAsync("SELECT count(*) FROM silver.orders"));
    }

    [Fact]
    public async Task A_name_of_five_thousand_characters_is_refused_with_22023_quoting_only_its_start()
    {
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ConnectAsync(Choosing(new string('a', 5_000))));

        Assert.Equal("22023", refused.SqlState);
        Assert.Contains("MDL6401", refused.MessageText, StringComparison.Ordinal);
        Assert.True(refused.MessageText.Length < 1_000, refused.MessageText.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_startup_packet_with_a_ten_kilobyte_name_is_refused_and_the_endpoint_goes_on_serving()
    {
        // Npgsql will not send a startup packet this large, so it is written by hand: protocol 3.0 and its parameters.
        byte[] parameters = System.Text.Encoding.UTF8.GetBytes($"user\0vic\0database\0shop\0options\0{Choosing(new string('a', 10_240))}\0\0");
        byte[] packet = new byte[8 + parameters.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(packet, packet.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(4), 196608);
        parameters.CopyTo(packet, 8);
        using (var client = new System.Net.Sockets.TcpClient())
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, _served.Server.PgPort!.Value);
            System.Net.Sockets.NetworkStream stream = client.GetStream();
            await stream.WriteAsync(packet);
            byte[] answer = new byte[1];
            // The server answers with an error and closes, or closes: either way nothing else is read.
            int read = await stream.ReadAsync(answer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(read == 0 || answer[0] == (byte)'E');
        }

        Assert.Equal("2", await _served.SqlScalarAsync("SELECT count(*) FROM silver.orders"));
    }

    /// <summary>Asserts that the session names <paramref name="environment"/> and reads its silver.orders (<paramref name="orders"/> rows: 1 in dev, 2 in prod).</summary>
    private static async Task AssertReadsAsync(NpgsqlConnection session, string environment, int orders)
    {
        Assert.Equal(environment, await ScalarAsync(session, "SHOW medallion.environment"));
        Assert.Equal(orders.ToString(System.Globalization.CultureInfo.InvariantCulture), await ScalarAsync(session, "SELECT count(*) FROM silver.orders"));
    }

    [Fact]
    public async Task Setting_the_environment_in_a_session_switches_it_to_that_environments_tables()
    {
        await using NpgsqlConnection session = await ConnectAsync(null);
        await AssertReadsAsync(session, "prod", 2);

        await ScalarAsync(session, "SET medallion.environment = 'dev'");

        await AssertReadsAsync(session, "dev", 1);
    }

    [Fact]
    public async Task Set_config_of_the_environment_is_refused_naming_set_rather_than_seeming_to_switch()
    {
        await using NpgsqlConnection session = await ConnectAsync(null);

        var error = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(session, "SELECT set_config('medallion.environment', 'dev', false)"));

        Assert.Contains("set_config cannot change medallion.environment; use SET medallion.environment = 'name' between transactions", error.MessageText, StringComparison.Ordinal);
        await AssertReadsAsync(session, "prod", 2);
    }

    [Fact]
    public async Task Set_config_of_another_setting_still_answers_its_new_value_as_clients_expect()
    {
        await using NpgsqlConnection session = await ConnectAsync(null);

        Assert.Equal("public", await ScalarAsync(session, "SELECT set_config('search_path', 'public', false)"));
    }

    [Fact]
    public async Task Resetting_the_environment_goes_back_to_the_one_chosen_at_connect()
    {
        await using NpgsqlConnection session = await ConnectAsync(Choosing("dev"));
        await ScalarAsync(session, "SET medallion.environment TO prod");
        await AssertReadsAsync(session, "prod", 2);

        await ScalarAsync(session, "RESET medallion.environment");

        await AssertReadsAsync(session, "dev", 1);
    }

    [Fact]
    public async Task Discard_all_as_a_pool_sends_it_puts_the_session_back_on_its_connect_time_environment()
    {
        await using NpgsqlConnection session = await ConnectAsync(null);
        await ScalarAsync(session, "SET medallion.environment = dev");

        await ScalarAsync(session, "DISCARD ALL");

        await AssertReadsAsync(session, "prod", 2);
    }

    [Fact]
    public async Task Setting_the_environment_inside_a_transaction_block_is_refused_with_25001_and_MDL6410()
    {
        await using NpgsqlConnection session = await ConnectAsync(null);
        await using NpgsqlTransaction transaction = await session.BeginTransactionAsync();

        var refused = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(session, "SET medallion.environment = 'dev'"));
        await transaction.RollbackAsync();

        Assert.Equal("25001", refused.SqlState);
        Assert.Contains("MDL6410", refused.MessageText, StringComparison.Ordinal);
        await AssertReadsAsync(session, "prod", 2);
    }

    [Fact]
    public async Task Setting_an_environment_that_does_not_exist_is_refused_with_3D000_and_the_session_keeps_its_own()
    {
        await using NpgsqlConnection session = await ConnectAsync(Choosing("dev"));

        var refused = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(session, "SET medallion.environment = 'staging'"));

        Assert.Equal("3D000", refused.SqlState);
        Assert.Contains("environment \"staging\" does not exist", refused.MessageText, StringComparison.Ordinal);
        await AssertReadsAsync(session, "dev", 1);
    }

    [Theory]
    [InlineData("'''; DROP TABLE silver.orders; --'")]
    [InlineData("'../prod'")]
    [InlineData("'Dev'")]
    [InlineData("'dev\"; SELECT 1'")]
    [InlineData("'dev'' OR ''1''=''1'")]
    public async Task Setting_a_name_that_cannot_be_an_environment_is_refused_with_22023_and_MDL6401(string hostile)
    {
        await using NpgsqlConnection session = await ConnectAsync(null);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(session, "SET medallion.environment = " + hostile));

        Assert.Equal("22023", refused.SqlState);
        Assert.Contains("MDL6401", refused.MessageText, StringComparison.Ordinal);
        await AssertReadsAsync(session, "prod", 2);
    }

    [Fact]
    public async Task Setting_a_name_of_five_thousand_characters_is_refused_quoting_only_its_start()
    {
        await using NpgsqlConnection session = await ConnectAsync(null);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(session, $"SET medallion.environment = '{new string('a', 5_000)}'"));

        Assert.Equal("22023", refused.SqlState);
        Assert.True(refused.MessageText.Length < 1_000, refused.MessageText.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await AssertReadsAsync(session, "prod", 2);
    }

    [Fact]
    public async Task A_masked_user_who_switches_to_dev_reads_devs_table_masked_as_prods()
    {
        await using NpgsqlConnection session = await ConnectAsync(null, "mia", "mia-secret");
        string inProd = await ScalarAsync(session, "SELECT email FROM silver.orders WHERE order_id = 1");

        await ScalarAsync(session, "SET medallion.environment = 'dev'");

        Assert.Equal("1", await ScalarAsync(session, "SELECT count(*) FROM silver.orders"));
        Assert.Equal(inProd, await ScalarAsync(session, "SELECT email FROM silver.orders"));
    }

    [Fact]
    public async Task A_user_who_may_not_read_a_table_in_prod_may_not_read_it_after_switching_to_dev()
    {
        await using NpgsqlConnection session = await ConnectAsync(null, "mia", "mia-secret");
        var inProd = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(session, "SELECT count(*) FROM bronze.orders"));

        await ScalarAsync(session, "SET medallion.environment = 'dev'");
        var inDev = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(session, "SELECT count(*) FROM bronze.orders"));

        Assert.Equal(inProd.SqlState, inDev.SqlState);
    }

    [Fact]
    public async Task A_masked_user_reads_devs_table_masked_as_prods()
    {
        await using NpgsqlConnection dev = await ConnectAsync(Choosing("dev"), "mia", "mia-secret");
        await using NpgsqlConnection prod = await ConnectAsync(null, "mia", "mia-secret");

        string inDev = await ScalarAsync(dev, "SELECT email FROM silver.orders");
        string inProd = await ScalarAsync(prod, "SELECT email FROM silver.orders WHERE order_id = 1");

        Assert.Equal("1", await ScalarAsync(dev, "SELECT count(*) FROM silver.orders"));
        Assert.NotEqual("a@x.com", inDev);
        Assert.Equal(inProd, inDev);
    }

    /// <summary>What the SQL page answers <paramref name="sql"/> in <paramref name="environment"/>, as CSV, signed in as <paramref name="user"/>.</summary>
    private async Task<string> WebQueryAsync(string sql, string environment, string user = "vic", string password = ServedProject.ViewerPassword, string format = "csv")
    {
        using var web = new WebSession(_served);
        await web.SignInOrFailAsync(user, password);
        await web.GetAsync("/sql");
        using HttpResponseMessage response = await web.PostFormAsync("/sql", [new("sql", sql), new("environment", environment), new("format", format), new("limit", "10")]);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task The_sql_page_runs_a_query_on_the_tables_of_the_environment_chosen()
    {
        string dev = await WebQueryAsync("SELECT count(*) AS n FROM silver.orders", "dev");
        string prod = await WebQueryAsync("SELECT count(*) AS n FROM silver.orders", "prod");

        Assert.Equal("n\n1", dev.Trim().ReplaceLineEndings("\n"));
        Assert.Equal("n\n2", prod.Trim().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task The_sql_page_offers_each_environment_with_the_one_asked_for_selected()
    {
        using var web = new WebSession(_served);
        await web.SignInOrFailAsync("vic", ServedProject.ViewerPassword);

        (_, string html) = await web.GetAsync("/sql?environment=dev");

        Assert.Contains("<option value=\"prod\">prod</option>", html, StringComparison.Ordinal);
        Assert.Contains("<option value=\"dev\" selected>dev</option>", html, StringComparison.Ordinal);
    }

    /// <summary>The error the SQL page shows for <paramref name="sql"/> in <paramref name="environment"/>, as its HTML holds it.</summary>
    private async Task<string> WebQueryErrorAsync(string environment, string sql = "SELECT count(*) FROM silver.orders", string user = "vic", string password = ServedProject.ViewerPassword)
    {
        string html = await WebQueryAsync(sql, environment, user, password, "html");
        System.Text.RegularExpressions.Match error = System.Text.RegularExpressions.Regex.Match(html, "id=\"query-error\"[^>]*>.*?<pre>(.*?)</pre>", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.True(error.Success, html);
        return error.Groups[1].Value;
    }

    [Fact]
    public async Task The_sql_page_refuses_an_environment_that_does_not_exist_naming_it()
    {
        string error = await WebQueryErrorAsync("staging");

        Assert.StartsWith("MDL6403", error, StringComparison.Ordinal);
        Assert.Contains("environment &quot;staging&quot; does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sql_page_refuses_a_hostile_environment_name_and_shows_it_only_encoded()
    {
        string error = await WebQueryErrorAsync("<script>alert(1)</script>");

        Assert.StartsWith("MDL6401", error, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_masked_user_reads_devs_table_on_the_sql_page_masked_as_prods()
    {
        string dev = await WebQueryAsync("SELECT email FROM silver.orders", "dev", "mia", "mia-secret");
        string prod = await WebQueryAsync("SELECT email FROM silver.orders WHERE order_id = 1", "prod", "mia", "mia-secret");

        Assert.DoesNotContain("a@x.com", dev, StringComparison.Ordinal);
        Assert.Equal(prod, dev);
    }

    [Fact]
    public async Task A_user_who_may_not_read_a_table_in_prod_may_not_read_it_in_dev_on_the_sql_page()
    {
        string inProd = await WebQueryErrorAsync("prod", "SELECT count(*) FROM bronze.orders", "mia", "mia-secret");
        string inDev = await WebQueryErrorAsync("dev", "SELECT count(*) FROM bronze.orders", "mia", "mia-secret");

        Assert.Equal(inProd, inDev);
    }

    private async Task<List<string>> RunEnvironmentsAsync(string query)
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/runs" + query, ServedProject.Basic("vic", ServedProject.ViewerPassword));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var page = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. page.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("environment").GetString()!)];
    }

    [Fact]
    public async Task The_runs_api_lists_the_runs_of_the_environment_asked_for()
    {
        List<string> all = await RunEnvironmentsAsync(string.Empty);
        List<string> dev = await RunEnvironmentsAsync("?environment=dev");

        Assert.Contains("prod", all);
        Assert.Contains("dev", all);
        Assert.Equal(["dev"], dev.Distinct());
        Assert.Empty(await RunEnvironmentsAsync("?environment=dropped-long-ago"));
    }

    [Theory]
    [InlineData("Dev")]
    [InlineData("dev';DROP TABLE runs;--")]
    public async Task The_runs_api_refuses_a_name_that_cannot_be_an_environment_with_400_and_MDL6401(string hostile)
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/runs?environment=" + Uri.EscapeDataString(hostile), ServedProject.Basic("vic", ServedProject.ViewerPassword));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("MDL6401", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_runs_page_shows_each_runs_environment_and_filters_by_one()
    {
        using var web = new WebSession(_served);
        await web.SignInOrFailAsync("vic", ServedProject.ViewerPassword);

        (_, string all) = await web.GetAsync("/runs");
        (_, string dev) = await web.GetAsync("/runs?environment=dev");

        Assert.Contains("<td class=\"environment\">prod</td>", all, StringComparison.Ordinal);
        Assert.Contains("<td class=\"environment\">dev</td>", all, StringComparison.Ordinal);
        string devRuns = dev[dev.IndexOf("<table class=\"runs\">", StringComparison.Ordinal)..];
        Assert.Contains("<td class=\"environment\">dev</td>", devRuns, StringComparison.Ordinal);
        Assert.DoesNotContain("<td class=\"environment\">prod</td>", devRuns, StringComparison.Ordinal);
        Assert.Contains("<strong aria-current=\"true\">dev</strong>", dev, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_runs_page_names_the_environment_the_run_built()
    {
        string run = (await _served.Catalog.Runs.QueryRunsAsync(new RunQuery { Environment = "dev", Limit = 1 })).Runs.Single().Id;
        using var web = new WebSession(_served);
        await web.SignInOrFailAsync("vic", ServedProject.ViewerPassword);

        (_, string html) = await web.GetAsync("/runs/" + run);

        Assert.Contains("<dd id=\"run-environment\">dev</dd>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_runs_page_refuses_a_hostile_environment_name_with_400_showing_it_only_encoded()
    {
        using var web = new WebSession(_served);
        await web.SignInOrFailAsync("vic", ServedProject.ViewerPassword);

        (System.Net.HttpStatusCode status, string html) = await web.GetAsync("/runs?environment=" + Uri.EscapeDataString("<script>x</script>"));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, status);
        Assert.DoesNotContain("<script>x", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
    }

    private async Task<(System.Net.HttpStatusCode Status, string Body)> QualityAsync(string query)
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/tables/silver.orders/quality" + query, ServedProject.Basic("vic", ServedProject.ViewerPassword));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static List<string> LatestRules(string body)
    {
        using var quality = System.Text.Json.JsonDocument.Parse(body);
        return [.. quality.RootElement.GetProperty("latest").EnumerateArray().Select(r => r.GetProperty("rule").GetString()!)];
    }

    [Fact]
    public async Task The_quality_api_answers_the_results_of_the_table_the_environment_asked_for_reads()
    {
        (_, string prod) = await QualityAsync(string.Empty);
        (System.Net.HttpStatusCode status, string dev) = await QualityAsync("?environment=dev");

        // Prod's silver.orders checks two rules; dev's build of it has none, and prod's results are not dev's.
        Assert.Equal(2, LatestRules(prod).Count);
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        Assert.Empty(LatestRules(dev));
    }

    [Fact]
    public async Task The_quality_api_answers_404_for_an_environment_that_holds_nothing_and_400_for_a_hostile_name()
    {
        (System.Net.HttpStatusCode missing, string missingBody) = await QualityAsync("?environment=staging");
        (System.Net.HttpStatusCode hostile, string hostileBody) = await QualityAsync("?environment=" + Uri.EscapeDataString("dev' OR '1'='1"));

        Assert.Equal((System.Net.HttpStatusCode.NotFound, System.Net.HttpStatusCode.BadRequest), (missing, hostile));
        Assert.Contains("There is no environment 'staging'.", missingBody, StringComparison.Ordinal);
        Assert.Contains("MDL6401", hostileBody, StringComparison.Ordinal);
    }
}
