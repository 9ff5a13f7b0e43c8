using System.Net.Http.Headers;
using System.Text;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Tests;
using Microsoft.Data.Sqlite;

namespace Medallion.Server.Tests;

/// <summary>
/// A small shop project built once by the real runner (CSV orders into bronze, a documented silver model, a gold
/// total), with an operator <c>ana</c> and a viewer <c>vic</c>, served on free loopback ports.
/// </summary>
public sealed class ServedProject : IAsyncDisposable
{
    public const string OperatorPassword = "ana-secret";
    public const string ViewerPassword = "vic-secret";

    private readonly TestProject _files;
    private readonly MedallionServerOptions _options;

    private ServedProject(TestProject files, MedallionServer server, MedallionServerOptions options, CatalogStore catalog, RunResult firstRun)
    {
        _files = files;
        _options = options;
        Directory = files.Directory;
        FirstRun = firstRun;
        Server = server;
        Catalog = catalog;
        Http = new HttpClient { BaseAddress = server.HttpAddress };
    }

    public string Directory { get; }

    /// <summary>The run that built the tables before the server started.</summary>
    public RunResult FirstRun { get; }

    public MedallionServer Server { get; private set; }

    /// <summary>The project's catalog, opened beside the server's (as another CLI process would).</summary>
    public CatalogStore Catalog { get; }

    public HttpClient Http { get; }

