using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;

namespace Medallion.Storage.Tests;

/// <summary>
/// The GCS test server answers what the store does not send as GCS does (a multipart upload, the other preconditions),
/// and refuses what GCS refuses: the other tests trust its answers, so its protocol is tested too.
/// </summary>
public sealed class GcsTestServerTests : IAsyncLifetime
{
    private const string Bucket = "server-tests";
    private readonly HttpClient _http = new();
    private GcsTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await GcsTestServer.StartAsync();
        _server.CreateBucket(Bucket);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private Uri Url(string pathAndQuery) => new(_server.Endpoint, pathAndQuery);

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpRequestMessage request)
    {
        using HttpResponseMessage response = await _http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private Task<(HttpStatusCode Status, JsonElement Body)> InsertAsync(string name, string content, string preconditions = "") =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, Url($"upload/storage/v1/b/{Bucket}/o?uploadType=media&name={Uri.EscapeDataString(name)}{preconditions}"))
        {
            Content = new StringContent(content),
        });

    private async Task<string> ReadAsync(string name)
    {
        using HttpResponseMessage response = await _http.GetAsync(Url($"storage/v1/b/{Bucket}/o/{Uri.EscapeDataString(name)}?alt=media"));
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task A_multipart_upload_stores_the_data_under_the_name_its_metadata_part_gives()
    {
        var body = new MultipartContent("related", "b0undary")
        {
            new StringContent("{\"name\":\"a/multi.json\"}", Encoding.UTF8, "application/json"),
            new ByteArrayContent(Encoding.UTF8.GetBytes("the data")),
        };

        (HttpStatusCode status, JsonElement created) = await SendAsync(new HttpRequestMessage(HttpMethod.Post, Url($"upload/storage/v1/b/{Bucket}/o?uploadType=multipart")) { Content = body });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("a/multi.json", "8"), (created.GetProperty("name").GetString(), created.GetProperty("size").GetString()));
        Assert.Equal("the data", await ReadAsync("a/multi.json"));
    }

    [Fact]
    public async Task An_upload_replaces_an_object_only_while_its_generation_is_the_one_the_writer_read()
    {
        (_, JsonElement first) = await InsertAsync("k", "one");
        string generation = first.GetProperty("generation").GetString()!;

        (HttpStatusCode replaced, JsonElement second) = await InsertAsync("k", "two", "&ifGenerationMatch=" + generation);
        (HttpStatusCode stale, JsonElement refusal) = await InsertAsync("k", "three", "&ifGenerationMatch=" + generation);

        Assert.Equal(HttpStatusCode.OK, replaced);
        Assert.NotEqual(generation, second.GetProperty("generation").GetString());
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale);
        Assert.Equal("conditionNotMet", refusal.GetProperty("error").GetProperty("errors")[0].GetProperty("reason").GetString());
        Assert.Equal("two", await ReadAsync("k"));
    }

    [Fact]
    public async Task The_not_match_and_metageneration_preconditions_refuse_with_412()
    {
        (_, JsonElement created) = await InsertAsync("m", "one");
        string generation = created.GetProperty("generation").GetString()!;

        (HttpStatusCode notMatch, _) = await InsertAsync("m", "two", "&ifGenerationNotMatch=" + generation);
        (HttpStatusCode metageneration, _) = await InsertAsync("m", "two", "&ifMetagenerationMatch=7");
        (HttpStatusCode deleteStale, _) = await SendAsync(new HttpRequestMessage(HttpMethod.Delete, Url($"storage/v1/b/{Bucket}/o/m?ifGenerationMatch=1")));

        Assert.Equal((HttpStatusCode.PreconditionFailed, HttpStatusCode.PreconditionFailed, HttpStatusCode.PreconditionFailed), (notMatch, metageneration, deleteStale));
        Assert.Equal("one", await ReadAsync("m"));
    }

    [Fact]
    public async Task A_parameter_outside_the_protocol_is_refused_with_400_naming_it_and_recorded_as_a_violation()
    {
        (HttpStatusCode status, JsonElement error) = await InsertAsync("v", "x", "&ifGenerationMatches=0");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("ifGenerationMatches", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains(_server.Violations, v => v.Contains("ifGenerationMatches", StringComparison.Ordinal));
        Assert.DoesNotContain("v", _server.ObjectNames(Bucket));
    }

    [Fact]
    public async Task A_listing_in_pages_gives_every_name_once_and_a_token_of_another_listing_is_refused()
    {
        foreach (string name in new[] { "p/1", "p/2", "p/3", "q/1" })
        {
            await InsertAsync(name, "x");
        }

        (_, JsonElement first) = await SendAsync(new HttpRequestMessage(HttpMethod.Get, Url($"storage/v1/b/{Bucket}/o?prefix=p%2F&maxResults=2")));
        string token = first.GetProperty("nextPageToken").GetString()!;
        (_, JsonElement second) = await SendAsync(new HttpRequestMessage(HttpMethod.Get, Url($"storage/v1/b/{Bucket}/o?prefix=p%2F&maxResults=2&pageToken={Uri.EscapeDataString(token)}")));
        (HttpStatusCode foreign, _) = await SendAsync(new HttpRequestMessage(HttpMethod.Get, Url($"storage/v1/b/{Bucket}/o?prefix=q%2F&maxResults=2&pageToken={Uri.EscapeDataString(token)}")));

        Assert.Equal(["p/1", "p/2", "p/3"], first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).Select(i => i.GetProperty("name").GetString()));
        Assert.False(second.TryGetProperty("nextPageToken", out _));
        Assert.Equal(HttpStatusCode.BadRequest, foreign);
    }
}
