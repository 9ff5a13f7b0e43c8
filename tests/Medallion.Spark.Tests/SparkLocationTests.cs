using Medallion.Engine;

namespace Medallion.Spark.Tests;

/// <summary>A table location as it is written into a Spark model's SQL (<see cref="StorageResolver.ToSparkUri"/>).</summary>
public sealed class SparkLocationTests
{
    private static StorageResolver Resolver(string root, params (string Name, string Value)[] settings) =>
        new(settings: new Dictionary<string, IReadOnlyDictionary<string, string>> { [root] = settings.ToDictionary(s => s.Name, s => s.Value) });

    [Theory]
    [InlineData("az://lake/shop/gold/daily_revenue", "abfss://lake@acme.dfs.core.windows.net/shop/gold/daily_revenue")]
    [InlineData("azure://lake/shop/gold/daily_revenue", "abfss://lake@acme.dfs.core.windows.net/shop/gold/daily_revenue")]
    [InlineData("az://lake", "abfss://lake@acme.dfs.core.windows.net")]
    public void An_az_location_becomes_an_abfss_uri_of_the_account_its_settings_name(string location, string expected)
    {
        string root = location[..location.IndexOf("://", StringComparison.Ordinal)] + "://lake";

        Assert.Equal(expected, Resolver(root, ("AZURE_STORAGE_ACCOUNT", "Acme")).ToSparkUri(location));
    }

    [Fact]
    public void An_az_location_takes_its_account_from_the_connection_string_when_no_account_is_set()
    {
        StorageResolver resolver = Resolver("az://lake/shop", ("AZURE_STORAGE_CONNECTION_STRING", "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=a2V5;EndpointSuffix=core.windows.net"));

        Assert.Equal("abfss://lake@acme.dfs.core.windows.net/shop/silver/orders", resolver.ToSparkUri("az://lake/shop/silver/orders"));
    }

    [Theory]
    [InlineData("s3://bucket/shop/gold/t", "s3a://bucket/shop/gold/t")]
    [InlineData("s3a://bucket/shop/gold/t", "s3a://bucket/shop/gold/t")]
    [InlineData("abfss://lake@acme.dfs.core.windows.net/shop", "abfss://lake@acme.dfs.core.windows.net/shop")]
    [InlineData("gs://bucket/shop/gold/t", "gs://bucket/shop/gold/t")]
    [InlineData("/data/lake/gold/t", "/data/lake/gold/t")]
    public void Other_locations_are_given_to_spark_as_its_file_systems_name_them(string location, string expected)
    {
        Assert.Equal(expected, new StorageResolver().ToSparkUri(location));
    }

    [Fact]
    public void An_az_location_without_an_account_is_refused_with_the_abfss_uri_to_write_instead()
    {
        StorageResolver resolver = Resolver("az://lake", ("AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"));

        MedallionException e = Assert.Throws<MedallionException>(() => resolver.ToSparkUri("az://lake/shop/gold/t"));

        Assert.Equal(ErrorCode.StorageConfigurationInvalid, e.Code);
        Assert.Equal(
            "Spark reads ADLS as abfss://container@account.dfs.core.windows.net/..., but no storage account is set for 'az://lake/shop/gold/t'.\nHelp: set AZURE_STORAGE_ACCOUNT (in storage_options or the environment), or write the storage as abfss://lake@<account>.dfs.core.windows.net/shop/gold/t.",
            e.Message);
    }

    [Fact]
    public void An_account_name_that_is_not_one_cannot_reach_the_spark_sql()
    {
        StorageResolver resolver = Resolver("az://lake", ("AZURE_STORAGE_ACCOUNT", "acme.evil.com/x` --"));

        Assert.Equal(ErrorCode.StorageConfigurationInvalid, Assert.Throws<MedallionException>(() => resolver.ToSparkUri("az://lake/t")).Code);
    }
}
