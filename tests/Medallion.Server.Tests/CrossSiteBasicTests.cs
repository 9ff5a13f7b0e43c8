using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Medallion.Server.Tests;

/// <summary>
/// A browser that cached an operator's HTTP Basic password sends it with any site's forms: such requests (forged here
/// with the headers a browser adds) are refused before they act, while clients that are not browsers keep working.
/// </summary>
public sealed class CrossSiteBasicTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    private string Self => _served.Server.HttpAddress.GetLeftPart(UriPartial.Authority);

    /// <summary>Posts to <paramref name="path"/> as the operator over Basic, with <paramref name="body"/> of <paramref name="contentType"/> (none when null) and the given headers.</summary>
    private async Task<HttpResponseMessage> PostAsOperatorAsync(string path, string? contentType, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Headers = { Authorization = ServedProject.Basic("ana", ServedProject.OperatorPassword) },
            Content = contentType is null ? null : new StringContent("x=1", Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType)),
        };
        foreach ((string name, string value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await _served.Http.SendAsync(request);
    }

    private async Task<bool> IsPausedAsync(string job)
    {
        using HttpResponseMessage response = await _served.GetAsync("/api/jobs/" + job, ServedProject.Basic("vic", ServedProject.ViewerPassword));
        using JsonDocument view = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return view.RootElement.GetProperty("paused").GetBoolean();
    }

    [Fact]
    public async Task A_text_plain_form_from_another_origin_with_cached_basic_credentials_does_not_pause_a_job_nor_act_as_the_operator()
    {
        using HttpResponseMessage forged = await PostAsOperatorAsync("/api/jobs/nightly/pause", "text/plain", ("Origin", "https://evil.example"), ("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Mode", "navigate"));

        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Contains("HTTP Basic credentials are not accepted from a web page of another origin (this request carries 'Origin: https://evil.example')", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await IsPausedAsync("nightly"));
        Assert.Empty(await _served.Catalog.Identity.ListServerActionsAsync());
    }

    [Theory]
    [InlineData("Origin", "null")]
    [InlineData("Origin", "http://127.0.0.1:1")]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    [InlineData("Referer", "https://evil.example/page.html")]
    public async Task A_json_post_with_basic_credentials_that_a_browser_sent_from_another_origin_is_refused(string header, string value)
    {
        using HttpResponseMessage response = await PostAsOperatorAsync("/api/jobs/nightly/pause", "application/json", (header, value));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("HTTP Basic credentials are not accepted from a web page of another origin", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await IsPausedAsync("nightly"));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task A_post_with_basic_credentials_and_a_body_any_page_can_send_is_refused_even_without_browser_headers(string contentType)
    {
        using HttpResponseMessage response = await PostAsOperatorAsync("/api/jobs/nightly/pause", contentType);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("send the body as application/json", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await _served.Catalog.Identity.ListServerActionsAsync());
    }

    [Fact]
    public async Task A_get_with_basic_credentials_from_another_origins_page_is_refused_too()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/project") { Headers = { Authorization = ServedProject.Basic("vic", ServedProject.ViewerPassword) } };
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "cross-site");

        using HttpResponseMessage response = await _served.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_client_that_is_not_a_browser_pauses_a_job_with_basic_credentials_and_no_body()
    {
        using HttpResponseMessage response = await PostAsOperatorAsync("/api/jobs/nightly/pause", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(await IsPausedAsync("nightly"));
        Assert.Equal("ana", Assert.Single(await _served.Catalog.Identity.ListServerActionsAsync()).User);
    }

    [Fact]
    public async Task A_same_origin_json_post_with_basic_credentials_pauses_the_job()
    {
        using HttpResponseMessage response = await PostAsOperatorAsync("/api/jobs/nightly/pause", "application/json", ("Origin", Self), ("Sec-Fetch-Site", "same-origin"), ("Referer", Self + "/jobs"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(await IsPausedAsync("nightly"));
    }

    [Fact]
    public async Task A_cross_site_request_with_an_api_token_is_not_concerned_since_no_browser_sends_one_unasked()
    {
        (_, string secret) = await _served.Catalog.Identity.CreateApiTokenAsync("vic", null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/project") { Headers = { Authorization = ServedProject.Bearer(secret) } };
        request.Headers.TryAddWithoutValidation("Origin", "https://dashboard.example");

        using HttpResponseMessage response = await _served.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
