using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace Medallion.Storage.Azure;

/// <summary>Azure Blob Storage and ADLS Gen2: <c>az://</c>, <c>azure://</c>, <c>abfs://</c> and <c>abfss://</c> (<see cref="AzureBlobStoreOptions.FromUri"/>).</summary>
public sealed class AzureBlobStoreProvider : IObjectStoreProvider
{
    /// <inheritdoc />
    public IReadOnlyList<string> Schemes { get; } = ["az", "azure", "abfs", "abfss"];

    /// <inheritdoc />
    public IObjectStore Open(string location, Func<string, string?> settings, ObjectCache cache, ILoggerFactory? loggerFactory) =>
        new AzureBlobObjectStore(AzureBlobStoreOptions.FromUri(location, settings), cache, loggerFactory);
}
