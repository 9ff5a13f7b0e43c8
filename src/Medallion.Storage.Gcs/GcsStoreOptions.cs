using System;

namespace Medallion.Storage.Gcs;

/// <summary>
/// Where a Google Cloud Storage store is and how it authenticates: Application Default Credentials (a key file named by
/// <c>GOOGLE_APPLICATION_CREDENTIALS</c>, gcloud's user credentials, the metadata server of GCE and GKE with workload
/// identity), or a key given inline, and an emulator named by <c>STORAGE_EMULATOR_HOST</c>. Secrets are never part of
/// a message.
/// </summary>
public sealed record GcsStoreOptions
{
    /// <summary>The part size and threshold must be whole multiples of this: GCS takes the chunks of a resumable upload in 256 KiB units.</summary>
    public const long ChunkUnitBytes = 256 << 10;

    /// <summary>The bucket.</summary>
    public required string Bucket { get; init; }

    /// <summary>The object name prefix of the store root inside the bucket, without leading or trailing <c>/</c>; empty for the bucket root.</summary>
    public string Prefix { get; init; } = string.Empty;

    /// <summary>The display form of the store root (the URI it was opened from, without a trailing <c>/</c>).</summary>
    public required string Location { get; init; }

    /// <summary>
    /// The service's root, e.g. <c>http://127.0.0.1:4443/</c> for an emulator; null for Google's
    /// (<c>https://storage.googleapis.com/</c>). The JSON API is under <c>storage/v1/</c>, uploads under <c>upload/storage/v1/</c>.
    /// </summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The path of a credentials file (a service account key, an external account configuration); with <see cref="CredentialsJson"/> null.</summary>
    public string? CredentialsPath { get; init; }

    /// <summary>The content of a credentials file, given inline (a secret mounted in a variable); null to use <see cref="CredentialsPath"/> or the defaults.</summary>
    public string? CredentialsJson { get; init; }

    /// <summary>
    /// Whether requests carry no credentials: an emulator's, when no credentials were named. With neither this nor a file,
    /// Application Default Credentials are looked up (gcloud's user credentials, then the metadata server).
    /// </summary>
    public bool Anonymous { get; init; }

    /// <summary>Files larger than this are uploaded by a resumable upload in chunks of <see cref="ChunkSizeBytes"/> (<see cref="StoreUploadParts"/>); smaller ones in one request.</summary>
    public long SingleUploadLimitBytes { get; init; } = StoreUploadParts.DefaultThresholdBytes;

    /// <summary>The size of each chunk of a resumable upload and of each ranged read of a download, a multiple of 256 KiB (<see cref="StoreUploadParts"/>).</summary>
    public long ChunkSizeBytes { get; init; } = StoreUploadParts.DefaultPartSizeBytes;

    /// <summary>How long one attempt of a request may take before it is given up and retried (<see cref="StoreRequestTimeout"/>).</summary>
    public TimeSpan RequestTimeout { get; init; } = StoreRequestTimeout.Default;

    /// <summary>The name of the setting that points at an emulator, as Google's client libraries read it.</summary>
    public const string EmulatorHostSettingName = "STORAGE_EMULATOR_HOST";

    /// <summary>
    /// Options for <paramref name="uri"/> (<c>gs://bucket/prefix</c>, also <c>gcs://</c>) with the standard environment:
    /// <c>GOOGLE_APPLICATION_CREDENTIALS</c> (a credentials file) or <c>GOOGLE_SERVICE_ACCOUNT_KEY</c> (its content, as
    /// delta-rs reads it), else Application Default Credentials; <c>STORAGE_EMULATOR_HOST</c> (<c>host:port</c> or a URL)
    /// sends requests to an emulator, anonymously unless credentials are named; <c>MEDALLION_STORE_TIMEOUT</c> bounds
    /// each request (<see cref="StoreRequestTimeout"/>); <c>MEDALLION_STORE_MULTIPART_THRESHOLD</c> and
    /// <c>MEDALLION_STORE_PART_SIZE</c> say when a file goes as a resumable upload and in what chunks
    /// (<see cref="StoreUploadParts"/>).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageUnsupportedLocation"/> when the URI names no bucket;
    /// <see cref="ErrorCode.StorageConfigurationInvalid"/> when the emulator host is not a host or URL, the timeout not a
    /// duration, or a part setting not a size GCS takes.</exception>
    public static GcsStoreOptions FromUri(string uri, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(uri);
        environment ??= Environment.GetEnvironmentVariable;
        if (!StoreUri.TrySplit(uri, out _, out string bucket, out string prefix))
        {
            throw new MedallionException(ErrorCode.StorageUnsupportedLocation,
                $"The table location '{uri}' is not a valid Google Cloud Storage URI.\nHelp: write gs://bucket/path/to/table.");
        }

        string location = uri.TrimEnd('/');
        Uri? endpoint = null;
        if (NonEmpty(environment(EmulatorHostSettingName)) is { } host)
        {
            // Google's libraries take a bare host:port as http://host:port.
            string url = host.Contains("://", StringComparison.Ordinal) ? host : "http://" + host;
            if (!Uri.TryCreate(url, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https") || endpoint.AbsolutePath != "/")
            {
                throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                    $"{EmulatorHostSettingName} '{host}' for '{location}' is not a host:port or an http:// or https:// URL without a path.\nHelp: set it to the emulator's address, e.g. 127.0.0.1:4443.");
            }
        }

        string? credentialsJson = NonEmpty(environment("GOOGLE_SERVICE_ACCOUNT_KEY"));
        string? credentialsPath = credentialsJson is null ? NonEmpty(environment("GOOGLE_APPLICATION_CREDENTIALS")) : null;
        // GCS takes an object of up to 5 TiB, and the chunks of a resumable upload in 256 KiB units.
        long threshold = StoreUploadParts.Parse(environment(StoreUploadParts.ThresholdSettingName), StoreUploadParts.ThresholdSettingName, StoreUploadParts.DefaultThresholdBytes, 1, 5L << 40, "Google Cloud Storage", location);
        long chunk = StoreUploadParts.Parse(environment(StoreUploadParts.PartSizeSettingName), StoreUploadParts.PartSizeSettingName, StoreUploadParts.DefaultPartSizeBytes, ChunkUnitBytes, 5L << 30, "Google Cloud Storage", location);
        if (chunk % ChunkUnitBytes != 0)
        {
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"{StoreUploadParts.PartSizeSettingName} for '{location}' cannot be '{environment(StoreUploadParts.PartSizeSettingName)!.Trim()}': Google Cloud Storage takes the chunks of an upload in multiples of 256 KiB.\nHelp: write a multiple of 256KB, e.g. 8MB.");
        }

        return new GcsStoreOptions
        {
            Bucket = bucket,
            Prefix = prefix,
            Location = location,
            Endpoint = endpoint,
            CredentialsJson = credentialsJson,
            CredentialsPath = credentialsPath,
            Anonymous = endpoint is not null && credentialsJson is null && credentialsPath is null,
            SingleUploadLimitBytes = threshold,
            ChunkSizeBytes = chunk,
            RequestTimeout = StoreRequestTimeout.Parse(environment(StoreRequestTimeout.SettingName), location),
        };
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
