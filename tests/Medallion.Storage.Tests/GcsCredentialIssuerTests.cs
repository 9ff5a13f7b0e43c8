using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Google;
using Google.Apis.Auth.OAuth2;
using Google.Cloud.Storage.V1;
using Medallion.Storage.Gcs;

namespace Medallion.Storage.Tests;

/// <summary>
/// Downscoped GCS tokens at the store's edge: the test server's STS refuses, as Google's does, an exchange that is not
/// one (wrong grant, missing or malformed boundary, a token it never issued), and the issuer reports STS's refusal or
/// silence as MDL5703 without the token.
/// </summary>
public sealed class GcsCredentialIssuerTests : IAsyncLifetime
{
    private const string Bucket = "sts-tests";
    private const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";
    private const string Boundary = """{"accessBoundary":{"accessBoundaryRules":[{"availableResource":"//storage.googleapis.com/projects/_/buckets/sts-tests","availablePermissions":["inRole:roles/storage.objectViewer"],"availabilityCondition":{"expression":"resource.name.startsWith('projects/_/buckets/sts-tests/objects/t/')"}}]}}""";

    private readonly RSA _key = RSA.Create(2048);
    private readonly HttpClient _http = new();
    private GcsTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await GcsTestServer.StartAsync(new GcsTestServerOptions { ServiceAccountKey = _key });
        _server.CreateBucket(Bucket);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        _key.Dispose();
    }

    [Fact]
    public async Task STS_exchanges_a_token_it_issued_under_a_well_formed_boundary()
    {
        (HttpStatusCode status, JsonElement body) = await ExchangeAsync(Form(await SubjectAsync()));

        Assert.Equal((HttpStatusCode.OK, AccessTokenType, "Bearer"), (status, body.GetProperty("issued_token_type").GetString(), body.GetProperty("token_type").GetString()));
        Assert.Equal([Boundary], _server.ExchangedBoundaries);
    }

    [Theory]
    [InlineData("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer", "unsupported_grant_type")]
    [InlineData("subject_token_type", "urn:ietf:params:oauth:token-type:id_token", "invalid_request")]
    [InlineData("requested_token_type", null, "invalid_request")]
    [InlineData("options", null, "invalid_request")]
    [InlineData("options", "{not json", "invalid_request")]
    [InlineData("options", """{"accessBoundary":{"accessBoundaryRules":[]}}""", "invalid_request")]
    [InlineData("options", """{"accessBoundary":{"accessBoundaryRules":[{"availableResource":"//storage.googleapis.com/projects/_/buckets/b/objects/o","availablePermissions":["inRole:roles/storage.objectViewer"]}]}}""", "invalid_request")]
    [InlineData("options", """{"accessBoundary":{"accessBoundaryRules":[{"availableResource":"//storage.googleapis.com/projects/_/buckets/b","availablePermissions":["storage.objects.get"]}]}}""", "invalid_request")]
    [InlineData("options", """{"accessBoundary":{"accessBoundaryRules":[{"availableResource":"//storage.googleapis.com/projects/_/buckets/b","availablePermissions":["inRole:roles/storage.objectViewer"],"availabilityCondition":{"expression":"resource.name.startsWith('x'"}}]}}""", "invalid_request")]
    [InlineData("options", """{"accessBoundary":{"accessBoundaryRules":[{"availableResource":"//storage.googleapis.com/projects/_/buckets/b","availablePermissions":["inRole:roles/storage.objectViewer"],"extra":1}]}}""", "invalid_request")]
    [InlineData("subject_token", "ya29.never-issued", "invalid_grant")]
    public async Task STS_refuses_a_malformed_exchange_with_400_and_OAuths_error(string field, string? value, string error)
    {
        Dictionary<string, string> form = Form(await SubjectAsync());
        if (value is null)
        {
            form.Remove(field);
        }
        else
        {
            form[field] = value;
        }

        (HttpStatusCode status, JsonElement body) = await ExchangeAsync(form);

        Assert.Equal((HttpStatusCode.BadRequest, error), (status, body.GetProperty("error").GetString()));
        Assert.Empty(_server.ExchangedBoundaries);
    }

    [Fact]
    public async Task A_downscoped_token_reads_inside_its_boundary_and_is_refused_outside()
    {
        (_, JsonElement body) = await ExchangeAsync(Form(await SubjectAsync()));
        using StorageClient owner = Client(await SubjectAsync());
        await owner.UploadObjectAsync(Bucket, "t/inside", null, new MemoryStream([1]));
        await owner.UploadObjectAsync(Bucket, "u/outside", null, new MemoryStream([2]));
        using StorageClient downscoped = Client(body.GetProperty("access_token").GetString()!);

        await downscoped.DownloadObjectAsync(Bucket, "t/inside", new MemoryStream());
        GoogleApiException refused = await Assert.ThrowsAsync<GoogleApiException>(() => downscoped.DownloadObjectAsync(Bucket, "u/outside", new MemoryStream()));

        Assert.Equal(HttpStatusCode.Forbidden, refused.HttpStatusCode);
    }

    [Fact]
    public async Task An_STS_that_refuses_the_servers_token_fails_with_MDL5703_naming_its_error_but_not_the_token()
    {
        using RSA stranger = RSA.Create(2048);
        await using GcsTestServer otherSts = await GcsTestServer.StartAsync(new GcsTestServerOptions { ServiceAccountKey = stranger });

        MedallionException failed = await Assert.ThrowsAsync<MedallionException>(() => IssueAsync(otherSts.Endpoint.ToString()));

        Assert.Equal((ErrorCode.StorageCredentialsFailed, true, false),
            (failed.Code, failed.Message.Contains("invalid_grant", StringComparison.Ordinal), failed.Message.Contains("ya29.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_STS_that_does_not_answer_fails_with_MDL5703()
    {
        MedallionException failed = await Assert.ThrowsAsync<MedallionException>(() => IssueAsync("http://127.0.0.1:9/"));

        Assert.Equal(ErrorCode.StorageCredentialsFailed, failed.Code);
    }

    [Fact]
    public async Task The_issued_token_and_its_expiry_are_STSs()
    {
        DateTimeOffset before = DateTimeOffset.UtcNow;
        StorageCredentials issued = await IssueAsync(_server.Endpoint.ToString());

        Assert.Equal(("gs://sts-tests/p/silver/orders", StorageAccess.Read, true), (issued.Location, issued.Access, issued.GcpOAuthToken!.StartsWith("ya29.d.", StringComparison.Ordinal)));
        Assert.InRange(issued.ExpiresAt, before.AddMinutes(55), before.AddMinutes(61));
        Assert.Empty(_server.Violations);
    }

    private Task<StorageCredentials> IssueAsync(string sts)
    {
        var settings = new Dictionary<string, string>
        {
            ["STORAGE_EMULATOR_HOST"] = _server.EmulatorHost,
            ["GOOGLE_SERVICE_ACCOUNT_KEY"] = _server.ServiceAccountJson(),
            ["MEDALLION_GCS_STS_ENDPOINT"] = sts,
        };
        return new GcsStoreProvider().IssueCredentialsAsync("gs://sts-tests/p/silver/orders", StorageAccess.Read, "ana", name => settings.GetValueOrDefault(name), CancellationToken.None);
    }

    /// <summary>An access token of the test server's service account, from its token endpoint.</summary>
    private Task<string> SubjectAsync() =>
        ((ITokenAccess)CredentialFactory.FromJson<ServiceAccountCredential>(_server.ServiceAccountJson()).ToGoogleCredential().CreateScoped("https://www.googleapis.com/auth/cloud-platform"))
            .GetAccessTokenForRequestAsync(null, CancellationToken.None);

    private static Dictionary<string, string> Form(string subject) => new()
    {
        ["grant_type"] = "urn:ietf:params:oauth:grant-type:token-exchange",
        ["subject_token_type"] = AccessTokenType,
        ["requested_token_type"] = AccessTokenType,
        ["subject_token"] = subject,
        ["options"] = Boundary,
    };

    private async Task<(HttpStatusCode Status, JsonElement Body)> ExchangeAsync(Dictionary<string, string> form)
    {
        using HttpResponseMessage response = await _http.PostAsync(new Uri(_server.Endpoint, "v1/token"), new FormUrlEncodedContent(form));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private StorageClient Client(string token) =>
        new StorageClientBuilder { BaseUri = new Uri(_server.Endpoint, "storage/v1/").ToString(), Credential = GoogleCredential.FromAccessToken(token) }.Build();
}
