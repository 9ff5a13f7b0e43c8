using System.Runtime.CompilerServices;
using Medallion.Engine;
using Medallion.Storage.Azure;
using Medallion.Storage.Gcs;
using Medallion.Storage.S3;

namespace Medallion.TestSupport;

/// <summary>
/// The kinds of remote store the tests reach moto, Azurite and the GCS test server through, registered as the <c>medallion</c> program
/// registers them: a test project that opens s3://, az:// or gs:// tables links this file, as a host does.
/// </summary>
internal static class CloudStores
{
    [ModuleInitializer]
    internal static void Register() => StorageResolver.Register(new S3StoreProvider(), new AzureBlobStoreProvider(), new GcsStoreProvider());
}
