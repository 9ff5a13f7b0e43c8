using System.Text.Json;
using Medallion.Delta.Actions;
using Medallion.Delta.Schema;
using Medallion.Delta.Transactions;

namespace Medallion.Delta.Tests.Transactions;

public sealed class WriterFeaturesTests
{
    private static readonly StructType s_schema = new([new StructField("id", PrimitiveType.Long, true, new Dictionary<string, JsonElement>())]);

    private static Protocol Required(params (string Key, string Value)[] config) =>
        WriterFeatures.Required(new Metadata("id", null, null, "parquet", "{}", [], config.ToDictionary(c => c.Key, c => (string?)c.Value), null), s_schema, null);

    [Fact]
    public void A_plain_table_needs_reader_1_writer_1()
    {
        Protocol p = Required();
        Assert.Equal((1, 1), (p.MinReaderVersion, p.MinWriterVersion));
        Assert.Null(p.WriterFeatures);
    }

    [Theory]
    [InlineData("delta.appendOnly", "true", 1, 2)]
    [InlineData("delta.constraints.c", "id > 0", 1, 3)]
    [InlineData("delta.enableChangeDataFeed", "true", 1, 4)]
    [InlineData("delta.columnMapping.mode", "name", 2, 5)]
    public void Legacy_features_use_the_lowest_legacy_versions(string key, string value, int reader, int writer)
    {
        Protocol p = Required((key, value));
        Assert.Equal((reader, writer), (p.MinReaderVersion, p.MinWriterVersion));
    }

    [Fact]
    public void Deletion_vectors_need_table_features_listing_every_feature_in_use()
    {
        Protocol p = Required(("delta.enableDeletionVectors", "true"), ("delta.appendOnly", "true"));
        Assert.Equal((3, 7), (p.MinReaderVersion, p.MinWriterVersion));
        Assert.Equal(["deletionVectors"], p.ReaderFeatures);
        Assert.Equal(["appendOnly", "deletionVectors"], p.WriterFeatures);
    }

    [Fact]
    public void Ansi_serialized_protocol_lists_features_only_at_versions_3_and_7()
    {
        string legacy = ActionSerializer.SerializeLine(new ProtocolAction(new Protocol(1, 2, null, null)));
        string features = ActionSerializer.SerializeLine(new ProtocolAction(new Protocol(3, 7, ["deletionVectors"], ["deletionVectors"])));

        Assert.Equal("""{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}""", legacy);
        Assert.Equal("""{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors"],"writerFeatures":["deletionVectors"]}}""", features);
    }

    [Theory]
    [InlineData("a b=c/d%e", "a%20b=c/d%25e")]
    [InlineData("p=2024-01-01 10%3A00/part-1.parquet", "p=2024-01-01%2010%253A00/part-1.parquet")]
    public void Paths_are_percent_encoded_once_per_segment(string path, string expected) =>
        Assert.Equal(expected, ActionSerializer.EncodePath(path));
}
