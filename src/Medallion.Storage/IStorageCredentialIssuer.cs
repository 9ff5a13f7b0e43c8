using System;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Storage;

/// <summary>
/// A kind of object store (an <see cref="IObjectStoreProvider"/>) that can issue short-lived credentials limited to a
/// location, so another engine reads (or writes) a table's files without the lake's own keys: S3 through STS
/// AssumeRole with a session policy, Azure through a shared access signature, GCS a token downscoped by Google's STS.
/// </summary>
public interface IStorageCredentialIssuer
{
    /// <summary>Issues credentials for the objects under <paramref name="location"/>, and nothing else.</summary>
    /// <param name="location">A table's root, a URI of one of the provider's schemes.</param>
    /// <param name="access">What the credentials allow.</param>
    /// <param name="requester">Who they are for, named in the cloud's own logs where it keeps one (the STS session name).</param>
    /// <param name="settings">The value of a setting by its variable's name, as the store at <paramref name="location"/> reads them; null when not set.</param>
    /// <param name="cancellationToken">Stops the issuing.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.StorageCredentialsNotConfigured"/> when the settings say nothing the credentials could come
    /// from; <see cref="ErrorCode.StorageCredentialsUnsupported"/> when this kind of store cannot limit credentials;
    /// <see cref="ErrorCode.StorageCredentialsFailed"/> when the cloud refuses or does not answer.
    /// </exception>
    Task<StorageCredentials> IssueCredentialsAsync(string location, StorageAccess access, string requester, Func<string, string?> settings, CancellationToken cancellationToken);
}
