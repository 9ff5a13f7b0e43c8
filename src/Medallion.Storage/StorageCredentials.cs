using System;

namespace Medallion.Storage;

/// <summary>
/// Short-lived credentials for the objects under one location, issued to another engine (Spark, DuckDB, Daft, Trino)
/// so it reads a table's files itself: exactly one of <see cref="S3"/>, <see cref="AzureSasToken"/> and
/// <see cref="GcpOAuthToken"/> is set. They are secrets: never log or audit them.
/// </summary>
/// <param name="Location">The location the credentials are limited to, as a URI (<c>s3://bucket/prefix</c>).</param>
/// <param name="Access">What they allow there.</param>
/// <param name="ExpiresAt">When they stop working.</param>
public sealed record StorageCredentials(string Location, StorageAccess Access, DateTimeOffset ExpiresAt)
{
    /// <summary>AWS session credentials (STS), for an S3 location.</summary>
    public S3SessionCredentials? S3 { get; init; }

    /// <summary>A shared access signature (query string, without its leading <c>?</c>), for an Azure location.</summary>
    public string? AzureSasToken { get; init; }

    /// <summary>The storage account <see cref="AzureSasToken"/> was signed for (clients key a SAS by its account's host, as Iceberg's <c>adls.sas-token.&lt;account&gt;.dfs.core.windows.net</c>).</summary>
    public string? AzureAccount { get; init; }

    /// <summary>An OAuth 2.0 access token, for a Google Cloud Storage location.</summary>
    public string? GcpOAuthToken { get; init; }

    /// <summary>The form that names no secret, for logs and messages.</summary>
    public override string ToString() =>
        $"StorageCredentials {{ Location = {Location}, Access = {Access}, ExpiresAt = {ExpiresAt:O}, Kind = {(S3 is not null ? "s3" : AzureSasToken is not null ? "azure-sas" : GcpOAuthToken is not null ? "gcp-oauth" : "none")} }}";
}

/// <summary>AWS temporary credentials: an access key, its secret and the session token that goes with them.</summary>
/// <param name="AccessKeyId">The access key id.</param>
/// <param name="SecretAccessKey">Its secret.</param>
/// <param name="SessionToken">The session token to send with each request.</param>
public sealed record S3SessionCredentials(string AccessKeyId, string SecretAccessKey, string SessionToken)
{
    /// <summary>The form that names no secret.</summary>
    public override string ToString() => $"S3SessionCredentials {{ AccessKeyId = {AccessKeyId} }}";
}
