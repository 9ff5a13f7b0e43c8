using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;

namespace Medallion.Storage.Azure;

/// <summary>
/// An <see cref="IObjectStore"/> over a blob prefix of an Azure Blob Storage container (ADLS Gen2 too, through its
/// blob endpoint). The commit primitive is an upload with <c>If-None-Match: *</c>; Azure answers 409
/// <c>BlobAlreadyExists</c> or 412 when the blob exists, and both mean another writer holds the key. Large files
/// are uploaded as blocks committed by one final list, so a failed upload leaves no blob (uncommitted blocks expire).
/// </summary>
public sealed class AzureBlobObjectStore : RemoteObjectStore
{
    private readonly AzureBlobStoreOptions _options;
    private readonly BlobContainerClient _container;
    private readonly string _namePrefix;

    /// <summary>Creates a store for <paramref name="options"/>, mirrored for local engines in <paramref name="cache"/>.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageConfigurationInvalid"/> when the connection string cannot be parsed.</exception>
    public AzureBlobObjectStore(AzureBlobStoreOptions options, ObjectCache cache, ILoggerFactory? loggerFactory = null)
        : base((options ?? throw new ArgumentNullException(nameof(options))).Location, cache, loggerFactory)
    {
        _options = options;
        _namePrefix = options.Prefix.Length == 0 ? string.Empty : options.Prefix + "/";
        var clientOptions = new BlobClientOptions();
        clientOptions.Retry.MaxRetries = 3;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        clientOptions.Retry.NetworkTimeout = options.RequestTimeout;
        BlobServiceClient service;
        try
        {
            Uri? endpoint = options.ConnectionString is not null ? null : options.ServiceUri ?? new Uri($"https://{options.Account}.blob.core.windows.net");
            service = endpoint is null ? new BlobServiceClient(options.ConnectionString, clientOptions)
                : options.AccountKey is not null ? new BlobServiceClient(endpoint, new StorageSharedKeyCredential(options.Account, options.AccountKey), clientOptions)
                : new BlobServiceClient(endpoint, new AzureSasCredential(options.SasToken ?? string.Empty), clientOptions);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or UriFormatException)
        {
            // The SDK's message may quote the connection string, secrets included: say only what to fix.
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"The Azure credentials for '{options.Location}' are not valid: the connection string, account name or key is malformed.\nHelp: check AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN.");
        }

