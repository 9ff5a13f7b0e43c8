using Medallion.Engine;
using Medallion.Storage;
using Medallion.Storage.Azure;
using Medallion.Storage.Gcs;
using Medallion.Storage.S3;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>What a store's settings must say before credentials are issued for its tables, and the stores that issue none.</summary>
public sealed class CredentialSettingsTests
{
    public CredentialSettingsTests() => StorageResolver.Register(new S3StoreProvider(), new AzureBlobStoreProvider(), new GcsStoreProvider());

    [Fact]
    public async Task An_S3_store_without_a_role_to_assume_refuses_with_MDL5701_naming_the_setting()
    {
        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() => Resolver("s3://lake", ("AWS_ACCESS_KEY_ID", "k"), ("AWS_SECRET_ACCESS_KEY", "s"))
            .IssueCredentialsAsync("s3://lake/silver/orders", StorageAccess.Read, "ana"));

        Assert.Equal((ErrorCode.StorageCredentialsNotConfigured, true), (refused.Code, refused.Message.Contains("MEDALLION_CREDENTIAL_ROLE_ARN", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("not-an-arn")]
    [InlineData("arn:aws:iam")]
    public async Task An_S3_role_that_is_no_ARN_is_refused_as_invalid_settings(string role)
    {
        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() => Resolver("s3://lake", ("MEDALLION_CREDENTIAL_ROLE_ARN", role))
            .IssueCredentialsAsync("s3://lake/silver/orders", StorageAccess.Read, "ana"));

        Assert.Equal(ErrorCode.StorageConfigurationInvalid, refused.Code);
    }

    [Theory]
    [InlineData("5m")]
    [InlineData("13h")]
    [InlineData("soon")]
    public async Task An_S3_lifetime_STS_does_not_issue_is_refused_with_its_bounds(string lifetime)
    {
        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() =>
            Resolver("s3://lake", ("MEDALLION_CREDENTIAL_ROLE_ARN", "arn:aws:iam::123456789012:role/r"), ("MEDALLION_CREDENTIAL_LIFETIME", lifetime))
                .IssueCredentialsAsync("s3://lake/silver/orders", StorageAccess.Read, "ana"));

        Assert.Equal((ErrorCode.StorageConfigurationInvalid, true), (refused.Code, refused.Message.Contains("MEDALLION_CREDENTIAL_LIFETIME", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_Azure_store_reached_with_a_SAS_token_refuses_with_MDL5701()
    {
        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() =>
            Resolver("az://lake", ("AZURE_STORAGE_ACCOUNT", "acct"), ("AZURE_STORAGE_SAS_TOKEN", "sv=2024&sig=x"))
                .IssueCredentialsAsync("az://lake/silver/orders", StorageAccess.Read, "ana"));

        Assert.Equal(ErrorCode.StorageCredentialsNotConfigured, refused.Code);
    }

    [Fact]
    public async Task A_GCS_store_reached_anonymously_has_no_token_to_downscope_and_refuses_with_MDL5701()
    {
        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() =>
            Resolver("gs://lake", ("STORAGE_EMULATOR_HOST", "127.0.0.1:9")).IssueCredentialsAsync("gs://lake/silver/orders", StorageAccess.Read, "ana"));

        Assert.Equal((ErrorCode.StorageCredentialsNotConfigured, true), (refused.Code, refused.Message.Contains("GOOGLE_APPLICATION_CREDENTIALS", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("gs://lake/silver/it's")]
    [InlineData("gs://lake/silver/orders') || true || ('")]
    [InlineData("gs://lake/silver/back\\slash")]
    [InlineData("gs://lake/silver/new\nline")]
    [InlineData("gs://lake/silver/../gold")]
    [InlineData("gs://lake/silver/./orders")]
    public async Task A_GCS_location_a_boundary_cannot_name_safely_is_refused_before_any_exchange(string location)
    {
        // No STS and no credentials are configured: the refusal comes first, from the path alone.
        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() =>
            Resolver("gs://lake", ("STORAGE_EMULATOR_HOST", "127.0.0.1:9")).IssueCredentialsAsync(location, StorageAccess.Read, "ana"));

        Assert.Equal(ErrorCode.StorageCredentialsUnsupported, refused.Code);
    }

    [Theory]
    [InlineData("ftp://sts.example")]
    [InlineData("not a url")]
    public async Task A_GCS_STS_endpoint_that_is_no_http_URL_is_refused_as_invalid_settings(string endpoint)
    {
        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() =>
            Resolver("gs://lake", ("STORAGE_EMULATOR_HOST", "127.0.0.1:9"), ("MEDALLION_GCS_STS_ENDPOINT", endpoint)).IssueCredentialsAsync("gs://lake/silver/orders", StorageAccess.Read, "ana"));

        Assert.Equal((ErrorCode.StorageConfigurationInvalid, true), (refused.Code, refused.Message.Contains("MEDALLION_GCS_STS_ENDPOINT", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_local_table_needs_no_credentials()
    {
        StorageCredentials? issued = await Resolver("lake").IssueCredentialsAsync("file:///tmp/lake/silver/orders", StorageAccess.ReadWrite, "ana");

        Assert.Null(issued);
    }

    private static StorageResolver Resolver(string root, params (string Name, string Value)[] settings) =>
        new(settings: new Dictionary<string, IReadOnlyDictionary<string, string>> { [root] = settings.ToDictionary(s => s.Name, s => s.Value) });
}
