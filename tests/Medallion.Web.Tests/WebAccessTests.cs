using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Medallion.Catalog;
using Medallion.Server.Tests;
using Medallion.Server.Web;

namespace Medallion.Web.Tests;

/// <summary>Who gets into the web UI and how: the sign-in, the session cookie's flags, anti-forgery, and roles, over plain HTTP.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class WebAccessTests : IAsyncLifetime
{
    private readonly RecordingLog _log = new();
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync(options => options with { Logs = _log });

    public async Task DisposeAsync()
    {
        await _served.DisposeAsync();
        _log.Dispose();
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/jobs")]
    [InlineData("/catalog?q=orders")]
    [InlineData("/tables/silver.orders")]
    [InlineData("/sources")]
    [InlineData("/sql")]
    public async Task A_page_without_a_session_redirects_to_the_sign_in_page(string path)
    {
        using var session = new WebSession(_served);
        using HttpResponseMessage response = await session.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login?ReturnUrl=", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/tables/silver/orders")]
    [InlineData("/no-such-page")]
    public async Task A_path_nothing_serves_is_refused_without_a_session_and_logs_no_error(string path)
    {
        using var session = new WebSession(_served);
        using HttpResponseMessage response = await session.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain(_log.Events, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Fact]
    public async Task The_health_endpoints_and_the_assets_answer_without_a_session()
    {
        using var session = new WebSession(_served);
        (HttpStatusCode login, string html) = await session.GetAsync("/login");
        string css = System.Text.RegularExpressions.Regex.Match(html, "href=\"(/assets/app.css[^\"]*)\"").Groups[1].Value;

        Assert.Equal(
            (HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK),
            (login, (await session.Http.GetAsync("/healthz")).StatusCode, (await session.Http.GetAsync("/readyz")).StatusCode, (await session.Http.GetAsync(WebUtility.HtmlDecode(css))).StatusCode));
    }

    [Fact]
    public async Task Signing_in_sets_a_session_cookie_that_is_http_only_and_same_site_strict_and_not_secure_over_plain_http()
    {
        using var session = new WebSession(_served);
        using HttpResponseMessage response = await session.SignInAsync("ana", ServedProject.OperatorPassword);

        string cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(WebUi.SessionCookie + "=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Equal((HttpStatusCode.Redirect, "/"), (response.StatusCode, response.Headers.Location!.OriginalString));
        Assert.Contains("; httponly", cookie, StringComparison.Ordinal);
        Assert.Contains("; samesite=strict", cookie, StringComparison.Ordinal);
        Assert.DoesNotContain("; secure", cookie, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/%09/evil.com")]
    [InlineData("/\t/evil.com")]
    [InlineData("/\n/evil.com")]
    [InlineData("/\r\nSet-Cookie: stolen=1")]
    [InlineData("/%0d%0aSet-Cookie:%20stolen=1")]
    [InlineData("//evil.com")]
    [InlineData("/\\evil.com")]
    [InlineData("/%5Cevil.com")]
    [InlineData("/%2F/evil.com")]
    [InlineData("/%2f%2fevil.com")]
    [InlineData("https://evil.com/")]
    [InlineData("javascript:alert(1)")]
    [InlineData(" /jobs")]
    [InlineData("%2F%2Fevil.com")]
    [InlineData("/caf\u00e9")]
    public async Task A_sign_in_whose_return_address_is_not_a_path_of_this_server_goes_home(string returnUrl)
    {
        using var session = new WebSession(_served);
        (HttpStatusCode form, _) = await session.GetAsync("/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        using HttpResponseMessage response = await session.PostFormAsync("/login", [new("user", "ana"), new("password", ServedProject.OperatorPassword), new("returnUrl", returnUrl)]);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Redirect, "/"), (form, response.StatusCode, response.Headers.Location?.OriginalString));
    }

    [Fact]
    public async Task A_sign_in_form_with_a_null_character_is_refused_as_unreadable_not_a_server_error()
    {
        using var session = new WebSession(_served);
        (HttpStatusCode form, _) = await session.GetAsync("/login?returnUrl=%2F%00%2Fevil.com");
        using HttpResponseMessage response = await session.PostFormAsync("/login", [new("user", "ana"), new("password", ServedProject.OperatorPassword), new("returnUrl", "/\u0000/evil.com")]);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.BadRequest), (form, response.StatusCode));
        Assert.StartsWith("the form cannot be read: ", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/jobs")]
    [InlineData("/runs/01JABC?tab=logs")]
    [InlineData("/catalog?q=orders%20by%20day")]
    public async Task A_sign_in_returns_to_the_page_of_this_server_it_was_asked_from(string returnUrl)
    {
        using var session = new WebSession(_served);
        await session.GetAsync("/login");
        using HttpResponseMessage response = await session.PostFormAsync("/login", [new("user", "ana"), new("password", ServedProject.OperatorPassword), new("returnUrl", returnUrl)]);

        Assert.Equal((HttpStatusCode.Redirect, returnUrl), (response.StatusCode, response.Headers.Location?.OriginalString));
    }

    [Fact]
    public async Task The_language_switch_returns_home_when_its_return_address_is_another_site()
    {
        using var session = new WebSession(_served);
        await session.GetAsync("/login");
        using HttpResponseMessage response = await session.PostFormAsync("/language", [new("lang", "pt-BR"), new("return", "/%09/evil.com")]);

        Assert.Equal((HttpStatusCode.Redirect, "/"), (response.StatusCode, response.Headers.Location?.OriginalString));
    }

    [Fact]
    public async Task A_wrong_password_shows_the_sign_in_page_again_without_a_session()
    {
        using var session = new WebSession(_served);
        using HttpResponseMessage response = await session.SignInAsync("ana", "not-her-password");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("The user name or password is wrong.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out IEnumerable<string>? cookies) && cookies.Any(c => c.StartsWith(WebUi.SessionCookie + "=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_sign_in_without_the_anti_forgery_token_is_refused()
    {
        using var session = new WebSession(_served);
        await session.GetAsync("/login");
        using HttpResponseMessage response = await session.PostFormAsync("/login", [new("user", "ana"), new("password", ServedProject.OperatorPassword)], withToken: false);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task An_api_action_authenticated_by_the_session_cookie_needs_the_anti_forgery_header()
    {
        using var session = new WebSession(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);

        using HttpResponseMessage forged = await session.Http.PostAsync("/api/jobs/refresh/unpause", null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/refresh/unpause") { Headers = { { WebUi.AntiforgeryHeader, session.Token } } };
        using HttpResponseMessage genuine = await session.Http.SendAsync(request);

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.OK), (forged.StatusCode, genuine.StatusCode));
    }

    [Fact]
    public async Task A_viewer_gets_no_action_buttons_and_a_viewers_api_action_is_forbidden_even_with_the_token()
    {
        using var session = new WebSession(_served);
        await session.SignInOrFailAsync("vic", ServedProject.ViewerPassword);
        (HttpStatusCode status, string jobs) = await session.GetAsync("/jobs");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/nightly/trigger") { Headers = { { WebUi.AntiforgeryHeader, session.Token } } };
        using HttpResponseMessage trigger = await session.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("nightly", jobs, StringComparison.Ordinal);
        Assert.DoesNotContain("data-action", jobs, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, trigger.StatusCode);
    }

    [Fact]
    public async Task A_viewer_granted_operate_on_the_server_gets_the_action_buttons_without_signing_in_again()
    {
        using var session = new WebSession(_served);
        await session.SignInOrFailAsync("vic", ServedProject.ViewerPassword);
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Operate, AccessObjectKind.Server, "server", [], GranteeKind.User, "vic"));

        (HttpStatusCode status, string jobs) = await session.GetAsync("/jobs");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("data-action", jobs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_removed_user_loses_the_session()
    {
        using var session = new WebSession(_served);
        await session.SignInOrFailAsync("vic", ServedProject.ViewerPassword);
        await _served.Catalog.Identity.RemoveUserAsync("vic");
        using HttpResponseMessage response = await session.Http.GetAsync("/jobs");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    [Fact]
    public async Task Signing_out_ends_the_session()
    {
        using var session = new WebSession(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);
        using HttpResponseMessage signOut = await session.PostFormAsync("/logout", []);
        using HttpResponseMessage after = await session.Http.GetAsync("/");

        Assert.Equal((HttpStatusCode.Redirect, HttpStatusCode.Redirect), (signOut.StatusCode, after.StatusCode));
        Assert.StartsWith("/login", after.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_browsers_language_picks_brazilian_portuguese_and_the_switch_overrides_it()
    {
        using var session = new WebSession(_served, "pt-BR,pt;q=0.9,en;q=0.5");
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);
        (_, string portuguese) = await session.GetAsync("/jobs");
        using HttpResponseMessage switched = await session.PostFormAsync("/language", [new("lang", "en"), new("return", "/jobs")]);
        (_, string english) = await session.GetAsync("/jobs");

        Assert.Contains("<html lang=\"pt-BR\">", portuguese, StringComparison.Ordinal);
        Assert.Contains(">Tarefas</a>", portuguese, StringComparison.Ordinal);
        Assert.Contains("todo dia às 03:00 (horário America/Sao_Paulo)", portuguese, StringComparison.Ordinal);
        Assert.Equal("/jobs", switched.Headers.Location!.OriginalString);
        Assert.Contains(">Jobs</a>", english, StringComparison.Ordinal);
        // ICU writes "3:00 AM" with a narrow no-break space, which the page carries as a character reference.
        Assert.Matches("every day at 3:00(&#x202F;|\u202F| )AM \\(America/Sao_Paulo time\\)", english);
    }

    [Fact]
    public async Task The_sql_page_writes_numbers_by_locale_and_refuses_statements_that_change_data()
    {
        using var session = new WebSession(_served, "pt-BR");
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);
        await session.GetAsync("/sql");
        using HttpResponseMessage query = await session.PostFormAsync("/sql", [new("sql", "SELECT CAST(1234.56 AS DECIMAL(10, 2)) AS amount, 1234567 AS n"), new("limit", "10")]);
        using HttpResponseMessage write = await session.PostFormAsync("/sql", [new("sql", "DROP TABLE silver.orders"), new("limit", "10")]);

        string html = await query.Content.ReadAsStringAsync();
        // The invariant value rides along for the script (the chart), whatever the page's locale.
        Assert.Contains("<td class=\"num\" data-value=\"1234.56\">1.234,56</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\" data-value=\"1234567\">1.234.567</td>", html, StringComparison.Ordinal);
        // The page rendered as asked: the refusal is its content, not an error answer.
        Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        Assert.Contains("MDL", await write.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sql_page_downloads_the_rows_as_csv()
    {
        using var session = new WebSession(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);
        await session.GetAsync("/sql");
        using HttpResponseMessage csv = await session.PostFormAsync("/sql", [new("sql", "SELECT order_id, email, amount FROM silver.orders ORDER BY order_id"), new("limit", "10"), new("format", "csv")]);

        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment; filename=\"query.csv\"", csv.Content.Headers.ContentDisposition!.ToString());
        Assert.Equal("order_id,email,amount\r\n1,a@x.com,10.00\r\n2,b@x.com,20.00\r\n", await csv.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_csv_download_writes_text_a_spreadsheet_would_run_as_a_formula_as_text_and_numbers_as_numbers()
    {
        using var session = new WebSession(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);
        await session.GetAsync("/sql");
        const string Query = """
            SELECT * FROM (VALUES
                (1, '=HYPERLINK("http://evil","x")', -5, CAST(-1.50 AS DECIMAL(4, 2))),
                (2, '+1+cmd|'' /C calc''!A0', -7, -2.25),
                (3, '-2+3', 0, 0),
                (4, '@SUM(A1:A9)', 1, 1),
                (5, chr(9) || '=1+1', 2, 2),
                (6, chr(13) || '=1+1', 3, 3),
                (7, 'plain = text', 4, 4)) AS t(id, "=label", n, amount)
            ORDER BY id
            """;
        using HttpResponseMessage csv = await session.PostFormAsync("/sql", [new("sql", Query), new("limit", "10"), new("format", "csv")]);

        Assert.Equal(
            "id,'=label,n,amount\r\n"
            + "1,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",-5,-1.50\r\n"
            + "2,'+1+cmd|' /C calc'!A0,-7,-2.25\r\n"
            + "3,'-2+3,0,0.00\r\n"
            + "4,'@SUM(A1:A9),1,1.00\r\n"
            + "5,'\t=1+1,2,2.00\r\n"
            + "6,\"'\r=1+1\",3,3.00\r\n"
            + "7,plain = text,4,4.00\r\n",
            await csv.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Names_and_values_from_the_project_are_encoded_in_the_pages()
    {
        using var session = new WebSession(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);
        await session.GetAsync("/sql");
        using HttpResponseMessage query = await session.PostFormAsync("/sql", [new("sql", "SELECT '<script>alert(1)</script>' AS \"<b>x</b>\""), new("limit", "10")]);
        string html = await query.Content.ReadAsStringAsync();

        Assert.DoesNotContain("<script>alert(1)</script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;x&lt;/b&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_forbid_framing_and_scripts_from_elsewhere()
    {
        using var session = new WebSession(_served);
        using HttpResponseMessage response = await session.Http.GetAsync("/login");

        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }
}
