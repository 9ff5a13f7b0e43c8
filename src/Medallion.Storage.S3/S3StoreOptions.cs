using System;
using System.Net;

namespace Medallion.Storage.S3;

/// <summary>
/// Where an S3 (or S3-compatible: MinIO, Ceph, R2, GCS interoperability) store is and how to reach it. Credentials
/// left null come from the standard AWS chain (environment, profile files, web identity, instance metadata); they
/// are never part of a message.
/// </summary>
public sealed record S3StoreOptions
{
    /// <summary>The bucket.</summary>
    public required string Bucket { get; init; }

    /// <summary>The key prefix of the store root inside the bucket, without leading or trailing <c>/</c>; empty for the bucket root.</summary>
    public string Prefix { get; init; } = string.Empty;

    /// <summary>The region (e.g. <c>eu-west-1</c>); null for <c>us-east-1</c>.</summary>
    public string? Region { get; init; }

    /// <summary>The endpoint of an S3-compatible service (e.g. <c>http://127.0.0.1:9000</c>); null for AWS.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>Path-style addressing (<c>endpoint/bucket/key</c>); null to choose it for an endpoint that is an IP address or <c>localhost</c>.</summary>
    public bool? ForcePathStyle { get; init; }

    /// <summary>An access key id; null to use the standard AWS credential chain.</summary>
    public string? AccessKeyId { get; init; }

    /// <summary>The secret of <see cref="AccessKeyId"/>.</summary>
    public string? SecretAccessKey { get; init; }

    /// <summary>A session token for temporary credentials, or null.</summary>
    public string? SessionToken { get; init; }

    /// <summary>
    /// Whether commits use <c>If-None-Match: *</c> (default). A service that does not implement it must turn this off,
    /// and then commits are refused unless <see cref="SingleWriter"/> says only one writer ever commits.
    /// </summary>
    public bool ConditionalPut { get; init; } = true;

    /// <summary>
    /// The opt-in for a store without conditional writes: the user guarantees that only one process writes each table,
    /// so a check-then-put commit cannot race.
    /// </summary>
    public bool SingleWriter { get; init; }

    /// <summary>Files larger than this are uploaded in parts (multipart upload), aborted when the upload fails (<see cref="StoreUploadParts"/>).</summary>
    public long MultipartThresholdBytes { get; init; } = StoreUploadParts.DefaultThresholdBytes;

    /// <summary>The size of each part of a multipart upload (at least 5 MiB, S3's minimum) and of each ranged read of a download (<see cref="StoreUploadParts"/>).</summary>
    public long PartSizeBytes { get; init; } = StoreUploadParts.DefaultPartSizeBytes;

    /// <summary>How long one attempt of a request may take before it is given up and retried (<see cref="StoreRequestTimeout"/>).</summary>
    public TimeSpan RequestTimeout { get; init; } = StoreRequestTimeout.Default;

