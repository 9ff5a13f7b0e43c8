using System.IO;
using System.Text;
using System.Text.Json;

namespace Medallion.Storage.S3;

/// <summary>
/// The IAM session policy sent with STS AssumeRole for credentials limited to one table: the assumed role's permissions
/// intersected with read (and, for <see cref="StorageAccess.ReadWrite"/>, write and delete) of the objects under the
/// table's prefix, and listing of the bucket only under that prefix (an <c>s3:prefix</c> condition).
/// </summary>
public static class S3SessionPolicy
{
    /// <summary>The policy document (JSON) for <paramref name="access"/> to the objects under <paramref name="prefix"/> of <paramref name="bucket"/>.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="prefix">The table's key prefix inside the bucket, without leading or trailing <c>/</c>; empty for the whole bucket.</param>
    /// <param name="access">What the credentials allow.</param>
    /// <param name="partition">The AWS partition of the bucket's ARN (<c>aws</c>, <c>aws-cn</c>, <c>aws-us-gov</c>).</param>
    public static string For(string bucket, string prefix, StorageAccess access, string partition = "aws")
    {
        string bucketArn = $"arn:{partition}:s3:::{bucket}";
        string objects = prefix.Length == 0 ? bucketArn + "/*" : $"{bucketArn}/{prefix}/*";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("Version", "2012-10-17");
            json.WriteStartArray("Statement");
            Statement(json, "ReadTableObjects", ["s3:GetObject", "s3:GetObjectVersion"], objects);
            json.WriteStartObject();
            json.WriteString("Sid", "ListTableObjects");
            json.WriteString("Effect", "Allow");
            Strings(json, "Action", ["s3:ListBucket"]);
            Strings(json, "Resource", [bucketArn]);
            if (prefix.Length > 0)
            {
                // Listing the table's folder itself (prefix "silver/orders", as some clients ask) and anything below it.
                json.WriteStartObject("Condition");
                json.WriteStartObject("StringLike");
                Strings(json, "s3:prefix", [prefix, prefix + "/*"]);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndObject();
            Statement(json, "LocateBucket", ["s3:GetBucketLocation"], bucketArn);
            if (access == StorageAccess.ReadWrite)
            {
                Statement(json, "WriteTableObjects", ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], objects);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The partition of a region's ARNs: <c>aws-cn</c> for China, <c>aws-us-gov</c> for GovCloud, else <c>aws</c>.</summary>
    public static string PartitionOf(string? region) =>
        region is null ? "aws"
        : region.StartsWith("cn-", System.StringComparison.Ordinal) ? "aws-cn"
        : region.StartsWith("us-gov-", System.StringComparison.Ordinal) ? "aws-us-gov"
        : "aws";

    private static void Statement(Utf8JsonWriter json, string sid, string[] actions, string resource)
    {
        json.WriteStartObject();
        json.WriteString("Sid", sid);
        json.WriteString("Effect", "Allow");
        Strings(json, "Action", actions);
        Strings(json, "Resource", [resource]);
        json.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter json, string name, string[] values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
