using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Medallion.Storage.Gcs;

/// <summary>Google Cloud Storage: <c>gs://</c> and <c>gcs://</c> (<see cref="GcsStoreOptions.FromUri"/>).</summary>
public sealed class GcsStoreProvider : IObjectStoreProvider, IStorageCredentialIssuer
{
    /// <inheritdoc />
    public IReadOnlyList<string> Schemes { get; } = ["gs", "gcs"];

    /// <inheritdoc />
    public IObjectStore Open(string location, Func<string, string?> settings, ObjectCache cache, ILoggerFactory? loggerFactory) =>
        new GcsObjectStore(GcsStoreOptions.FromUri(location, settings), cache, loggerFactory);

    /// <inheritdoc />
    /// <remarks>
    /// A downscoped token: the server's own token exchanged at Google's STS under a Credential Access Boundary limited to
    /// the location's folder (<see cref="GcsAccessBoundary"/>); see <see cref="GcsCredentialIssuer"/> for its settings.
    /// </remarks>
    public Task<StorageCredentials> IssueCredentialsAsync(string location, StorageAccess access, string requester, Func<string, string?> settings, CancellationToken cancellationToken) =>
        GcsCredentialIssuer.IssueAsync(location, access, settings, TimeProvider.System, cancellationToken);
}
