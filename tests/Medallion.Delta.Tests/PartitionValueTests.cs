using System;
using Medallion.Delta.Schema;

namespace Medallion.Delta.Tests;

public sealed class PartitionValueTests
{
    [Theory]
    [InlineData("string")]
    [InlineData("long")]
    [InlineData("date")]
    [InlineData("timestamp")]
    public void Empty_and_absent_partition_values_are_null_for_every_type(string type)
    {
        Assert.Null(PartitionValues.Parse("", new PrimitiveType(type)));
        Assert.Null(PartitionValues.Parse(null, new PrimitiveType(type)));
    }

    [Theory]
    [InlineData("1970-01-01 00:00:00", 0L)]
    [InlineData("1970-01-01 00:00:00.123456", 123456L)]
    [InlineData("1970-01-01T00:00:00.123456Z", 123456L)]
    [InlineData("1971-07-22T03:06:40.000000Z", 49000000000000L)]
    public void Timestamp_partition_values_parse_in_every_spec_format_as_utc(string text, long micros)
    {
        var value = (DateTimeOffset)PartitionValues.Parse(text, PrimitiveType.Timestamp)!;

        Assert.Equal(micros, (value - DateTimeOffset.UnixEpoch).Ticks / 10);
    }

    [Fact]
    public void Date_partition_values_parse_as_dates()
    {
        Assert.Equal(new DateOnly(2021, 9, 8), PartitionValues.Parse("2021-09-08", PrimitiveType.Date));
    }

    [Fact]
    public void Decimal_partition_values_keep_their_scale()
    {
        Assert.Equal("-2342342.23423", ((decimal)PartitionValues.Parse("-2342342.23423", new DecimalType(12, 5))!).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Invalid_partition_values_are_a_format_error()
    {
        Assert.Throws<FormatException>(() => PartitionValues.Parse("twelve", PrimitiveType.Integer));
    }
}
