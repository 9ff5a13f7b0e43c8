using Medallion.Delta;
using Medallion.DuckDb;
using Medallion.Storage;

namespace Medallion.Engine.Tests;

/// <summary><see cref="StorageResolver"/>: a table location (path or URI) to its store and Delta table.</summary>
public sealed class StorageResolverTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "medallion-resolver-" + Guid.NewGuid().ToString("N"));

    public StorageResolverTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_local_path_opens_a_local_store_rooted_at_its_full_path()
    {
        IObjectStore store = StorageResolver.Default.OpenStore(Path.Combine(_root, "sales", "..", "orders"));

        Assert.IsType<LocalObjectStore>(store);
        Assert.Equal(Path.Combine(_root, "orders"), store.Location);
    }

    [Fact]
    public void A_file_uri_opens_the_local_store_at_the_path_it_names()
    {
        IObjectStore store = StorageResolver.Default.OpenStore("file://" + _root + "/orders");

        Assert.IsType<LocalObjectStore>(store);
        Assert.Equal(Path.Combine(_root, "orders"), store.Location);
    }

    [Fact]
    public void A_file_uri_naming_a_remote_host_is_refused()
    {
        var e = Assert.Throws<MedallionException>(() => StorageResolver.Default.OpenStore("file://fileserver/share/orders"));

        Assert.Equal(ErrorCode.StorageUnsupportedLocation, e.Code);
        Assert.Equal(
            "The table location 'file://fileserver/share/orders' is not a local file URI.\nHelp: write file:///absolute/path (three slashes, no host), or give the path itself.",
            e.Message);
    }

    [Theory]
    [InlineData("wasbs://lake@acme.blob.core.windows.net/orders", "wasbs")]
    [InlineData("hdfs://namenode/lake/orders", "hdfs")]
    [InlineData("https://example.com/orders", "https")]
    [InlineData("HTTP://example.com/orders", "http")]
    public void A_uri_with_an_unsupported_scheme_is_refused_and_never_taken_as_a_local_path(string location, string scheme)
    {
        var e = Assert.Throws<MedallionException>(() => StorageResolver.Default.OpenStore(location));

        Assert.Equal(ErrorCode.StorageUnsupportedLocation, e.Code);
        Assert.Equal(
            $"The table location '{location}' uses the scheme '{scheme}://', which no store supports.\nHelp: give a local path (or a file:/// URI), or a URI of a store: s3://, s3a://, az://, azure://, abfs://, abfss://, gs://, gcs://.",
            e.Message);
    }

    [Fact]
    public async Task Creating_a_table_at_an_unsupported_uri_fails_and_writes_no_local_folder()
    {
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection connection = database.CreateConnection();

        var e = await Assert.ThrowsAsync<MedallionException>(() =>
            new DeltaWriter(connection).CreateTableAsync("hdfs://namenode/sales/orders", new DeltaTableDefinition("id long NOT NULL")));

        Assert.Equal(ErrorCode.StorageUnsupportedLocation, e.Code);
        Assert.False(Directory.Exists(Path.Combine(Environment.CurrentDirectory, "hdfs:")));
    }

    [Fact]
    public async Task A_table_opened_through_a_file_uri_reads_the_table_written_at_its_path()
    {
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection connection = database.CreateConnection();
        string path = Path.Combine(_root, "orders");
        await new DeltaWriter(connection).CreateTableAsync(path, new DeltaTableDefinition("id long NOT NULL"));

        DeltaTable table = StorageResolver.Default.OpenTable("file://" + path, connection);

        Assert.Equal(path, table.Location);
        Assert.Equal(0, (await table.GetSnapshotAsync()).Version);
    }

    [Theory]
    [InlineData("s3://lake/sales/orders", "s3://lake/sales/orders")]
    [InlineData("s3a://lake/sales/orders/", "s3://lake/sales/orders")]
    public void An_s3_uri_opens_an_s3_store_at_the_bucket_prefix(string location, string shown)
    {
        IObjectStore store = StorageResolver.Default.OpenStore(location);

        Assert.IsType<Medallion.Storage.S3.S3ObjectStore>(store);
        Assert.Equal(shown, store.Location);
    }

    [Theory]
    [InlineData("az://lake/sales/orders")]
    [InlineData("abfss://lake@devstoreaccount1.dfs.core.windows.net/sales/orders")]
    public async Task An_az_or_abfss_uri_opens_an_azure_blob_store(string location)
    {
        await ObjectStores.TestObjectStores.EnsureEnvironmentAsync();

        IObjectStore store = StorageResolver.Default.OpenStore(location);

        Assert.IsType<Medallion.Storage.Azure.AzureBlobObjectStore>(store);
        Assert.Equal(location, store.Location);
    }

    [Theory]
    [InlineData("20GB", 20L << 30)]
    [InlineData("512 MB", 512L << 20)]
    [InlineData("1.5TB", 3L << 39)]
    [InlineData("4096", 4096L)]
    public void Cache_sizes_read_with_binary_units(string text, long bytes) =>
        Assert.Equal(bytes, ByteSize.Parse(text, "cache.max_size"));

    [Fact]
    public void A_cache_size_that_is_not_a_size_is_refused_saying_where()
    {
        var e = Assert.Throws<MedallionException>(() => ByteSize.Parse("lots", "medallion.yml: cache.max_size"));

        Assert.Equal(ErrorCode.StorageConfigurationInvalid, e.Code);
        Assert.Equal("medallion.yml: cache.max_size: 'lots' is not a size.\nHelp: write a positive number of bytes or a number with KB, MB, GB or TB, e.g. 20GB.", e.Message);
    }

    [Theory]
    [InlineData("orders", false)]
    [InlineData("/data/lake/orders", false)]
    [InlineData("data/s3://odd", false)]
    [InlineData("1s3://lake", false)]
    [InlineData("s3://lake", true)]
    [InlineData("file:///data/orders", true)]
    public void Is_uri_holds_only_for_a_location_that_starts_with_a_scheme(string location, bool expected) =>
        Assert.Equal(expected, StorageResolver.IsUri(location));

    [Fact]
    public void A_local_path_becomes_its_absolute_file_uri_for_other_engines()
    {
        Assert.Equal(new Uri(Path.Combine(_root, "orders")).AbsoluteUri, StorageResolver.ToUri(Path.Combine(_root, "sales", "..", "orders")));
    }

    [Theory]
    [InlineData("s3://lake/shop/silver/orders")]
    [InlineData("az://lake/shop/silver/orders")]
    [InlineData("abfss://lake@acme.dfs.core.windows.net/shop/silver/orders")]
    [InlineData("gs://lake/shop/silver/orders")]
    [InlineData("file:///data/shop/silver/orders")]
    public void A_stores_uri_is_given_to_other_engines_as_written(string location) =>
        Assert.Equal(location, StorageResolver.ToUri(location));
}
