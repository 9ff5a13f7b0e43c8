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
    /// Always refused: a token limited to a table's prefix is a downscoped token (a Credential Access Boundary exchanged
    /// at Google's STS), which the .NET Google auth library does not make, and an unlimited token would reach the whole
    /// lake.
    /// </remarks>
    public Task<StorageCredentials> IssueCredentialsAsync(string location, StorageAccess access, string requester, Func<string, string?> settings, CancellationToken cancellationToken) =>
        throw new MedallionException(ErrorCode.StorageCredentialsUnsupported,
            $"No temporary credentials are issued for '{location}': a Google Cloud Storage token limited to one table is a downscoped token (a Credential Access Boundary), which this server cannot make, and an unlimited one would reach every table of the bucket.\n"
            + "Help: read the table through the SQL endpoint, or give the engine its own service account with access to the bucket.");
}
