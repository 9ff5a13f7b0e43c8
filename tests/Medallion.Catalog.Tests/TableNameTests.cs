namespace Medallion.Catalog.Tests;

public sealed class TableNameTests
{
    [Theory]
    [InlineData("silver.orders", "silver", "orders")]
    [InlineData(" gold . revenue ", "gold", "revenue")]
    public void Table_names_parse_from_two_dotted_parts(string text, string ns, string name)
    {
        Assert.Equal(new TableName(ns, name), TableName.Parse(text));
    }

    [Theory]
    [InlineData("orders")]
    [InlineData("a.b.c")]
    [InlineData(".orders")]
    public void Table_names_without_exactly_two_parts_do_not_parse(string text)
    {
        MedallionException error = Assert.Throws<MedallionException>(() => TableName.Parse(text));

        Assert.Equal(ErrorCode.TableNameInvalid, error.Code);
        Assert.Equal($"'{text}' is not a table name. Help: write it as namespace.name, e.g. silver.orders.", error.Message);
    }
}
