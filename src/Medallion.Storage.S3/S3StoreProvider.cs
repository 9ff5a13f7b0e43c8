using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Medallion.Storage.S3;

/// <summary>Amazon S3 and S3-compatible stores (MinIO, moto): <c>s3://bucket/prefix</c> and <c>s3a://</c> (<see cref="S3StoreOptions.FromUri"/>).</summary>
public sealed class S3StoreProvider : IObjectStoreProvider, IStorageCredentialIssuer
{
    /// <inheritdoc />
    public IReadOnlyList<string> Schemes { get; } = ["s3", "s3a"];

    /// <inheritdoc />
    public IObjectStore Open(string location, Func<string, string?> settings, ObjectCache cache, ILoggerFactory? loggerFactory) =>
        new S3ObjectStore(S3StoreOptions.FromUri(location, settings), cache, loggerFactory);

    /// <inheritdoc />
    /// <remarks>STS AssumeRole with a session policy limited to the location's prefix (<see cref="S3SessionPolicy"/>): see <see cref="S3CredentialIssuer"/> for its settings.</remarks>
    public Task<StorageCredentials> IssueCredentialsAsync(string location, StorageAccess access, string requester, Func<string, string?> settings, CancellationToken cancellationToken) =>
        S3CredentialIssuer.IssueAsync(location, access, requester, settings, cancellationToken);
}