        _container = service.GetBlobContainerClient(options.Container);
    }

    private BlobClient Blob(string key)
    {
        ValidateKey(key);
        return _container.GetBlobClient(_namePrefix + key);
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
        // startFrom is inclusive and not honoured by every service version (Azurite ignores it), so keys up to startAfter are also skipped here.
        var options = new GetBlobsOptions { Prefix = _namePrefix + prefix, StartFrom = startAfter is null ? null : _namePrefix + startAfter };
        await foreach (Page<BlobItem> page in TranslatedAsync(_container.GetBlobsAsync(options, cancellationToken).AsPages(null, pageSize), prefix, cancellationToken).ConfigureAwait(false))
        {
            foreach (BlobItem item in page.Values)
            {
                string key = item.Name[_namePrefix.Length..];
                if (startAfter is not null && string.CompareOrdinal(key, startAfter) <= 0)
                {
                    continue;
                }

                yield return Info(item);
            }
        }
    }

    private ObjectInfo Info(BlobItem item) =>
        new(item.Name[_namePrefix.Length..], item.Properties.ContentLength ?? 0, item.Properties.LastModified ?? DateTimeOffset.UnixEpoch);

    /// <inheritdoc />
    public override async IAsyncEnumerable<string> ListFoldersAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        var options = new GetBlobsByHierarchyOptions { Delimiter = "/", Prefix = _namePrefix + prefix };
        await foreach (BlobHierarchyItem item in TranslatedAsync(_container.GetBlobsByHierarchyAsync(options, cancellationToken), prefix, cancellationToken).ConfigureAwait(false))
        {
            if (item.IsPrefix)
            {
                yield return item.Prefix[_namePrefix.Length..];
            }
        }
    }

    /// <inheritdoc />
    public override async Task<byte[]> ReadAllAsync(string key, CancellationToken cancellationToken = default)
    {
        BlobClient blob = Blob(key);
        try
        {
            Response<BlobDownloadResult> result = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return result.Value.Content.ToArray();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "read", key);
        }
    }

    /// <inheritdoc />
    protected override async Task<byte[]> ReadNonEmptyRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        BlobClient blob = Blob(key);
        ObjectInfo info = await GetInfoAsync(key, cancellationToken).ConfigureAwait(false) ?? throw NotFound(key, null);
        if (offset + length > info.SizeBytes)
        {
            throw RangePastEnd(key, offset, length, info.SizeBytes);
        }

        try
        {
            Response<BlobDownloadResult> result = await blob.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(offset, length) }, cancellationToken).ConfigureAwait(false);
            byte[] bytes = result.Value.Content.ToArray();
            return bytes.Length == length ? bytes : throw RangePastEnd(key, offset, length, offset + bytes.Length);
        }
        catch (Exception e) when (e is not MedallionException && (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            throw Translate(e, "read", key);
        }
    }

    /// <inheritdoc />
    public override async Task<bool> PutIfAbsentAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        BlobClient blob = Blob(key);
        try
        {
            var options = new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } };
            await blob.UploadAsync(new BinaryData(content), options, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // The blob exists. When the SDK retried an upload whose first attempt did land, the blob is ours: same bytes.
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
        BlobClient blob = Blob(key);
        try
        {
            await blob.UploadAsync(new BinaryData(content), overwrite: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "write", key);
        }
    }

    /// <inheritdoc />
    protected override async Task DeleteObjectAsync(string key, CancellationToken cancellationToken)
    {
        BlobClient blob = Blob(key);
        try
        {
            await blob.DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "delete", key);
        }
    }

    /// <inheritdoc />
    public override async Task<ObjectInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default)
    {
        BlobClient blob = Blob(key);
        try
        {
            Response<BlobProperties> properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return new ObjectInfo(key, properties.Value.ContentLength, properties.Value.LastModified);
        }
        catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode is not "ContainerNotFound")
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
        BlobClient blob = Blob(key);
        try
        {
            // The SDK splits a large blob into ranged reads made in parallel.
            var transfer = new StorageTransferOptions { MaximumConcurrency = 4, InitialTransferSize = _options.BlockSizeBytes, MaximumTransferSize = _options.BlockSizeBytes };
            await blob.DownloadToAsync(path, new BlobDownloadToOptions { TransferOptions = transfer }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "download", key);
        }
    }

    /// <inheritdoc />
    protected override async Task UploadFileAsync(string key, string path, CancellationToken cancellationToken)
    {
        BlobClient blob = Blob(key);
        try
        {
            var transfer = new StorageTransferOptions { MaximumConcurrency = 4, InitialTransferSize = _options.SingleUploadLimitBytes, MaximumTransferSize = _options.BlockSizeBytes };
            await blob.UploadAsync(path, new BlobUploadOptions { TransferOptions = transfer }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Translate(e, "upload", key);
        }
    }

    /// <inheritdoc />
    protected override MedallionException Describe(Exception e, string operation, string key)
    {
        string what = $"Could not {operation} '{key}' in '{Location}'";
        RequestFailedException? failed = e as RequestFailedException ?? (e as AggregateException)?.InnerException as RequestFailedException;
        if (failed is not null && failed.Status != 0)
        {
            string detail = failed.ErrorCode is null ? $"HTTP {failed.Status}" : $"{failed.ErrorCode}, HTTP {failed.Status}";
            return failed.ErrorCode switch
            {
                "BlobNotFound" => NotFound(key, e),
                "ContainerNotFound" => new MedallionException(ErrorCode.StorageContainerNotFound,
                    $"{what}: the container '{_options.Container}' does not exist.\nHelp: create the container, or check its name and the account.", e),
                _ when failed.Status == 404 => NotFound(key, e),
                _ when failed.Status is 401 or 403 => new MedallionException(ErrorCode.StorageAccessDenied,
                    $"{what}: the store refused the credentials ({detail}).\nHelp: check AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, and that they may use the container.", e),
                // A 5xx is the store's trouble and may pass; another 4xx refuses this request and will refuse it again.
                _ => new MedallionException(ErrorCode.StorageIoFailed, $"{what}: {detail}.", e, isTransient: failed.Status >= 500),
            };
        }

        string endpoint = _container.Uri.GetLeftPart(UriPartial.Authority);
        if (IsTimeout(e))
        {
            return TimedOut(what, endpoint, _options.RequestTimeout, e);
        }

        // Network failures (connection refused, reset) arrive after the retries, wrapped in an AggregateException or a status-0 RequestFailedException.
        Exception root = e;
        while (root.InnerException is not null && root is not HttpRequestException)
        {
            root = root.InnerException;
        }

        return new MedallionException(ErrorCode.StorageIoFailed, $"{what}: the request to {endpoint} failed: {root.Message}", e);
    }
}
