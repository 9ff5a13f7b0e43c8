using System.Net;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Medallion.Server.Tests.Observability;

/// <summary><c>GET /metrics</c> itself: the formats it speaks and who may read it.</summary>
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task A_scrape_without_accept_gets_the_prometheus_text_format_with_the_tables_of_the_catalog()
    {
        using HttpResponseMessage response = await _served.Http.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        string body = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE medallion_table_rows gauge\n", body, StringComparison.Ordinal);
        Assert.Contains("medallion_table_rows{table=\"silver.orders\"} 2\n", body, StringComparison.Ordinal);
        Assert.Contains("# TYPE medallion_runs_started_total counter\n", body, StringComparison.Ordinal);
        Assert.DoesNotContain("# EOF", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scraper_asking_for_openmetrics_gets_openmetrics_ending_with_eof()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Accept.ParseAdd("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");

        using HttpResponseMessage response = await _served.Http.SendAsync(request);

        Assert.Equal("application/openmetrics-text; version=1.0.0; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        string body = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("# EOF\n", body, StringComparison.Ordinal);
        // OpenMetrics names a counter's family without _total and its sample with it.
        Assert.Contains("# TYPE medallion_runs_started counter\n", body, StringComparison.Ordinal);
        Assert.Contains("medallion_table_rows{table=\"gold.revenue\"} 1", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scraper_that_refuses_openmetrics_gets_the_text_format_with_its_length()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Accept.ParseAdd("application/openmetrics-text;q=0,text/plain;version=0.0.4");

        using HttpResponseMessage response = await _served.Http.SendAsync(request);

        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.DoesNotContain("# EOF", System.Text.Encoding.UTF8.GetString(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_declared_jobs_series_exist_at_zero_before_any_run()
    {
        string body = await _served.Http.GetStringAsync("/metrics");

        Assert.Contains("medallion_runs_started_total{job=\"nightly\"} 0\n", body, StringComparison.Ordinal);
        Assert.Contains("medallion_models_failed_total{job=\"nightly\",model=\"gold.revenue\"} 0\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_anonymous_scrape_from_another_machine_is_refused_and_one_with_an_api_token_over_https_is_served()
    {
        IPAddress address = NonLoopbackAddress();
        // API tokens cross the network over HTTPS only.
        using var key = System.Security.Cryptography.RSA.Create(2048);
        using var selfSigned = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=" + address, key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(selfSigned.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12), null);
        await using ServedProject served = await ServedProject.StartAsync(o => o with { HttpAddress = address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, Certificate = certificate });
        (_, string token) = await served.Catalog.Identity.CreateApiTokenAsync("vic", null);
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var remote = new HttpClient(handler) { BaseAddress = new UriBuilder("https", address.ToString(), served.Server.HttpAddress.Port).Uri };

        using HttpResponseMessage anonymous = await remote.GetAsync("/metrics");
        using var withToken = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
        using HttpResponseMessage authorized = await remote.SendAsync(withToken);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
    }

    [Fact]
    public async Task With_anonymous_metrics_a_scrape_from_another_machine_needs_no_token()
    {
        IPAddress address = NonLoopbackAddress();
        await using ServedProject served = await ServedProject.StartAsync(o => o with
        {
            HttpAddress = address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any,
            AnonymousMetrics = true,
        });
        using var remote = new HttpClient { BaseAddress = new UriBuilder("http", address.ToString(), served.Server.HttpAddress.Port).Uri };

        using HttpResponseMessage response = await remote.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>An address of this machine that is not loopback, so that the server sees the request come from the network.</summary>
    private static IPAddress NonLoopbackAddress()
    {
        IPAddress? found = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(a => a.Address))
            .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)
            .FirstOrDefault(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal);
        Assert.True(found is not null, "this machine has no network address besides loopback to call the server from");
        return found;
    }
}