    /// <param name="configure">Changes the server's options.</param>
    /// <param name="later">Files written after the first run and before the server starts (jobs and models the first run must not build).</param>
    /// <param name="more">Files written before the first run, which builds what they define too.</param>
    public static async Task<ServedProject> StartAsync(Func<MedallionServerOptions, MedallionServerOptions>? configure = null, Action<TestProject>? later = null, Action<TestProject>? more = null)
    {
        TestProject files = new TestProject("name: shop\nstorage: lake\n")
            .Write("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/orders/*.csv\n    target: bronze.orders\n")
            .Write("models/silver/orders.sql", """
                /* ---
                description: Orders, typed.
                owner: sales-team
                columns:
                  email:
                    classification: pii
                expectations:
                  - not_null: [order_id]
                  - accepted_values: {column: email, values: [a@x.com]}
                    severity: warn
                --- */
                SELECT CAST(order_id AS BIGINT) AS order_id, lower(email) AS email, CAST(amount AS DECIMAL(10, 2)) AS amount FROM bronze.orders
                """)
            .Write("models/gold/revenue.sql", "SELECT sum(amount) AS revenue FROM silver.orders\n")
            .Write("jobs/revenue.yml", "jobs:\n  - name: nightly\n    select: +gold.revenue\n    schedule: \"0 3 * * *\"\n    timezone: America/Sao_Paulo\n  - name: refresh\n    select: silver.orders\n    every: 15m\n    paused: true\n")
            .Write("data/orders/1.csv", "order_id,email,amount\n1,A@X.COM,10\n2,B@X.COM,20\n");
        more?.Invoke(files);
        MedallionProject project = await files.LoadAsync();
        RunResult firstRun = await ProjectRunner.RunAsync(project, new RunOptions());
        Assert.True(firstRun.Succeeded, string.Join("; ", firstRun.Steps.Select(s => s.Error)));
        later?.Invoke(files);
        string directory = files.Directory;
        CatalogStore catalog = await CatalogStore.OpenAsync(project.Resolve(project.Catalog));
        await catalog.Identity.SetUserAsync("ana", PgUserStore.CreateScramVerifier(OperatorPassword));
        await catalog.Identity.SetUserRoleAsync("ana", ServerRole.Operator);
        await catalog.Identity.SetUserAsync("vic", PgUserStore.CreateScramVerifier(ViewerPassword));
        // Both read every table: these tests are about the server's roles, not about grants.
        await catalog.Access.SetUserAdminAsync("ana", isAdmin: true);
        await catalog.Access.SetUserAdminAsync("vic", isAdmin: true);
        var options = new MedallionServerOptions { ProjectDirectory = directory, HttpPort = 0, Sql = new SqlEndpointOptions { Port = 0 }, Grace = TimeSpan.FromSeconds(5) };
        try
        {
            MedallionServerOptions configured = configure is null ? options : configure(options);
            MedallionServer server = await MedallionServer.StartAsync(configured);
            return new ServedProject(files, server, configured, catalog, firstRun);
        }
        catch
        {
            await catalog.DisposeAsync();
            SqliteConnection.ClearAllPools();
            files.Dispose();
            throw;
        }
    }

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    /// <summary>
    /// An error answer as RFC 9457 problem details (<c>application/problem+json</c>) whose type names its code and whose
    /// status member repeats the response's: its status, code, title and detail.
    /// </summary>
    public static async Task<(System.Net.HttpStatusCode Status, string Code, string Title, string Detail)> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        System.Text.Json.JsonElement root = problem.RootElement;
        string code = root.GetProperty("code").GetString()!;
        Assert.Equal(("urn:medallion:error:" + code, (int)response.StatusCode), (root.GetProperty("type").GetString(), root.GetProperty("status").GetInt32()));
        return (response.StatusCode, code, root.GetProperty("title").GetString()!, root.GetProperty("detail").GetString()!);
    }

    public async Task<HttpResponseMessage> GetAsync(string path, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = authorization } };
        return await Http.SendAsync(request);
    }

    /// <summary>The first value of <paramref name="sql"/> run over the server's SQL endpoint as <c>vic</c> (who reads every table, the audit too), as text.</summary>
    public async Task<string> SqlScalarAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={Server.PgPort};Username=vic;Password={ViewerPassword};Database=shop;Pooling=false;Timeout=60");
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    /// <summary>
    /// Runs <paramref name="sql"/> until it gives <paramref name="expected"/> (the audit is written a second or so after the act), for at most 90 s;
    /// returns its last value. Until the first event is written the audit table is not there yet, which counts as "not yet" too.
    /// </summary>
    public async Task<string> WaitForSqlAsync(string sql, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        string? value = await SqlScalarOrMissingAsync(sql, deadline);
        while (value != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            value = await SqlScalarOrMissingAsync(sql, deadline);
        }

        return value ?? await SqlScalarAsync(sql);
    }

    private async Task<string?> SqlScalarOrMissingAsync(string sql, DateTime deadline)
    {
        try
        {
            return await SqlScalarAsync(sql);
        }
        catch (Npgsql.PostgresException missing) when (missing.SqlState == "42P01" && DateTime.UtcNow < deadline)
        {
            return null;
        }
    }

    /// <summary>Stops the server and starts it again on the same project, options and HTTP port (as a deployment restarts it).</summary>
    /// <summary>Triggers <paramref name="job"/> as the operator through the API; the new run's id.</summary>
    public async Task<string> TriggerAsync(string job)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/jobs/{job}/trigger")
        {
            Headers = { Authorization = Basic("ana", OperatorPassword) },
            Content = System.Net.Http.Json.JsonContent.Create(new { }),
        };
        using HttpResponseMessage response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using System.Text.Json.JsonDocument run = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return run.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Waits (90 s at most) until the run has ended, however it ended.</summary>
    public async Task EndedAsync(string runId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while ((await Catalog.Runs.GetRunAsync(runId))!.Status is RunStatus.Queued or RunStatus.Running)
        {
            Assert.True(DateTime.UtcNow < deadline, $"run {runId} did not end");
            await Task.Delay(50);
        }
    }

    public async Task RestartAsync()
    {
        int port = Server.HttpAddress.Port;
        await Server.DisposeAsync();
        Server = await MedallionServer.StartAsync(_options with { HttpPort = port });
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        await Catalog.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _files.Dispose();
    }
}