    /// <summary>Whether requests use path-style addressing: <see cref="ForcePathStyle"/> when set, otherwise true for an IP address or <c>localhost</c> endpoint, where a bucket cannot be a host name.</summary>
    public bool UsesPathStyle => ForcePathStyle ?? (Endpoint is { } e && (e.IsLoopback || IPAddress.TryParse(e.Host, out _)
        || string.Equals(e.Host, "localhost", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The display form of the store root: <c>s3://bucket/prefix</c>.</summary>
    public string Location => Prefix.Length == 0 ? "s3://" + Bucket : "s3://" + Bucket + "/" + Prefix;

    /// <summary>
    /// Options for <paramref name="uri"/> (<c>s3://bucket/prefix</c>, also <c>s3a://</c>) with the standard
    /// environment: <c>AWS_REGION</c> (or <c>AWS_DEFAULT_REGION</c>), <c>AWS_ENDPOINT_URL_S3</c> (or
    /// <c>AWS_ENDPOINT_URL</c>); credentials are <c>AWS_ACCESS_KEY_ID</c> and <c>AWS_SECRET_ACCESS_KEY</c> (with
    /// <c>AWS_SESSION_TOKEN</c>) when both are set, else the AWS chain's (profiles, web identity, instance metadata);
    /// <c>MEDALLION_STORE_TIMEOUT</c> bounds each request (<see cref="StoreRequestTimeout"/>);
    /// <c>MEDALLION_STORE_MULTIPART_THRESHOLD</c> and <c>MEDALLION_STORE_PART_SIZE</c> say when and in what parts a file is
    /// uploaded (<see cref="StoreUploadParts"/>).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageUnsupportedLocation"/> when the URI names no bucket;
    /// <see cref="ErrorCode.StorageConfigurationInvalid"/> when the endpoint variable is not an http(s) URL, the timeout not a
    /// duration, or a part setting not a size S3 takes.</exception>
    public static S3StoreOptions FromUri(string uri, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(uri);
        environment ??= Environment.GetEnvironmentVariable;
        if (!StoreUri.TrySplit(uri, out _, out string bucket, out string prefix))
        {
            throw new MedallionException(ErrorCode.StorageUnsupportedLocation,
                $"The table location '{uri}' is not a valid S3 URI.\nHelp: write s3://bucket/path/to/table.");
        }

        string? endpointText = NonEmpty(environment("AWS_ENDPOINT_URL_S3")) ?? NonEmpty(environment("AWS_ENDPOINT_URL"));
        Uri? endpoint = null;
        if (endpointText is not null && (!Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"The S3 endpoint '{endpointText}' (from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL) is not an http:// or https:// URL.\nHelp: set it to the service's address, e.g. http://127.0.0.1:9000.");
        }

        string? accessKey = NonEmpty(environment("AWS_ACCESS_KEY_ID"));
        string? secretKey = NonEmpty(environment("AWS_SECRET_ACCESS_KEY"));
        return new S3StoreOptions
        {
            Bucket = bucket,
            Prefix = prefix,
            Region = NonEmpty(environment("AWS_REGION")) ?? NonEmpty(environment("AWS_DEFAULT_REGION")),
            Endpoint = endpoint,
            // Both or neither: with neither, the SDK's chain looks further (profiles, web identity, instance metadata).
            AccessKeyId = accessKey is not null && secretKey is not null ? accessKey : null,
            SecretAccessKey = accessKey is not null && secretKey is not null ? secretKey : null,
            SessionToken = accessKey is not null && secretKey is not null ? NonEmpty(environment("AWS_SESSION_TOKEN")) : null,
            ConditionalPut = !IsFalse(environment("MEDALLION_S3_CONDITIONAL_PUT")),
            // AWS_S3_ALLOW_UNSAFE_RENAME is delta-rs's name for the same opt-in.
            SingleWriter = IsTrue(environment("MEDALLION_SINGLE_WRITER")) || IsTrue(environment("AWS_S3_ALLOW_UNSAFE_RENAME")),
            RequestTimeout = StoreRequestTimeout.Parse(environment(StoreRequestTimeout.SettingName), uri),
            // S3 takes a single put and a part of at most 5 GiB, and parts (but the last) of at least 5 MiB.
            MultipartThresholdBytes = StoreUploadParts.Parse(environment(StoreUploadParts.ThresholdSettingName), StoreUploadParts.ThresholdSettingName, StoreUploadParts.DefaultThresholdBytes, 1, 5L << 30, "S3", uri),
            PartSizeBytes = StoreUploadParts.Parse(environment(StoreUploadParts.PartSizeSettingName), StoreUploadParts.PartSizeSettingName, StoreUploadParts.DefaultPartSizeBytes, 5L << 20, 5L << 30, "S3", uri),
        };
    }

    private static bool IsTrue(string? value) => value?.Trim().ToLowerInvariant() is "true" or "1" or "yes";

    private static bool IsFalse(string? value) => value?.Trim().ToLowerInvariant() is "false" or "0" or "no" or "disabled";

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
