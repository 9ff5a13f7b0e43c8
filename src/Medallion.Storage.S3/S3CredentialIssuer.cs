using System;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace Medallion.Storage.S3;

/// <summary>
/// Temporary S3 credentials for one table: STS AssumeRole of the role <c>MEDALLION_CREDENTIAL_ROLE_ARN</c> names (with
/// <c>MEDALLION_CREDENTIAL_EXTERNAL_ID</c> when its trust policy asks for one), for <c>MEDALLION_CREDENTIAL_LIFETIME</c>,
/// with a session policy (<see cref="S3SessionPolicy"/>) limiting them to the table's prefix. STS is reached at
/// <c>AWS_ENDPOINT_URL_STS</c> (else <c>AWS_ENDPOINT_URL</c>, else AWS's regional endpoint) with the store's own
/// credentials.
/// </summary>
internal static class S3CredentialIssuer
{
    /// <summary>The setting naming the IAM role credentials are issued from (Unity Catalog's <c>s3.awsRoleArn</c>, a Databricks storage credential's IAM role).</summary>
    public const string RoleArnSetting = "MEDALLION_CREDENTIAL_ROLE_ARN";

    /// <summary>The setting holding the external id the role's trust policy requires, if any.</summary>
    public const string ExternalIdSetting = "MEDALLION_CREDENTIAL_EXTERNAL_ID";

    /// <summary>The AWS SDKs' setting for STS's endpoint alone.</summary>
    public const string StsEndpointSetting = "AWS_ENDPOINT_URL_STS";

    public static async Task<StorageCredentials> IssueAsync(string location, StorageAccess access, string requester, Func<string, string?> settings, CancellationToken cancellationToken)
    {
        S3StoreOptions options = S3StoreOptions.FromUri(location, settings);
        string? roleArn = NonEmpty(settings(RoleArnSetting));
        if (roleArn is null)
        {
            throw new MedallionException(ErrorCode.StorageCredentialsNotConfigured,
                $"No temporary credentials can be issued for '{options.Location}': no IAM role is configured to issue them from.\n"
                + $"Help: set {RoleArnSetting} (in storage_options or the server's environment) to a role the server may assume (sts:AssumeRole) that reads and writes the lake's bucket; the credentials are limited to the table's prefix by a session policy.");
        }

        if (!roleArn.StartsWith("arn:", StringComparison.Ordinal) || roleArn.Split(':').Length < 6)
        {
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"{RoleArnSetting} '{roleArn}' for '{options.Location}' is not an IAM role ARN.\nHelp: write one such as arn:aws:iam::123456789012:role/medallion-readers.");
        }

        // STS issues session credentials for 15 minutes to 12 hours (a role's own maximum may be lower; STS says so).
        TimeSpan lifetime = CredentialLifetime.Parse(settings(CredentialLifetime.SettingName), TimeSpan.FromMinutes(15), TimeSpan.FromHours(12), options.Location);
        string policy = S3SessionPolicy.For(options.Bucket, options.Prefix, access, S3SessionPolicy.PartitionOf(options.Region));
        var request = new AssumeRoleRequest
        {
            RoleArn = roleArn,
            RoleSessionName = SessionName(requester),
            DurationSeconds = (int)lifetime.TotalSeconds,
            Policy = policy,
            ExternalId = NonEmpty(settings(ExternalIdSetting)),
        };
        try
        {
            using AmazonSecurityTokenServiceClient sts = Client(options, settings);
            AssumeRoleResponse response = await sts.AssumeRoleAsync(request, cancellationToken).ConfigureAwait(false);
            Credentials issued = response.Credentials;
            DateTimeOffset expiresAt = issued.Expiration is DateTime expiration
                ? new DateTimeOffset(DateTime.SpecifyKind(expiration, expiration.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : expiration.Kind))
                : DateTimeOffset.UtcNow + lifetime;
            return new StorageCredentials(options.Location, access, expiresAt.ToUniversalTime())
            {
                S3 = new S3SessionCredentials(issued.AccessKeyId, issued.SecretAccessKey, issued.SessionToken),
            };
        }
        catch (AmazonServiceException e)
        {
            throw new MedallionException(ErrorCode.StorageCredentialsFailed,
                $"STS refused to issue credentials for '{options.Location}' from {roleArn}: {e.ErrorCode} {e.Message}\nHelp: the server's own AWS credentials must be allowed sts:AssumeRole on the role, and the role's trust policy must name them (and the external id, if it asks for one).",
                e);
        }
        catch (AmazonClientException e)
        {
            throw new MedallionException(ErrorCode.StorageCredentialsFailed,
                $"STS did not answer a request for credentials for '{options.Location}': {e.Message}", e);
        }
    }

    /// <summary>
    /// The role session name STS records (and CloudTrail shows) for the credentials: <c>medallion-</c> and who asked, in
    /// the characters STS takes (letters, digits and <c>+=,.@-</c>), at most 64.
    /// </summary>
    internal static string SessionName(string requester)
    {
        var name = new StringBuilder("medallion-");
        foreach (char c in requester)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || "+=,.@-_".Contains(c, StringComparison.Ordinal) ? c : '_');
        }

        return name.Length <= 64 ? name.ToString() : name.ToString(0, 64);
    }

    private static AmazonSecurityTokenServiceClient Client(S3StoreOptions options, Func<string, string?> settings)
    {
        var config = new AmazonSecurityTokenServiceConfig { MaxErrorRetry = 3, Timeout = options.RequestTimeout };
        string? endpoint = NonEmpty(settings(StsEndpointSetting)) ?? NonEmpty(settings("AWS_ENDPOINT_URL"));
        Uri? uri = null;
        if (endpoint is not null && (!Uri.TryCreate(endpoint, UriKind.Absolute, out uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"The STS endpoint '{endpoint}' (from {StsEndpointSetting} or AWS_ENDPOINT_URL) for '{options.Location}' is not an http:// or https:// URL.");
        }

        AwsClientSettings.Apply(config, uri, options.Region);
        return AwsClientSettings.Credentials(options.AccessKeyId, options.SecretAccessKey, options.SessionToken) is { } credentials
            ? new AmazonSecurityTokenServiceClient(credentials, config)
            : new AmazonSecurityTokenServiceClient(config);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
