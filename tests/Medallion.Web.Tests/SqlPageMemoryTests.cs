using System.Globalization;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Server.Tests;

namespace Medallion.Web.Tests;

/// <summary>
/// A server under <c>--memory-limit 1GB</c>: the SQL page's queries and the SQL endpoint's draw on that one limit, rather
/// than the page opening a second database with a limit of its own (issue #35, item 6).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SqlPageMemoryTests : IAsyncLifetime
{
    private const string Password = "shared-secret";
    private ServedProject _served = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync(options => options with { Sql = options.Sql! with { MemoryLimit = "1GB" } });
        foreach (string user in new[] { "rita", "sam" })
        {
            // Neither is an admin: each reads through a database of their own, whose limit is a share of the server's.
            await _served.Catalog.Identity.SetUserAsync(user, PgUserStore.CreateScramVerifier(Password));
            await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders", [], GranteeKind.User, user), ["silver.orders"]);
        }
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task A_query_running_on_the_sql_page_takes_its_share_of_the_limit_from_the_sql_endpoints_sessions()
    {
        await using var endpoint = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={_served.Server.PgPort};Username=sam;Password={Password};Database=shop;Pooling=false;Timeout=60");
        await endpoint.OpenAsync();
        long alone = await LimitAsync(endpoint);
        var session = new WebSession(_served);
        try
        {
            await session.SignInOrFailAsync("rita", Password);
            await session.GetAsync("/sql");

            // Runs until the session goes (its request is then cancelled); meanwhile rita's database holds a share.
            Task<HttpResponseMessage> running = session.PostFormAsync("/sql", [new("sql", "SELECT count(*) FROM range(1000000000000)"), new("limit", "1")]);
            long shared = alone;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (shared * 10 > alone * 6 && !running.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(50);
                shared = await LimitAsync(endpoint);
            }

            if (running.IsCompleted)
            {
                using HttpResponseMessage ended = await running;
                Assert.Fail($"The query ended before the endpoint's share changed: {(int)ended.StatusCode} {await ended.Content.ReadAsStringAsync()}");
            }

            Assert.True(shared * 10 <= alone * 6, $"The endpoint's session kept {shared} of its {alone} bytes while the SQL page ran a query: the page has a limit of its own.");
        }
        finally
        {
            session.Dispose();
        }
    }

    /// <summary>The session's memory limit in bytes, from DuckDB's rendering (<c>953.6 MiB</c>).</summary>
    private static async Task<long> LimitAsync(Npgsql.NpgsqlConnection connection)
    {
        string size = (string)(await new Npgsql.NpgsqlCommand("SELECT setting FROM pg_settings WHERE name = 'memory_limit'", connection).ExecuteScalarAsync())!;
        string[] parts = size.Split(' ', 2);
        double factor = parts[1] switch
        {
            "bytes" => 1,
            "KiB" => 1L << 10,
            "MiB" => 1L << 20,
            "GiB" => 1L << 30,
            _ => throw new FormatException($"Not a DuckDB memory size: '{size}'."),
        };
        return (long)(double.Parse(parts[0], CultureInfo.InvariantCulture) * factor);
    }
}
