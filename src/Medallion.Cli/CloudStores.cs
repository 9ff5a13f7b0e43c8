using System.Runtime.CompilerServices;
using Medallion.Engine;
using Medallion.Storage.Azure;
using Medallion.Storage.Gcs;
using Medallion.Storage.S3;

namespace Medallion.Cli;

/// <summary>The kinds of remote store the <c>medallion</c> program ships: S3, Azure Blob Storage and Google Cloud Storage (the engine ships none).</summary>
internal static class CloudStores
{
    /// <summary>Registers them when the program loads, before any command opens a table.</summary>
    [ModuleInitializer]
    internal static void Register() => StorageResolver.Register(new S3StoreProvider(), new AzureBlobStoreProvider(), new GcsStoreProvider());
}
