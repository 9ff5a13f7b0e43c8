using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Medallion.Storage.Azure;

/// <summary>Azure Blob Storage and ADLS Gen2: <c>az://</c>, <c>azure://</c>, <c>abfs://</c> and <c>abfss://</c> (<see cref="AzureBlobStoreOptions.FromUri"/>).</summary>
public sealed class AzureBlobStoreProvider : IObjectStoreProvider, IStorageCredentialIssuer
{
    /// <inheritdoc />
    public IReadOnlyList<string> Schemes { get; } = ["az", "azure", "abfs", "abfss"];

    /// <inheritdoc />
    public IObjectStore Open(string location, Func<string, string?> settings, ObjectCache cache, ILoggerFactory? loggerFactory) =>
        new AzureBlobObjectStore(AzureBlobStoreOptions.FromUri(location, settings), cache, loggerFactory);

    /// <inheritdoc />
    /// <remarks>A service SAS signed with the store's account key, limited to the table's folder (see <see cref="AzureSasIssuer"/> for its settings).</remarks>
    public Task<StorageCredentials> IssueCredentialsAsync(string location, StorageAccess access, string requester, Func<string, string?> settings, CancellationToken cancellationToken) =>
        AzureSasIssuer.IssueAsync(location, access, settings, TimeProvider.System);
}
