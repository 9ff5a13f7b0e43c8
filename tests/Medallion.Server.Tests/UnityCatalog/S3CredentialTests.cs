using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Medallion.Server.Tests.UnityCatalog;

/// <summary>
/// Temporary credentials for tables on S3 (moto's): STS AssumeRole of the configured role for the configured lifetime,
/// under a session policy limited to the table's prefix. moto issues the key without enforcing the policy, so the key is
/// shown to read the table's files and the policy the server sent is checked statement by statement.
/// </summary>
public sealed class S3CredentialTests(UcS3Project project) : IClassFixture<UcS3Project>
{
    [Fact]
    public async Task A_vended_key_lists_and_reads_the_tables_files()
    {
        JsonElement answer = await project.CredentialsAsync("silver.orders", "READ", project.Admin);
        using AmazonS3Client client = UcS3Project.Client(Key(answer));

        ListObjectsV2Response log = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = UcStoreProject.Bucket, Prefix = project.Storage + "/silver/orders/_delta_log/" });
        using GetObjectResponse first = await client.GetObjectAsync(UcStoreProject.Bucket, log.S3Objects.First(o => o.Key.EndsWith(".json", StringComparison.Ordinal)).Key);
        string commit = await new StreamReader(first.ResponseStream).ReadToEndAsync();

        Assert.Equal($"s3://{UcStoreProject.Bucket}/{project.Storage}/silver/orders", answer.GetProperty("url").GetString());
        Assert.Contains("\"metaData\"", commit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_key_comes_from_assuming_the_configured_role_for_the_configured_lifetime_in_the_users_name()
    {
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        JsonElement answer = await project.CredentialsAsync("gold.revenue", "READ", project.Rita);
        IReadOnlyDictionary<string, string> request = LastAssumeRole(answer);

        Assert.Equal((UcS3Project.RoleArn, "1200", "medallion-rita"), (request["RoleArn"], request["DurationSeconds"], request["RoleSessionName"]));
        Assert.InRange(answer.GetProperty("expiration_time").GetInt64(), before + 19 * 60_000, before + 21 * 60_000);
    }

    [Fact]
    public async Task A_READ_keys_session_policy_reads_and_lists_only_the_tables_prefix()
    {
        JsonElement answer = await project.CredentialsAsync("gold.revenue", "READ", project.Rita);

        string objects = $"arn:aws:s3:::{UcStoreProject.Bucket}/{project.Storage}/gold/revenue/*";
        Assert.Equal(
            [
                $"Allow s3:GetObject,s3:GetObjectVersion on {objects}",
                $"Allow s3:ListBucket on arn:aws:s3:::{UcStoreProject.Bucket} if s3:prefix like {project.Storage}/gold/revenue,{project.Storage}/gold/revenue/*",
                $"Allow s3:GetBucketLocation on arn:aws:s3:::{UcStoreProject.Bucket}",
            ],
            Statements(LastAssumeRole(answer)["Policy"]));
    }

    [Fact]
    public async Task A_READ_WRITE_keys_session_policy_also_writes_and_deletes_only_under_the_prefix()
    {
        JsonElement answer = await project.CredentialsAsync("silver.orders", "READ_WRITE", project.Admin);

        Assert.Contains(
            $"Allow s3:PutObject,s3:DeleteObject,s3:AbortMultipartUpload,s3:ListMultipartUploadParts on arn:aws:s3:::{UcStoreProject.Bucket}/{project.Storage}/silver/orders/*",
            Statements(LastAssumeRole(answer)["Policy"]));
    }

    [Fact]
    public async Task The_audit_names_the_key_and_its_expiry_but_never_its_secret()
    {
        JsonElement answer = await project.CredentialsAsync("gold.revenue", "READ", project.Rita);
        JsonElement key = answer.GetProperty("aws_temp_credentials");
        string id = key.GetProperty("access_key_id").GetString()!;

        string audited = await project.Served.WaitForSqlAsync(
            $"SELECT concat_ws('|', \"user\", target, outcome, details::json->>'credentials') FROM medallion_audit.events WHERE action = 'credentials.issue' AND (details::json->>'access_key_id') = '{id}'",
            "rita|gold.revenue|ok|aws-sts");
        string secrets = await project.Served.SqlScalarAsync(
            $"SELECT count(*) FROM medallion_audit.events WHERE contains(concat_ws('|', statement, target, details, error_message), '{key.GetProperty("secret_access_key").GetString()}') OR contains(concat_ws('|', statement, target, details, error_message), '{key.GetProperty("session_token").GetString()![..40]}')");

        Assert.Equal(("rita|gold.revenue|ok|aws-sts", "0"), (audited, secrets));
    }

    [Fact]
    public async Task Sparks_write_then_read_sequence_gets_both_keys_for_the_tables_location()
    {
        // UCSingleCatalog.loadTable: getTable, then READ_WRITE credentials (falling back to READ when refused) for its
        // storage_location; a reader then asks READ for the same table id.
        JsonElement table = JsonDocument.Parse(await (await project.Served.GetAsync(UnityCatalogProject.Prefix + "/tables/shop.silver.orders", project.Admin)).Content.ReadAsStringAsync()).RootElement;
        JsonElement write = await project.CredentialsAsync("silver.orders", "READ_WRITE", project.Admin);
        JsonElement read = await project.CredentialsAsync("silver.orders", "READ", project.Admin);

        Assert.Equal(
            (table.GetProperty("storage_location").GetString(), table.GetProperty("storage_location").GetString()),
            (write.GetProperty("url").GetString(), read.GetProperty("url").GetString()));
        Assert.NotEqual(write.GetProperty("aws_temp_credentials").GetProperty("access_key_id").GetString(), read.GetProperty("aws_temp_credentials").GetProperty("access_key_id").GetString());
    }

    [Fact]
    public async Task Sparks_fallback_to_READ_works_for_a_reader_refused_READ_WRITE()
    {
        (int refused, _) = await UcHttp.PostAsync(project.Served, UnityCatalogProject.Prefix + "/temporary-table-credentials",
            JsonSerializer.Serialize(new { table_id = await project.TableIdAsync("gold.revenue"), operation = "READ_WRITE" }), project.Rita);
        JsonElement read = await project.CredentialsAsync("gold.revenue", "READ", project.Rita);

        Assert.Equal((403, true), (refused, read.TryGetProperty("aws_temp_credentials", out _)));
    }

    [Fact]
    public async Task DuckDBs_and_Dafts_read_get_a_key_for_each_listed_table()
    {
        // DuckDB's uc_catalog (and Daft's load_table) list a schema's tables, then ask READ credentials by table_id,
        // configuring an S3 secret from access_key_id, secret_access_key, session_token for the table's location.
        using HttpResponseMessage list = await project.Served.GetAsync(UnityCatalogProject.Prefix + "/tables?catalog_name=shop&schema_name=silver", project.Admin);
        JsonElement tables = JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement;
        var urls = new List<string>();
        foreach (JsonElement table in tables.GetProperty("tables").EnumerateArray())
        {
            (int status, JsonElement body) = await UcHttp.PostAsync(project.Served, UnityCatalogProject.Prefix + "/temporary-table-credentials",
                JsonSerializer.Serialize(new { table_id = table.GetProperty("table_id").GetString(), operation = "READ" }), project.Admin);
            Assert.Equal(200, status);
            UcSchemas.AssertValid("TemporaryCredentials", body);
            Assert.Equal(table.GetProperty("storage_location").GetString(), body.GetProperty("url").GetString());
            urls.Add(body.GetProperty("url").GetString()!);
        }

        Assert.Equal([$"s3://{UcStoreProject.Bucket}/{project.Storage}/silver/orders"], urls);
    }

    private static SessionAWSCredentials Key(JsonElement answer)
    {
        JsonElement key = answer.GetProperty("aws_temp_credentials");
        return new SessionAWSCredentials(key.GetProperty("access_key_id").GetString(), key.GetProperty("secret_access_key").GetString(), key.GetProperty("session_token").GetString());
    }

    /// <summary>The AssumeRole request that issued <paramref name="answer"/>'s key: the relay's last (the tests of a class run one at a time).</summary>
    private IReadOnlyDictionary<string, string> LastAssumeRole(JsonElement answer)
    {
        Assert.True(answer.TryGetProperty("aws_temp_credentials", out _));
        return project.Sts.Requests.Last(r => r.TryGetValue("Action", out string? action) && action == "AssumeRole");
    }

    /// <summary>A policy's statements as "Effect actions on resources [if condition]" lines.</summary>
    private static List<string> Statements(string policy)
    {
        using var document = JsonDocument.Parse(policy);
        Assert.Equal("2012-10-17", document.RootElement.GetProperty("Version").GetString());
        return [.. document.RootElement.GetProperty("Statement").EnumerateArray().Select(s =>
            $"{s.GetProperty("Effect").GetString()} {string.Join(",", s.GetProperty("Action").EnumerateArray().Select(a => a.GetString()))} on {string.Join(",", s.GetProperty("Resource").EnumerateArray().Select(r => r.GetString()))}"
            + (s.TryGetProperty("Condition", out JsonElement c) ? $" if s3:prefix like {string.Join(",", c.GetProperty("StringLike").GetProperty("s3:prefix").EnumerateArray().Select(p => p.GetString()))}" : string.Empty))];
    }
}
