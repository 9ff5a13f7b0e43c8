using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Google;
using Google.Apis.Auth.OAuth2.Responses;
using Google.Apis.Requests;
using Google.Cloud.Storage.V1;
using Microsoft.Extensions.Logging;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace Medallion.Storage.Gcs;

/// <summary>
/// An <see cref="IObjectStore"/> over an object name prefix of a Google Cloud Storage bucket, through the JSON API. The
/// commit primitive is an upload with <c>ifGenerationMatch=0</c>, which GCS applies only when no live object has the
/// name and answers 412 otherwise. Objects up to the single-upload limit go in one request; larger files as a resumable
/// upload in chunks, which creates no object unless it finishes (an unfinished session expires by itself).
/// </summary>
public sealed class GcsObjectStore : RemoteObjectStore
{
    /// <summary>How many times a one-request upload is tried when the service fails in a way that may pass.</summary>
    private const int UploadAttempts = 4;

    private static readonly Uri GoogleRoot = new("https://storage.googleapis.com/");

    private readonly GcsStoreOptions _options;
    private readonly string _namePrefix;
    private readonly Uri _root;
    private readonly Lazy<Task<StorageClient>> _client;

    /// <summary>Creates a store for <paramref name="options"/>, mirrored for local engines in <paramref name="cache"/>. Does no I/O: credentials are looked up on the first request.</summary>
    public GcsObjectStore(GcsStoreOptions options, ObjectCache cache, ILoggerFactory? loggerFactory = null)
        : base((options ?? throw new ArgumentNullException(nameof(options))).Location, cache, loggerFactory)
    {
        _options = options;
        _namePrefix = options.Prefix.Length == 0 ? string.Empty : options.Prefix + "/";
        _root = options.Endpoint ?? GoogleRoot;
        _client = new Lazy<Task<StorageClient>>(BuildClientAsync);
    }

    private async Task<StorageClient> BuildClientAsync()
    {
        StorageClient client;
        try
        {
            var builder = new StorageClientBuilder
            {
                BaseUri = _options.Endpoint is null ? null : new Uri(_root, "storage/v1/").ToString(),
                UnauthenticatedAccess = _options.Anonymous,
                GoogleCredential = await GcsCredentials.NamedAsync(_options, CancellationToken.None).ConfigureAwait(false),
            };
            client = await builder.BuildAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException or Newtonsoft.Json.JsonException or System.Text.Json.JsonException)
        {
            // The library's message may quote the credentials: say only which setting to fix.
            string source = GcsCredentials.Problem(_options);
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"No Google credentials for '{Location}': {source}.\nHelp: set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or GOOGLE_SERVICE_ACCOUNT_KEY to its content, or run with a service account (GKE workload identity); for an emulator set {GcsStoreOptions.EmulatorHostSettingName}.",
                e, isTransient: false);
        }

