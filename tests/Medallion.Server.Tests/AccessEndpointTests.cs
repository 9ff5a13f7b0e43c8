using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.Ingestion.Tests;
using Medallion.PgWire;
using Npgsql;

namespace Medallion.Server.Tests;

/// <summary>
/// The REST API's users, roles, grants, masks, row filters and tokens through the real server: an admin's acts take effect on the SQL
/// endpoint and the API at once and are audited; anyone else, and a forged cross-site request, changes nothing; a
/// password is in no answer, log line or audit row.
/// </summary>
public sealed class AccessEndpointTests : IAsyncLifetime
{
    private const string NewPassword = "Rita-pw-7731-unique";
    private static readonly string[] s_operator = ["operator"];
    private static readonly string[] s_noSuchRole = ["nosuchrole"];
    private readonly RecordingLog _log = new();
    private ServedProject _served = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync(options => options with { Logs = _log });
        // Neither is an admin: one only reads through the server, the other also steers runs.
        await _served.Catalog.Identity.SetUserAsync("val", PgUserStore.CreateScramVerifier("val-secret"));
        await _served.Catalog.Identity.SetUserAsync("olga", PgUserStore.CreateScramVerifier("olga-secret"));
        await _served.Catalog.Identity.SetUserRoleAsync("olga", ServerRole.Operator);
    }

    public async Task DisposeAsync()
    {
        await _served.DisposeAsync();
        _log.Dispose();
    }

    private static AuthenticationHeaderValue Admin => ServedProject.Basic("ana", ServedProject.OperatorPassword);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, AuthenticationHeaderValue authorization)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Headers = { Authorization = authorization },
            Content = body is null ? null : JsonContent.Create(body),
        };
        return await _served.Http.SendAsync(request);
    }

    private async Task<NpgsqlConnection> ConnectAsync(string user, string password)
    {
        var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={_served.Server.PgPort};Username={user};Password={password};Database=shop;Pooling=false;Timeout=60");
        await connection.OpenAsync();
        return connection;
    }

    [Fact]
    public async Task A_user_an_admin_adds_over_rest_signs_in_to_the_sql_endpoint_with_that_password_and_the_act_is_audited_as_the_admin()
    {
        using HttpResponseMessage added = await SendAsync(HttpMethod.Post, "/api/users", new { name = "rita", password = NewPassword, roles = s_operator }, Admin);

        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        using JsonDocument user = JsonDocument.Parse(await added.Content.ReadAsStringAsync());
        Assert.Equal(("rita", "operator", false), (user.RootElement.GetProperty("name").GetString(), user.RootElement.GetProperty("role").GetString(), user.RootElement.GetProperty("admin").GetBoolean()));
        await using (NpgsqlConnection connection = await ConnectAsync("rita", NewPassword))
        {
            Assert.Equal(System.Data.ConnectionState.Open, connection.State);
        }

        Assert.Equal("ana|api|user.add|rita|ok|{\"roles\":[\"operator\"],\"admin\":false}", await _served.WaitForSqlAsync(
            "SELECT concat_ws('|', \"user\", channel, action, target, outcome, details) FROM medallion_audit.events WHERE kind = 'admin'",
            "ana|api|user.add|rita|ok|{\"roles\":[\"operator\"],\"admin\":false}"));
    }

    [Theory]
    [InlineData("val", "val-secret")]
    [InlineData("olga", "olga-secret")]
    public async Task A_viewer_or_operator_who_is_no_admin_is_refused_every_admin_act_and_nothing_changes(string user, string password)
    {
        AuthenticationHeaderValue caller = ServedProject.Basic(user, password);
        (HttpMethod Method, string Path, object? Body)[] acts =
        [
            (HttpMethod.Get, "/api/users", null),
            (HttpMethod.Post, "/api/users", new { name = "mallory", password = "m-secret", admin = true }),
            (HttpMethod.Delete, "/api/users/vic", null),
            (HttpMethod.Put, $"/api/users/{user}/role", new { role = "operator" }),
            (HttpMethod.Post, "/api/roles", new { name = "crew" }),
            (HttpMethod.Post, "/api/grants", new { grant = "admin on server", grantee = user }),
            (HttpMethod.Post, $"/api/users/{user}/tokens", new { expires = "1h" }),
            (HttpMethod.Get, "/api/grants", null),
            (HttpMethod.Put, "/api/masks/pii", new { policy = "null" }),
            (HttpMethod.Get, "/api/masks", null),
            (HttpMethod.Put, $"/api/row-filters/silver.orders/{user}", new { predicate = "true" }),
            (HttpMethod.Get, "/api/row-filters", null),
        ];

        foreach ((HttpMethod method, string path, object? body) in acts)
        {
            using HttpResponseMessage refused = await SendAsync(method, path, body, caller);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains($"user {user} is not an admin", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(["ana", "olga", "val", "vic"], (await _served.Catalog.Identity.ListUsersAsync()).Select(u => u.Name));
        Assert.Equal(user == "olga" ? ServerRole.Operator : ServerRole.Viewer, (await _served.Catalog.Identity.FindUserAsync(user))!.Role);
        Assert.Empty(await _served.Catalog.Access.ListRolesAsync());
        Assert.Empty(await _served.Catalog.Access.ListGrantsAsync());
        Assert.Empty(await _served.Catalog.Identity.ListApiTokensAsync());
        Assert.Empty(await _served.Catalog.Access.ListMaskingPoliciesAsync());
        Assert.Empty(await _served.Catalog.Access.ListRowFiltersAsync());
    }

    [Fact]
    public async Task An_admin_cannot_remove_themselves_and_stays_able_to_sign_in()
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Delete, "/api/users/ana", null, Admin);

        (HttpStatusCode status, _, _, string detail) = await ServedProject.ProblemAsync(response);
        Assert.Equal((HttpStatusCode.BadRequest, "User ana cannot remove themselves: it is the user this session acts as."), (status, detail.Split('\n')[0]));
        Assert.NotNull(await _served.Catalog.Identity.FindUserAsync("ana"));
        using HttpResponseMessage still = await SendAsync(HttpMethod.Get, "/api/users", null, Admin);
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Theory]
    [InlineData("text/plain", "Origin", "https://evil.example")]
    [InlineData("application/json", "Origin", "https://evil.example")]
    [InlineData("application/json", "Sec-Fetch-Site", "cross-site")]
    [InlineData("application/x-www-form-urlencoded", null, null)]
    public async Task A_forged_cross_site_post_riding_on_an_admins_cached_basic_credentials_adds_no_user(string contentType, string? header, string? value)
    {
        using var forged = new HttpRequestMessage(HttpMethod.Post, "/api/users")
        {
            Headers = { Authorization = Admin },
            Content = new StringContent("{\"name\":\"mallory\",\"password\":\"m-secret\",\"admin\":true}", Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType)),
        };
        if (header is not null)
        {
            forged.Headers.TryAddWithoutValidation(header, value);
        }

        using HttpResponseMessage response = await _served.Http.SendAsync(forged);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await _served.Catalog.Identity.FindUserAsync("mallory"));
    }

    [Theory]
    [InlineData("/api/masks/pii", "{\"policy\":\"null\"}", "application/json", "Origin", "https://evil.example")]
    [InlineData("/api/masks/pii", "{\"policy\":\"null\"}", "text/plain", null, null)]
    [InlineData("/api/row-filters/silver.orders/vic", "{\"predicate\":\"false\"}", "application/json", "Sec-Fetch-Site", "cross-site")]
    [InlineData("/api/row-filters/silver.orders/vic", "{\"predicate\":\"false\"}", "application/x-www-form-urlencoded", null, null)]
    public async Task A_forged_cross_site_put_of_a_mask_or_row_filter_riding_on_an_admins_cached_basic_credentials_changes_nothing(string path, string body, string contentType, string? header, string? value)
    {
        using var forged = new HttpRequestMessage(HttpMethod.Put, path)
        {
            Headers = { Authorization = Admin },
            Content = new StringContent(body, Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType)),
        };
        if (header is not null)
        {
            forged.Headers.TryAddWithoutValidation(header, value);
        }

        using HttpResponseMessage response = await _served.Http.SendAsync(forged);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await _served.Catalog.Access.ListMaskingPoliciesAsync());
        Assert.Empty(await _served.Catalog.Access.ListRowFiltersAsync());
    }

    [Fact]
    public async Task A_mask_and_a_row_filter_an_admin_sets_over_rest_apply_to_the_users_next_sql_session_are_listed_and_audited()
    {
        using (HttpResponseMessage added = await SendAsync(HttpMethod.Post, "/api/users", new { name = "rita", password = NewPassword }, Admin))
        using (HttpResponseMessage granted = await SendAsync(HttpMethod.Post, "/api/grants", new { grant = "select on silver.orders", grantee = "rita" }, Admin))
        {
            Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK), (added.StatusCode, granted.StatusCode));
        }

        // Unmasked by policy, a pii column is hashed: every e-mail still has a value.
        Assert.Equal("2 rows, 2 e-mails", await ReadOrdersAsync());

        using (HttpResponseMessage masked = await SendAsync(HttpMethod.Put, "/api/masks/pii", new { policy = "null" }, Admin))
        using (HttpResponseMessage filtered = await SendAsync(HttpMethod.Put, "/api/row-filters/silver.orders/rita", new { predicate = "order_id = 2" }, Admin))
        {
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (masked.StatusCode, filtered.StatusCode));
        }

        Assert.Equal("1 rows, 0 e-mails", await ReadOrdersAsync());
        using (HttpResponseMessage masks = await _served.GetAsync("/api/masks", Admin))
        using (JsonDocument listed = JsonDocument.Parse(await masks.Content.ReadAsStringAsync()))
        {
            Assert.Equal(["pii null"], listed.RootElement.EnumerateArray().Select(m => m.GetProperty("classification").GetString() + " " + m.GetProperty("policy").GetString()));
        }

        using (HttpResponseMessage filters = await _served.GetAsync("/api/row-filters", Admin))
        using (JsonDocument listed = JsonDocument.Parse(await filters.Content.ReadAsStringAsync()))
        {
            Assert.Equal(["silver.orders rita order_id = 2"], listed.RootElement.EnumerateArray()
                .Select(f => f.GetProperty("table").GetString() + " " + f.GetProperty("grantee").GetString() + " " + f.GetProperty("predicate").GetString()));
        }

        const string Acts = "ana|api|access.mask|pii|ok, ana|api|access.filter|silver.orders|ok";
        Assert.Equal(Acts, await _served.WaitForSqlAsync(
            "SELECT string_agg(concat_ws('|', \"user\", channel, action, target, outcome), ', ' ORDER BY occurred_at, id) FROM medallion_audit.events WHERE action IN ('access.mask', 'access.filter')",
            Acts));
    }

    /// <summary>How many orders rita reads and how many of their e-mails have a value, in a new session.</summary>
    private async Task<string> ReadOrdersAsync()
    {
        await using NpgsqlConnection connection = await ConnectAsync("rita", NewPassword);
        await using var read = new NpgsqlCommand("SELECT concat(count(*), ' rows, ', count(email), ' e-mails') FROM silver.orders", connection);
        return (string)(await read.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_grant_over_rest_lets_the_user_read_the_table_on_the_sql_endpoint_and_a_revoke_takes_it_back()
    {
        using (HttpResponseMessage added = await SendAsync(HttpMethod.Post, "/api/users", new { name = "rita", password = NewPassword }, Admin))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }

        using HttpResponseMessage granted = await SendAsync(HttpMethod.Post, "/api/grants", new { grant = "select on gold.revenue", grantee = "rita" }, Admin);
        Assert.Equal("{\"grant\":\"select on gold.revenue\",\"grantee\":\"rita\",\"changed\":true}", await granted.Content.ReadAsStringAsync());
        await using (NpgsqlConnection connection = await ConnectAsync("rita", NewPassword))
        {
            await using var read = new NpgsqlCommand("SELECT revenue FROM gold.revenue", connection);
            Assert.Equal(30m, await read.ExecuteScalarAsync());
        }

        using HttpResponseMessage revoked = await SendAsync(HttpMethod.Delete, "/api/grants", new { grant = "select on gold.revenue", grantee = "rita" }, Admin);
        Assert.Equal("{\"grant\":\"select on gold.revenue\",\"grantee\":\"rita\",\"changed\":true}", await revoked.Content.ReadAsStringAsync());
        await using (NpgsqlConnection connection = await ConnectAsync("rita", NewPassword))
        {
            await using var read = new NpgsqlCommand("SELECT revenue FROM gold.revenue", connection);
            Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => read.ExecuteScalarAsync())).SqlState);
        }
    }

    [Theory]
    [InlineData("POST", "/api/grants", "{\"grant\":\"select on gold.revenue\",\"grantee\":\"rtia\"}", HttpStatusCode.NotFound, "There is no role or user 'rtia'.")]
    [InlineData("POST", "/api/grants", "{\"grant\":\"selct on gold.revenue\",\"grantee\":\"vic\"}", HttpStatusCode.BadRequest, "'selct' is not a privilege. Did you mean 'select'?")]
    [InlineData("POST", "/api/users", "{\"name\":\"rita\",\"password\":\"p\",\"roles\":[\"analysts\"]}", HttpStatusCode.NotFound, "There is no role 'analysts'.")]
    [InlineData("POST", "/api/users", "{\"name\":\" \",\"password\":\"p\"}", HttpStatusCode.BadRequest, "The user name is empty.")]
    [InlineData("DELETE", "/api/users/ghost", null, HttpStatusCode.NotFound, "There is no user 'ghost'.")]
    [InlineData("PUT", "/api/users/vic/role", "{\"role\":\"boss\"}", HttpStatusCode.BadRequest, "'boss' is not a server role.")]
    [InlineData("PUT", "/api/users/ghost/role", "{\"role\":\"operator\"}", HttpStatusCode.NotFound, "There is no user 'ghost'.")]
    [InlineData("DELETE", "/api/tokens/0123456789ab", null, HttpStatusCode.NotFound, "There is no unrevoked token '0123456789ab'.")]
    [InlineData("PUT", "/api/masks/pii", "{}", HttpStatusCode.BadRequest, "The policy is empty.")]
    [InlineData("PUT", "/api/masks/pii", "{\"policy\":\"upper(email)\"}", HttpStatusCode.BadRequest, "The masking policy of 'pii' is an expression without {column}.")]
    [InlineData("PUT", "/api/row-filters/silver.orders/vic", "{\"predicate\":\" \"}", HttpStatusCode.BadRequest, "The predicate is empty.")]
    [InlineData("PUT", "/api/row-filters/silver.ordrs/vic", "{\"predicate\":\"true\"}", HttpStatusCode.NotFound, "There is no table 'silver.ordrs'.")]
    [InlineData("PUT", "/api/row-filters/silver.orders/ghost", "{\"predicate\":\"true\"}", HttpStatusCode.NotFound, "There is no role or user 'ghost'.")]
    public async Task A_refused_admin_act_answers_the_clis_coded_message_with_its_status(string method, string path, string? body, HttpStatusCode status, string message)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Headers = { Authorization = Admin },
            Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"),
        };

        using HttpResponseMessage response = await _served.Http.SendAsync(request);

        (HttpStatusCode answered, string code, string _, string detail) = await ServedProject.ProblemAsync(response);
        Assert.Equal(status, answered);
        Assert.StartsWith("MDL", code, StringComparison.Ordinal);
        Assert.Contains(message, detail, StringComparison.Ordinal);
        Assert.Null(await _served.Catalog.Identity.FindUserAsync("rita"));
        Assert.Empty(await _served.Catalog.Access.ListMaskingPoliciesAsync());
        Assert.Empty(await _served.Catalog.Access.ListRowFiltersAsync());
    }

    [Fact]
    public async Task A_token_created_over_rest_acts_as_its_user_until_it_is_revoked()
    {
        using HttpResponseMessage created = await SendAsync(HttpMethod.Post, "/api/users/vic/tokens", new { expires = "1h" }, Admin);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using JsonDocument token = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        string secret = token.RootElement.GetProperty("secret").GetString()!;
        string id = token.RootElement.GetProperty("id").GetString()!;

        using (HttpResponseMessage project = await _served.GetAsync("/api/project", ServedProject.Bearer(secret)))
        {
            Assert.Equal(HttpStatusCode.OK, project.StatusCode);
        }

        using (HttpResponseMessage listed = await _served.GetAsync("/api/users/vic/tokens", Admin))
        {
            string tokens = await listed.Content.ReadAsStringAsync();
            Assert.Contains(id, tokens, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, tokens, StringComparison.Ordinal);
        }

        using (HttpResponseMessage revoked = await SendAsync(HttpMethod.Delete, "/api/tokens/" + id, null, Admin))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }

        using HttpResponseMessage after = await _served.GetAsync("/api/project", ServedProject.Bearer(secret));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task A_password_sent_over_rest_is_in_no_answer_log_line_or_audit_row()
    {
        var answers = new List<string>();
        foreach (object body in new object[]
        {
            new { name = "rita", password = NewPassword },
            new { name = "rita", password = NewPassword + "-changed" },
            new { name = "rita", password = NewPassword, roles = s_noSuchRole },
        })
        {
            using HttpResponseMessage response = await SendAsync(HttpMethod.Post, "/api/users", body, Admin);
            answers.Add(await response.Content.ReadAsStringAsync());
        }

        using (HttpResponseMessage users = await _served.GetAsync("/api/users", Admin))
        {
            answers.Add(await users.Content.ReadAsStringAsync());
        }

        Assert.Equal("user.add ok, user.password ok, user.add error", await _served.WaitForSqlAsync(
            "SELECT string_agg(action || ' ' || outcome, ', ' ORDER BY occurred_at, id) FROM medallion_audit.events WHERE kind = 'admin' AND target = 'rita'",
            "user.add ok, user.password ok, user.add error"));
        Assert.Equal("0", await _served.SqlScalarAsync(
                        // The password reversed, so that this statement's own audit row does not hold it either.
            $"SELECT count(*) FROM medallion_audit.events WHERE contains(concat_ws('|', statement, target, details, error_message), reverse('{new string([.. NewPassword.Reverse()])}'))"));
        Assert.All(answers, answer => Assert.DoesNotContain(NewPassword, answer, StringComparison.Ordinal));
        Assert.DoesNotContain(_log.Lines, line => line.Contains(NewPassword, StringComparison.Ordinal));
    }
}
