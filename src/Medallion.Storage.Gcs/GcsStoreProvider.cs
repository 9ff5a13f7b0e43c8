using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace Medallion.Storage.Gcs;

/// <summary>Google Cloud Storage: <c>gs://</c> and <c>gcs://</c> (<see cref="GcsStoreOptions.FromUri"/>).</summary>
public sealed class GcsStoreProvider : IObjectStoreProvider
{
    /// <inheritdoc />
    public IReadOnlyList<string> Schemes { get; } = ["gs", "gcs"];

    /// <inheritdoc />
    public IObjectStore Open(string location, Func<string, string?> settings, ObjectCache cache, ILoggerFactory? loggerFactory) =>
        new GcsObjectStore(GcsStoreOptions.FromUri(location, settings), cache, loggerFactory);
}
