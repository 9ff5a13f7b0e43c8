using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.PgWire;

namespace Medallion.Server.Tests;

/// <summary>
/// <c>/api/saved-queries</c>: queries kept on the server, each its owner's to change, shared ones readable by every
/// signed-in user; as ana (an admin), and rita, who is neither an admin nor an operator.
/// </summary>
public sealed class SavedQueryEndpointTests : IAsyncLifetime
{
    private const string RitaPassword = "rita-secret";
    private static readonly AuthenticationHeaderValue s_ana = ServedProject.Basic("ana", ServedProject.OperatorPassword);
    private static readonly AuthenticationHeaderValue s_rita = ServedProject.Basic("rita", RitaPassword);
    private ServedProject _served = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        await _served.Catalog.Identity.SetUserAsync("rita", PgUserStore.CreateScramVerifier(RitaPassword));
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task A_query_a_user_saves_is_listed_for_them_with_its_owner_and_its_text_as_given()
    {
        using HttpResponseMessage saved = await SaveAsync(s_rita, "rita", "Big orders", new { sql = "SELECT * FROM silver.orders WHERE amount > 15\n", description = "Over 15." });

        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        Assert.Equal(
            [("rita", "Big orders", "SELECT * FROM silver.orders WHERE amount > 15\n", "Over 15.", false)],
            await ListAsync(s_rita));
    }

    [Fact]
    public async Task Saving_a_name_again_in_another_case_replaces_the_query_with_200()
    {
        (await SaveAsync(s_rita, "rita", "Big orders", new { sql = "SELECT 1" })).Dispose();

        using HttpResponseMessage again = await SaveAsync(s_rita, "rita", "BIG ORDERS", new { sql = "SELECT 2", shared = true });

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal([("rita", "BIG ORDERS", "SELECT 2", (string?)null, true)], await ListAsync(s_rita));
    }

    [Fact]
    public async Task Another_user_sees_a_shared_query_with_its_owner_but_not_a_private_one()
    {
        (await SaveAsync(s_ana, "ana", "Revenue", new { sql = "SELECT * FROM gold.revenue", shared = true })).Dispose();
        (await SaveAsync(s_ana, "ana", "Drafts", new { sql = "SELECT 1" })).Dispose();
        (await SaveAsync(s_rita, "rita", "Mine", new { sql = "SELECT 2" })).Dispose();

        Assert.Equal([("rita", "Mine", "SELECT 2", (string?)null, false), ("ana", "Revenue", "SELECT * FROM gold.revenue", null, true)], await ListAsync(s_rita));
        using HttpResponseMessage shared = await _served.GetAsync("/api/saved-queries/ana/revenue", s_rita);
        using HttpResponseMessage hidden = await _served.GetAsync("/api/saved-queries/ana/Drafts", s_rita);
        Assert.Equal(HttpStatusCode.OK, shared.StatusCode);
        (HttpStatusCode status, string code, _, string detail) = await ServedProject.ProblemAsync(hidden);
        Assert.Equal((HttpStatusCode.NotFound, "MDL6903"), (status, code));
        Assert.StartsWith("there is no saved query 'Drafts' of ana that you may see", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_users_save_over_a_shared_query_is_a_403_that_changes_nothing()
    {
        (await SaveAsync(s_ana, "ana", "Revenue", new { sql = "SELECT * FROM gold.revenue", shared = true })).Dispose();

        using HttpResponseMessage refused = await SaveAsync(s_rita, "ana", "Revenue", new { sql = "SELECT 'replaced'", shared = true });

        (HttpStatusCode status, _, _, string detail) = await ServedProject.ProblemAsync(refused);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.StartsWith("user rita may not save over a query saved by ana: only its owner changes it", detail, StringComparison.Ordinal);
        Assert.Equal("SELECT * FROM gold.revenue", (await _served.Catalog.SavedQueries.FindAsync("ana", "Revenue"))!.Sql);
    }

    [Fact]
    public async Task Another_users_delete_is_a_403_that_changes_nothing()
    {
        (await SaveAsync(s_ana, "ana", "Revenue", new { sql = "SELECT * FROM gold.revenue", shared = true })).Dispose();

        using HttpResponseMessage refused = await DeleteAsync(s_rita, "/api/saved-queries/ana/Revenue");

        (HttpStatusCode status, _, _, string detail) = await ServedProject.ProblemAsync(refused);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.StartsWith("user rita may not delete a query saved by ana: only its owner changes it (or an admin deletes it)", detail, StringComparison.Ordinal);
        Assert.NotNull(await _served.Catalog.SavedQueries.FindAsync("ana", "Revenue"));
    }

    [Fact]
    public async Task An_admin_deletes_another_users_query()
    {
        (await SaveAsync(s_rita, "rita", "Mine", new { sql = "SELECT 1" })).Dispose();

        using HttpResponseMessage deleted = await DeleteAsync(s_ana, "/api/saved-queries/rita/mine");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await ListAsync(s_rita));
    }

    [Fact]
    public async Task Saves_deletes_and_refusals_are_audited_as_who_asked()
    {
        (await SaveAsync(s_rita, "rita", "Mine", new { sql = "SELECT 1", shared = true })).Dispose();
        (await DeleteAsync(s_ana, "/api/saved-queries/rita/Mine")).Dispose();
        (await SaveAsync(s_rita, "ana", "Theirs", new { sql = "SELECT 1" })).Dispose();

        Assert.Equal(
            "rita|query.save|rita/Mine|ok|shared; ana|query.delete|rita/Mine|ok|; rita|query.save|ana/Theirs|error|private",
            await _served.WaitForSqlAsync(
                "SELECT string_agg(concat_ws('|', \"user\", action, target, outcome, coalesce(details::json->>'detail', '')), '; ' ORDER BY occurred_at, id) FROM medallion_audit.events WHERE action LIKE 'query.%'",
                "rita|query.save|rita/Mine|ok|shared; ana|query.delete|rita/Mine|ok|; rita|query.save|ana/Theirs|error|private"));
        Assert.Equal(["ana delete query rita/Mine", "rita save query rita/Mine"], (await _served.Catalog.Identity.ListServerActionsAsync()).Select(a => $"{a.User} {a.Action} {a.Target}"));
    }

    [Theory]
    [InlineData("Revenue", 100_001, "The SQL is 100001 characters long; a saved query keeps at most 100000.")]
    [InlineData("a%2Fb", 10, "The name 'a/b' holds '/', which a saved query's name may not.")]
    [InlineData("%20%20", 10, "A saved query needs a name.")]
    public async Task A_save_past_a_limit_is_a_400_whose_detail_says_which(string name, int sqlLength, string detail)
    {
        using HttpResponseMessage refused = await SaveAsync(s_rita, "rita", name, new { sql = "SELECT 1".PadRight(sqlLength) });

        (HttpStatusCode status, string code, _, string problem) = await ServedProject.ProblemAsync(refused);
        Assert.Equal((HttpStatusCode.BadRequest, "MDL6914", detail), (status, code, problem.Split('\n')[0]));
        Assert.Empty(await ListAsync(s_rita));
    }

    [Fact]
    public async Task A_name_longer_than_a_hundred_characters_is_a_400_whose_detail_says_so()
    {
        using HttpResponseMessage refused = await SaveAsync(s_rita, "rita", new string('n', 101), new { sql = "SELECT 1" });

        (HttpStatusCode status, _, _, string detail) = await ServedProject.ProblemAsync(refused);
        Assert.Equal((HttpStatusCode.BadRequest, $"The name '{new string('n', 20)}…' is 101 characters long; a saved query's name has at most 100."), (status, detail));
    }

    [Fact]
    public async Task The_five_hundred_and_first_query_of_a_user_is_a_400_whose_detail_says_so()
    {
        for (int i = 0; i < SavedQueryStore.MaxPerOwner; i++)
        {
            await _served.Catalog.SavedQueries.SaveAsync("rita", $"q{i}", "SELECT 1", null, shared: false);
        }

        using HttpResponseMessage refused = await SaveAsync(s_rita, "rita", "one more", new { sql = "SELECT 1" });

        (HttpStatusCode status, _, _, string detail) = await ServedProject.ProblemAsync(refused);
        Assert.Equal((HttpStatusCode.BadRequest, "rita already keeps 500 saved queries, as many as one user may; 'one more' was not saved."), (status, detail.Split('\n')[0]));
    }

    [Fact]
    public async Task A_save_from_a_signed_in_browser_without_the_anti_forgery_token_is_refused_and_saves_nothing()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("rita", RitaPassword);
        using var forged = new HttpRequestMessage(HttpMethod.Put, "/api/saved-queries/rita/Forged") { Content = JsonContent.Create(new { sql = "SELECT 1" }) };

        using HttpResponseMessage response = await session.Http.SendAsync(forged);

        (HttpStatusCode status, _, _, string detail) = await ServedProject.ProblemAsync(response);
        Assert.Equal((HttpStatusCode.BadRequest, "the anti-forgery token is missing or does not match this session: reload the page and try again"), (status, detail));
        Assert.Null(await _served.Catalog.SavedQueries.FindAsync("rita", "Forged"));
    }

