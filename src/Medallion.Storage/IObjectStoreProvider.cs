using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace Medallion.Storage;

/// <summary>
/// A kind of remote object store (S3, Azure Blob Storage, ...), in a package of its own: the URI schemes it serves and how
/// it opens the store rooted at a location. The host registers the kinds it ships with the engine's store resolver, so
/// the engine needs no cloud SDK and a new cloud is a package, not a change to the engine.
/// </summary>
public interface IObjectStoreProvider
{
    /// <summary>The URI schemes this kind serves, lower case without <c>://</c> (<c>s3</c>, <c>s3a</c>).</summary>
    IReadOnlyList<string> Schemes { get; }

    /// <summary>Opens the store rooted at <paramref name="location"/>, a URI with one of <see cref="Schemes"/>.</summary>
    /// <param name="location">The store's root, e.g. <c>s3://bucket/prefix</c>.</param>
    /// <param name="settings">The value of a setting by its standard variable's name (<c>AWS_REGION</c>, ...), or null when not set.</param>
    /// <param name="cache">The local cache data files are read through and written to before uploading.</param>
    /// <param name="loggerFactory">Where the store logs its failed requests, or null.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageConfigurationInvalid"/> when the settings are missing or invalid.</exception>
    IObjectStore Open(string location, Func<string, string?> settings, ObjectCache cache, ILoggerFactory? loggerFactory);
}
