using Medallion.Delta.Schema;

namespace Medallion.Delta.Tests;

/// <summary>A Delta type in Spark's DDL spelling, as catalogs hand it to Spark (which reads it back with DataType.fromDDL).</summary>
public sealed class SparkTypeTextTests
{
    [Theory]
    [InlineData("\"integer\"", "int")]
    [InlineData("\"long\"", "bigint")]
    [InlineData("\"short\"", "smallint")]
    [InlineData("\"byte\"", "tinyint")]
    [InlineData("\"timestamp_ntz\"", "timestamp_ntz")]
    [InlineData("\"decimal(38,0)\"", "decimal(38,0)")]
    [InlineData("""{"type":"array","elementType":"long","containsNull":true}""", "array<bigint>")]
    [InlineData("""{"type":"map","keyType":"string","valueType":{"type":"array","elementType":"integer","containsNull":false},"valueContainsNull":true}""", "map<string,array<int>>")]
    [InlineData("""{"type":"struct","fields":[{"name":"a_1","type":"short","nullable":true,"metadata":{}},{"name":"odd `name`","type":"byte","nullable":true,"metadata":{}}]}""", "struct<a_1:smallint,`odd ``name```:tinyint>")]
    public void A_type_is_spelled_as_Spark_DDL_spells_it(string typeJson, string expected)
    {
        StructType schema = SchemaParser.Parse("""{"type":"struct","fields":[{"name":"c","type":""" + typeJson + ""","nullable":true,"metadata":{}}]}""", "test");

        Assert.Equal(expected, SparkTypeText.Of(schema.Fields[0].Type));
    }
}