    [Fact]
    public async Task A_save_from_another_sites_page_riding_on_cached_basic_credentials_is_refused_and_saves_nothing()
    {
        using var forged = new HttpRequestMessage(HttpMethod.Put, "/api/saved-queries/rita/Forged")
        {
            Headers = { Authorization = s_rita },
            Content = new StringContent("{\"sql\": \"SELECT 1\"}", Encoding.UTF8, "text/plain"),
        };
        forged.Headers.TryAddWithoutValidation("Origin", "https://evil.example");

        using HttpResponseMessage response = await _served.Http.SendAsync(forged);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await _served.Catalog.SavedQueries.FindAsync("rita", "Forged"));
    }

    [Fact]
    public async Task A_signed_in_browser_with_the_token_saves_a_query()
    {
        using WebSession session = new(_served);
        await session.SignInOrFailAsync("rita", RitaPassword);
        await session.GetAsync("/sql");
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/saved-queries/rita/From%20the%20page") { Content = JsonContent.Create(new { sql = "SELECT 1" }) };
        request.Headers.Add("X-Medallion-Antiforgery", session.Token);

        using HttpResponseMessage response = await session.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.NotNull(await _served.Catalog.SavedQueries.FindAsync("rita", "From the page"));
    }

    private async Task<HttpResponseMessage> SaveAsync<T>(AuthenticationHeaderValue who, string owner, string name, T body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/saved-queries/{owner}/{name}") { Content = JsonContent.Create(body), Headers = { Authorization = who } };
        return await _served.Http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> DeleteAsync(AuthenticationHeaderValue who, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, path) { Headers = { Authorization = who } };
        return await _served.Http.SendAsync(request);
    }

    /// <summary>The saved queries <paramref name="who"/> is listed, in the order listed: owner, name, SQL, description, shared.</summary>
    private async Task<List<(string, string, string, string?, bool)>> ListAsync(AuthenticationHeaderValue who)
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/saved-queries", who);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument list = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. list.RootElement.EnumerateArray().Select(q => (
            q.GetProperty("owner").GetString()!, q.GetProperty("name").GetString()!, q.GetProperty("sql").GetString()!,
            q.GetProperty("description").GetString(), q.GetProperty("shared").GetBoolean()))];
    }
}
