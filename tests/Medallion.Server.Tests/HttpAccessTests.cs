using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.Server.Scheduling;

namespace Medallion.Server.Tests;

/// <summary>The server's HTTP listener: health, who gets in to the REST API and how, and what it refuses.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HttpAccessTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task Healthz_answers_ok_without_credentials()
    {
        using HttpResponseMessage response = await _served.GetAsync("/healthz", null);

        Assert.Equal((HttpStatusCode.OK, """{"status":"ok"}"""), (response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Readyz_answers_ready_once_everything_has_started()
    {
        using HttpResponseMessage response = await _served.GetAsync("/readyz", null);

        Assert.Equal((HttpStatusCode.OK, """{"status":"ready","scheduler":"active","active_scheduler":null}"""), (response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task An_api_request_without_credentials_is_challenged_for_a_token_only_so_no_browser_offers_its_password_dialog()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/project", null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer realm=\"medallion\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Contains("authentication required", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_users_password_over_basic_from_this_machine_is_accepted()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/project", ServedProject.Basic("vic", ServedProject.ViewerPassword));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument project = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(_served.Server.Project.Name, project.RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_wrong_password_is_refused_without_saying_whether_the_user_exists()
    {
        using HttpResponseMessage wrong = await _served.GetAsync("/api/project", ServedProject.Basic("ana", "guess"));
        using HttpResponseMessage unknown = await _served.GetAsync("/api/project", ServedProject.Basic("nobody", "guess"));

        Assert.Equal(
            (HttpStatusCode.Unauthorized, "MDL9506", "API authentication failed", "the user name or password is wrong"),
            await ServedProject.ProblemAsync(wrong));
        Assert.Equal(await wrong.Content.ReadAsStringAsync(), await unknown.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Repeated_wrong_passwords_from_one_address_are_answered_ever_more_slowly()
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            using HttpResponseMessage free = await _served.GetAsync("/api/project", ServedProject.Basic("ana", "guess" + attempt));
        }

        var clock = Stopwatch.StartNew();
        using HttpResponseMessage slowed = await _served.GetAsync("/api/project", ServedProject.Basic("ana", "guess-again"));

        Assert.Equal(HttpStatusCode.Unauthorized, slowed.StatusCode);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(450), $"The fourth failure was answered after {clock.Elapsed.TotalMilliseconds} ms.");
    }

    [Fact]
    public async Task An_api_token_acts_as_its_user_until_it_is_revoked()
    {
        (ApiToken token, string secret) = await _served.Catalog.Identity.CreateApiTokenAsync("vic", DateTimeOffset.UtcNow.AddDays(1));

        using HttpResponseMessage before = await _served.GetAsync("/api/project", ServedProject.Bearer(secret));
        Assert.True(await _served.Catalog.Identity.RevokeApiTokenAsync(token.Id));
        using HttpResponseMessage after = await _served.GetAsync("/api/project", ServedProject.Bearer(secret));

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(
            (HttpStatusCode.Unauthorized, "MDL9506", "API authentication failed", "the API token is unknown, expired or revoked"),
            await ServedProject.ProblemAsync(after));
        Assert.NotNull((await _served.Catalog.Identity.ListApiTokensAsync("vic")).Single().LastUsedAt);
    }

    [Fact]
    public async Task Api_tokens_and_passwords_over_plain_http_from_another_machine_are_refused()
    {
        IPAddress address = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .First(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        // Served on an address of this machine that is not loopback: the request then comes from it, as another machine's would.
        await using ServedProject remote = await ServedProject.StartAsync(options => options with { HttpAddress = address });
        (_, string secret) = await remote.Catalog.Identity.CreateApiTokenAsync("vic", null);

        using HttpResponseMessage token = await remote.GetAsync("/api/project", ServedProject.Bearer(secret));
        using HttpResponseMessage password = await remote.GetAsync("/api/project", ServedProject.Basic("vic", ServedProject.ViewerPassword));

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (token.StatusCode, password.StatusCode));
        Assert.Contains("API tokens are accepted only over HTTPS (or from this machine)", await token.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("HTTP Basic authentication is accepted only over HTTPS (or from this machine)", await password.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_api_token_is_refused()
    {
        (_, string secret) = await _served.Catalog.Identity.CreateApiTokenAsync("vic", DateTimeOffset.UtcNow.AddSeconds(-1));

        using HttpResponseMessage response = await _served.GetAsync("/api/project", ServedProject.Bearer(secret));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_forged_token_with_a_real_tokens_id_is_refused()
    {
        (ApiToken token, string secret) = await _served.Catalog.Identity.CreateApiTokenAsync("ana", null);
        string forged = secret[..^4] + (secret[^4..] == "AAAA" ? "BBBB" : "AAAA");

        using HttpResponseMessage response = await _served.GetAsync("/api/project", ServedProject.Bearer(forged));

        Assert.StartsWith("mdl_" + token.Id + "_", forged, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task An_unknown_authorization_scheme_is_refused_naming_the_ones_accepted()
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/project", new System.Net.Http.Headers.AuthenticationHeaderValue("Digest", "x"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("the authorization scheme 'Digest' is not supported; use Basic or Bearer", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_runtime_file_gives_the_local_cli_a_token_that_only_its_owner_can_read()
    {
        ServerRuntimeFile file = (await ServerRuntimeFile.ReadAsync(_served.Directory))!;

        using HttpResponseMessage response = await _served.GetAsync("/api/project", ServedProject.Bearer(file.Token));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_served.Server.HttpAddress, file.Url);
        Assert.Equal(Environment.ProcessId, file.ProcessId);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ServerRuntimeFile.PathFor(_served.Directory)));
    }

    [Fact]
    public async Task A_request_body_over_one_mebibyte_is_refused_before_it_is_read()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/project")
        {
            Headers = { Authorization = ServedProject.Basic("ana", ServedProject.OperatorPassword) },
            Content = new ByteArrayContent(new byte[2 * 1024 * 1024]),
        };

        using HttpResponseMessage response = await _served.Http.SendAsync(request);

        Assert.True(response.StatusCode is HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.MethodNotAllowed, response.StatusCode.ToString());
    }

    [Fact]
    public async Task A_second_server_on_the_same_project_serves_on_standby_naming_the_first_and_leaves_its_runtime_file()
    {
        MedallionServer second = await MedallionServer.StartAsync(new MedallionServerOptions { ProjectDirectory = _served.Directory, HttpPort = 0 });
        string readiness;
        Uri? runtimeUrlWhileBoth;
        await using (second)
        {
            using var http = new HttpClient { BaseAddress = second.HttpAddress };
            readiness = await http.GetStringAsync(new Uri("/readyz", UriKind.Relative));
            runtimeUrlWhileBoth = (await ServerRuntimeFile.ReadAsync(_served.Directory))?.Url;
        }

        using JsonDocument ready = JsonDocument.Parse(readiness);
        Assert.Equal(("ready", "standby"), (ready.RootElement.GetProperty("status").GetString(), ready.RootElement.GetProperty("scheduler").GetString()));
        Assert.StartsWith($"host '{Environment.MachineName}', pid {Environment.ProcessId}, started ", ready.RootElement.GetProperty("active_scheduler").GetString(), StringComparison.Ordinal);
        Assert.Equal(_served.Server.HttpAddress, runtimeUrlWhileBoth);
        Assert.Equal(_served.Server.HttpAddress, (await ServerRuntimeFile.ReadAsync(_served.Directory))!.Url);
        Assert.Equal(SchedulerRole.Active, _served.Server.Scheduler.Role);
    }

    [Fact]
    public async Task A_server_on_a_taken_port_fails_naming_the_address()
    {
        int port = _served.Server.HttpAddress.Port;

        var failure = await Assert.ThrowsAsync<MedallionException>(() => ServedProject.StartAsync(options => options with { HttpPort = port }));

        Assert.Equal(ErrorCode.ServerStartFailed, failure.Code);
        Assert.StartsWith($"Cannot listen for HTTP on 127.0.0.1:{port}: ", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_removes_the_runtime_file_and_closes_the_listener()
    {
        int port = _served.Server.HttpAddress.Port;

        await _served.Server.StopAsync();

        Assert.Null(await ServerRuntimeFile.ReadAsync(_served.Directory));
        using var client = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, port));
    }
}