        // One attempt of a request (a chunk of an upload) may take this long; the library retries idempotent requests.
        client.Service.HttpClient.Timeout = _options.RequestTimeout;
        return client;
    }

    /// <summary>The client, built on the first request; credentials that could not be found then are reported on every request.</summary>
    private Task<StorageClient> ClientAsync(CancellationToken cancellationToken) => _client.Value.WaitAsync(cancellationToken);

    private string Name(string key)
    {
        ValidateKey(key);
        return _namePrefix + key;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, int? pageSize, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (pageSize is int size)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size, nameof(pageSize));
        }

        cancellationToken.ThrowIfCancellationRequested();
        StorageClient client = await ClientAsync(cancellationToken).ConfigureAwait(false);
        // startOffset is inclusive, so the key startAfter itself is skipped here.
        var options = new ListObjectsOptions { PageSize = pageSize, StartOffset = startAfter is null ? null : _namePrefix + startAfter };
        IAsyncEnumerable<Google.Apis.Storage.v1.Data.Objects> pages = client.ListObjectsAsync(_options.Bucket, _namePrefix + prefix, options).AsRawResponses();
        await foreach (Google.Apis.Storage.v1.Data.Objects page in TranslatedAsync(pages, prefix, cancellationToken).ConfigureAwait(false))
        {
            foreach (GcsObject item in page.Items ?? [])
            {
                ObjectInfo info = Info(item);
                if (startAfter is null || string.CompareOrdinal(info.Key, startAfter) > 0)
                {
                    yield return info;
                }
            }
        }
    }

    private ObjectInfo Info(GcsObject item) =>
        new(item.Name[_namePrefix.Length..], (long)(item.Size ?? 0), item.UpdatedDateTimeOffset ?? DateTimeOffset.UnixEpoch);

    /// <inheritdoc />
    public override async IAsyncEnumerable<string> ListFoldersAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        StorageClient client = await ClientAsync(cancellationToken).ConfigureAwait(false);
        var options = new ListObjectsOptions { Delimiter = "/" };
        string? last = null;
        IAsyncEnumerable<Google.Apis.Storage.v1.Data.Objects> pages = client.ListObjectsAsync(_options.Bucket, _namePrefix + prefix, options).AsRawResponses();
        await foreach (Google.Apis.Storage.v1.Data.Objects page in TranslatedAsync(pages, prefix, cancellationToken).ConfigureAwait(false))
        {
            // Prefixes come in ascending order; one that a page boundary splits may be named again by the next page.
            foreach (string folder in page.Prefixes ?? [])
            {
                if (folder != last)
                {
                    last = folder;
                    yield return folder[_namePrefix.Length..];
                }
            }
        }
    }

    /// <inheritdoc />
    public override async Task<byte[]> ReadAllAsync(string key, CancellationToken cancellationToken = default)
    {
        string name = Name(key);
        StorageClient client = await ClientAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var content = new MemoryStream();
            await client.DownloadObjectAsync(_options.Bucket, name, content, null, cancellationToken).ConfigureAwait(false);
            return content.ToArray();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "read", key);
        }
    }

    /// <inheritdoc />
    /// <remarks>One request: a range GCS cannot serve (416) or serves short says how long the object is.</remarks>
    protected override async Task<byte[]> ReadNonEmptyRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        string name = Name(key);

        StorageClient client = await ClientAsync(cancellationToken).ConfigureAwait(false);
        byte[] bytes;
        try
        {
            using var content = new MemoryStream(length);
            var options = new DownloadObjectOptions { Range = new RangeHeaderValue(offset, offset + length - 1) };
            await client.DownloadObjectAsync(_options.Bucket, name, content, options, cancellationToken).ConfigureAwait(false);
            bytes = content.ToArray();
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            ObjectInfo info = await GetInfoAsync(key, cancellationToken).ConfigureAwait(false) ?? throw NotFound(key, e);
            throw RangePastEnd(key, offset, length, info.SizeBytes);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "read", key);
        }

        return bytes.Length == length ? bytes : throw RangePastEnd(key, offset, length, offset + bytes.Length);
    }

    /// <inheritdoc />
    public override async Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        string name = Name(key);
        try
        {
            if (await UploadAsync(name, () => new ReadOnlyMemoryContent(content), createOnly: true, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            // The object exists. When an attempt whose answer was lost did land, the object is ours: same bytes.
            return await HoldsAsync(key, content, cancellationToken).ConfigureAwait(false) == true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return await SettleFailedPutAsync(key, content, Translate(e, "write", key), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        string name = Name(key);
        try
        {
            await UploadAsync(name, () => new ReadOnlyMemoryContent(content), createOnly: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "write", key);
        }
    }

    /// <summary>
    /// Uploads an object in one request (<c>uploadType=media</c>): the library's uploads are all resumable, two requests
    /// at least, and a commit is one small object. With <paramref name="createOnly"/> the upload asks
    /// <c>ifGenerationMatch=0</c> and returns false when GCS refuses it because the object exists. A failure that may pass
    /// (a 5xx, a 408 or 429, a broken connection, a timeout) is tried again, up to <see cref="UploadAttempts"/> times, after
    /// a growing pause: the upload replaces the whole object or, create-only, is refused once an earlier attempt landed.
    /// </summary>
    private async Task<bool> UploadAsync(string name, Func<HttpContent> content, bool createOnly, CancellationToken cancellationToken)
    {
        StorageClient client = await ClientAsync(cancellationToken).ConfigureAwait(false);
        var url = new Uri(_root, $"upload/storage/v1/b/{Uri.EscapeDataString(_options.Bucket)}/o?uploadType=media&name={Uri.EscapeDataString(name)}{(createOnly ? "&ifGenerationMatch=0" : string.Empty)}");
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content() };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                using HttpResponseMessage response = await client.Service.HttpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }

                if (createOnly && response.StatusCode == HttpStatusCode.PreconditionFailed)
                {
                    return false;
                }

                RequestError error = await client.Service.DeserializeError(response).ConfigureAwait(false);
                var failure = new GoogleApiException(client.Service.Name, error.Message) { HttpStatusCode = response.StatusCode, Error = error };
                if (attempt == UploadAttempts || !Retriable(response.StatusCode))
                {
                    throw failure;
                }
            }
            catch (Exception e) when (attempt < UploadAttempts && e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // A broken connection or an attempt past the timeout: the next attempt settles whether this one landed.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200 << (attempt - 1)), cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool Retriable(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    /// <inheritdoc />
    protected override async Task DeleteObjectAsync(string key, CancellationToken cancellationToken)
    {
        string name = Name(key);
        StorageClient client = await ClientAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await client.DeleteObjectAsync(_options.Bucket, name, null, cancellationToken).ConfigureAwait(false);
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound && !IsMissingBucket(e))
        {
            // Deleting a missing object is not an error.
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "delete", key);
        }
    }

    /// <inheritdoc />
    public override async Task<ObjectInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        string name = Name(key);
        StorageClient client = await ClientAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Info(await client.GetObjectAsync(_options.Bucket, name, null, cancellationToken).ConfigureAwait(false));
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound && !IsMissingBucket(e))
        {
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "read", key);
        }
    }

    /// <inheritdoc />
    protected override async Task DownloadToFileAsync(string key, string path, CancellationToken cancellationToken)
    {
        string name = Name(key);
        StorageClient client = await ClientAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (file.ConfigureAwait(false))
            {
                await client.DownloadObjectAsync(_options.Bucket, name, file, null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "download", key);
        }
    }

    /// <inheritdoc />
    protected override async Task UploadFileAsync(string key, string path, CancellationToken cancellationToken)
    {
        string name = Name(key);
        try
        {
            if (new FileInfo(path).Length <= _options.SingleUploadLimitBytes)
            {
                await UploadAsync(name, () => new StreamContent(File.OpenRead(path), 1 << 16), createOnly: false, cancellationToken).ConfigureAwait(false);
                return;
            }

            StorageClient client = await ClientAsync(cancellationToken).ConfigureAwait(false);
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await using (file.ConfigureAwait(false))
            {
                var options = new UploadObjectOptions { ChunkSize = (int)Math.Min(_options.ChunkSizeBytes, int.MaxValue - (int.MaxValue % GcsStoreOptions.ChunkUnitBytes)) };
                await client.UploadObjectAsync(_options.Bucket, name, "application/octet-stream", file, options, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "upload", key);
        }
    }

    /// <summary>Whether a 404 is GCS saying the bucket, not the object, does not exist.</summary>
    private static bool IsMissingBucket(GoogleApiException e) =>
        e.HttpStatusCode == HttpStatusCode.NotFound && (e.Error?.Message ?? e.Message).Contains("bucket does not exist", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    protected override MedallionException Describe(Exception e, string operation, string key)
    {
        string what = $"Could not {operation} '{key}' in '{Location}'";
        const string credentialsHelp = "Help: check GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_SERVICE_ACCOUNT_KEY (or the service account this machine or pod runs as), and that it may use the bucket.";
        if (e is GoogleApiException { HttpStatusCode: not 0 } failed)
        {
            int status = (int)failed.HttpStatusCode;
            string? reason = failed.Error?.Errors is { Count: > 0 } errors ? errors[0].Reason : null;
            string detail = reason is null ? $"HTTP {status}" : $"{reason}, HTTP {status}";
            return status switch
            {
                404 when IsMissingBucket(failed) => new MedallionException(ErrorCode.StorageContainerNotFound,
                    $"{what}: the bucket '{_options.Bucket}' does not exist.\nHelp: create the bucket, or check its name and the project.", e),
                404 => NotFound(key, e),
                401 or 403 => new MedallionException(ErrorCode.StorageAccessDenied, $"{what}: the store refused the credentials ({detail}).\n{credentialsHelp}", e),
                // A 5xx, a 408 or a 429 is the store's trouble and may pass; another 4xx refuses this request and will refuse it again.
                _ => new MedallionException(ErrorCode.StorageIoFailed, $"{what}: {detail}: {(failed.Error?.Message ?? failed.Message).TrimEnd('.')}.", e, isTransient: Retriable(failed.HttpStatusCode)),
            };
        }

        if (e is TokenResponseException token)
        {
            // The token endpoint refused the key (revoked, wrong clock) or the metadata server has no account for this pod.
            return new MedallionException(ErrorCode.StorageAccessDenied,
                $"{what}: no access token could be obtained ({token.Error?.Error ?? "no error code"}, HTTP {(int?)token.StatusCode ?? 0}).\n{credentialsHelp}", e);
        }

        string endpoint = _root.GetLeftPart(UriPartial.Authority);
        if (IsTimeout(e))
        {
            return TimedOut(what, endpoint, _options.RequestTimeout, e);
        }

        Exception root = e;
        while (root.InnerException is not null && root is not HttpRequestException)
        {
            root = root.InnerException;
        }

        return new MedallionException(ErrorCode.StorageIoFailed, $"{what}: the request to {endpoint} failed: {root.Message}", e);
    }
}
