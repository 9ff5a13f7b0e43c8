using System;
using Amazon;
using Amazon.Runtime;

namespace Medallion.Storage.S3;

/// <summary>What the S3 and STS clients of a store share: where the service is and which credentials sign for it.</summary>
internal static class AwsClientSettings
{
    /// <summary>Points <paramref name="config"/> at <paramref name="endpoint"/> (an S3-compatible service, signed for <paramref name="region"/>), else at AWS's endpoint of <paramref name="region"/>.</summary>
    public static void Apply(ClientConfig config, Uri? endpoint, string? region)
    {
        string name = region ?? "us-east-1";
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = name;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(name);
        }
    }

    /// <summary>The store's own credentials; null to use the SDK's chain (profiles, web identity, instance metadata).</summary>
    public static AWSCredentials? Credentials(string? accessKeyId, string? secretAccessKey, string? sessionToken) =>
        accessKeyId is null ? null
        : sessionToken is null ? new BasicAWSCredentials(accessKeyId, secretAccessKey)
        : new SessionAWSCredentials(accessKeyId, secretAccessKey, sessionToken);
}
