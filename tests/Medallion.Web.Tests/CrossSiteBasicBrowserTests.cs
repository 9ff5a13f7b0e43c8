using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Medallion.Server.Tests;
using Microsoft.Playwright;

namespace Medallion.Web.Tests;

/// <summary>
/// Issue #35, item 4, attacked by a real browser: Chromium holds the operator's HTTP Basic credentials for the server's
/// origin (as after answering a Basic challenge once: sent with every request there), and a page of another origin
/// makes it post to the API. The server must refuse what the browser sends, so the job stays unpaused and nothing is
/// recorded as the operator's act; the same browser posting JSON from the server's own page still acts, which tells
/// the defence from a setup where the attack never reached the server. And the browser never gets to cache the password:
/// the server's challenge names Bearer, so a browser that knows it is not asked for it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CrossSiteBasicBrowserTests : IAsyncLifetime
{
    private const string PausePath = "/api/jobs/nightly/pause";
    private static readonly TimeSpan s_browserWait = TimeSpan.FromMinutes(2);
    private ServedProject _served = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await BrowserScenario.LaunchAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _served.DisposeAsync();
    }

    /// <summary>The server's origin, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    private string Self => _served.Server.HttpAddress.GetLeftPart(UriPartial.Authority);

    [Theory]
    [InlineData("form", false)]
    [InlineData("fetch", false)]
    [InlineData("form", true)]
    public async Task A_page_of_another_origin_posting_through_the_browsers_cached_basic_credentials_neither_pauses_a_job_nor_acts_as_the_operator(string attack, bool fromDataUrl)
    {
        string target = Self + PausePath;
        string script = attack == "form"
            ? "document.forms[0].submit()"
            : $"fetch('{target}', {{method: 'POST', mode: 'no-cors', credentials: 'include', body: 'x'}})";
        string html = $"<!doctype html><title>cute cats</title><form method=post enctype=\"text/plain\" action=\"{target}\"><input name=x value=1></form>"
            + $"<script>addEventListener('load', () => {script});</script>";
        await using IBrowserContext browser = await WithCachedBasicCredentialsAsync();
        IPage page = await browser.NewPageAsync();
        await using var attacker = new AttackerSite(IPAddress.Parse("127.0.0.2"), html);

        IResponse answer = await page.RunAndWaitForResponseAsync(
            () => page.GotoAsync(fromDataUrl ? "data:text/html," + Uri.EscapeDataString(html) : attacker.Address.ToString()),
            response => response.Url == target);

        // The browser did send the request, with the operator's Basic credentials (without them the answer is 401), and
        // the guard refused it. A no-cors answer is opaque: the browser keeps no body of it to read.
        Assert.Equal((int)HttpStatusCode.Forbidden, answer.Status);
        if (attack == "form")
        {
            Assert.Contains("HTTP Basic credentials are not accepted from a web page of another origin", await answer.TextAsync(), StringComparison.Ordinal);
        }

        Assert.False(await IsPausedAsync());
        Assert.Empty(await _served.Catalog.Identity.ListServerActionsAsync());
    }

    [Fact]
    public async Task The_same_browser_posting_json_from_a_page_of_the_server_pauses_the_job_as_the_operator()
    {
        await using IBrowserContext browser = await WithCachedBasicCredentialsAsync();
        IPage page = await browser.NewPageAsync();
        await page.GotoAsync(Self + "/api/project");

        int status = await page.EvaluateAsync<int>(
            "async path => (await fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'})).status", PausePath);

        Assert.Equal((int)HttpStatusCode.OK, status);
        Assert.True(await IsPausedAsync());
        Assert.Equal("ana", Assert.Single(await _served.Catalog.Identity.ListServerActionsAsync()).User);
    }

    [Fact]
    public async Task A_browser_that_knows_the_operators_password_is_never_asked_for_it_so_never_caches_it()
    {
        // Playwright's browser answers a Basic challenge with these, as a user typing them in the dialog would.
        await using IBrowserContext browser = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            HttpCredentials = new HttpCredentials { Username = "ana", Password = ServedProject.OperatorPassword, Origin = Self },
        });
        browser.SetDefaultTimeout((float)s_browserWait.TotalMilliseconds);
        IPage page = await browser.NewPageAsync();

        IResponse? answer = await page.GotoAsync(Self + "/api/project");

        Assert.NotNull(answer);
        Assert.Equal((int)HttpStatusCode.Unauthorized, answer.Status);
        Assert.Equal("Bearer realm=\"medallion\"", await answer.HeaderValueAsync("www-authenticate"));
        Assert.Null(await answer.Request.HeaderValueAsync("authorization"));
    }

    /// <summary>
    /// A browser context that sends the operator's Basic credentials with every request to the server's origin, whichever
    /// page makes it: what a browser does once its user has answered a Basic challenge there. Playwright's own
    /// <c>HttpCredentials</c> cannot play this part: its browser answers only a challenge naming Basic, which this server
    /// never sends (its challenge names Bearer), and <c>Send = Always</c> applies to its API client, not to pages.
    /// </summary>
    private async Task<IBrowserContext> WithCachedBasicCredentialsAsync()
    {
        IBrowserContext context = await _browser.NewContextAsync();
        // A busy machine: the page loads and the post may take far longer than Playwright's default 30 s.
        context.SetDefaultTimeout((float)s_browserWait.TotalMilliseconds);
        string cached = ServedProject.Basic("ana", ServedProject.OperatorPassword).ToString();
        await context.RouteAsync(Self + "/**", route => route.ContinueAsync(new RouteContinueOptions
        {
            Headers = new Dictionary<string, string>(route.Request.Headers) { ["authorization"] = cached },
        }));
        return context;
    }

    /// <summary>Whether the job is paused, asked as the operator by a client that is not a browser.</summary>
    private async Task<bool> IsPausedAsync()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/jobs/nightly", ServedProject.Basic("ana", ServedProject.OperatorPassword));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument view = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return view.RootElement.GetProperty("paused").GetBoolean();
    }

    /// <summary>Another origin on a loopback address: answers every request with one HTML page.</summary>
    private sealed class AttackerSite : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly byte[] _answer;
        private readonly Task _loop;

        public AttackerSite(IPAddress address, string html)
        {
            byte[] body = Encoding.UTF8.GetBytes(html);
            _answer = [.. Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), .. body];
            _listener = new TcpListener(address, 0);
            _listener.Start();
            Address = new Uri($"http://{address}:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
            _loop = Task.Run(LoopAsync);
        }

        public Uri Address { get; }

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            await _loop;
        }

        private async Task LoopAsync()
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptSocketAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                await AnswerAsync(client);
            }
        }

        /// <summary>Reads the request's head (a page load has no body), answers with the page and closes the connection.</summary>
        private async Task AnswerAsync(Socket connection)
        {
            using Socket client = connection;
            var head = new StringBuilder();
            var buffer = new byte[4096];
            try
            {
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    int read = await client.ReceiveAsync(buffer);
                    if (read == 0)
                    {
                        return;
                    }

                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                await client.SendAsync(_answer);
                client.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The browser gave up on this connection (a speculative one it never used): nothing to answer.
            }
        }
    }
}
