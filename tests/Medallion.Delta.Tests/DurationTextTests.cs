using Medallion.Delta.Checkpoints;

namespace Medallion.Delta.Tests;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("500ms", 0, 0, 0, 0, 500)]
    [InlineData("90s", 0, 0, 1, 30, 0)]
    [InlineData("30m", 0, 0, 30, 0, 0)]
    [InlineData("30 min", 0, 0, 30, 0, 0)]
    [InlineData("1.5h", 0, 1, 30, 0, 0)]
    [InlineData("24 HOURS", 1, 0, 0, 0, 0)]
    [InlineData("7d", 7, 0, 0, 0, 0)]
    [InlineData("2w", 14, 0, 0, 0, 0)]
    [InlineData("0h", 0, 0, 0, 0, 0)]
    public void A_number_and_a_unit_read_as_that_duration(string text, int days, int hours, int minutes, int seconds, int milliseconds)
    {
        Assert.True(DurationText.TryParse(text, out TimeSpan duration));
        Assert.Equal(new TimeSpan(days, hours, minutes, seconds, milliseconds), duration);
    }

    [Theory]
    [InlineData(0, "0 ms")]
    [InlineData(0.85, "850 ms")]
    [InlineData(0.9999, "999 ms")]
    [InlineData(1.25, "1.2 s")]
    [InlineData(12, "12 s")]
    [InlineData(59.97, "59 s")]
    [InlineData(961.13, "16 min")]
    [InlineData(5400, "1.5 h")]
    [InlineData(7200, "2 h")]
    [InlineData(259200, "3 d")]
    [InlineData(-90, "-1.5 min")]
    public void A_duration_is_formatted_in_the_largest_unit_it_fills(double seconds, string expected)
    {
        Assert.Equal(expected, DurationText.Format(TimeSpan.FromSeconds(seconds)));
    }

    [Theory]
    [InlineData(0.85)]
    [InlineData(1.25)]
    [InlineData(961.13)]
    [InlineData(259200)]
    public void A_formatted_duration_reads_back_as_a_duration(double seconds)
    {
        Assert.True(DurationText.TryParse(DurationText.Format(TimeSpan.FromSeconds(seconds)), out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("15")]
    [InlineData("-5m")]
    [InlineData("5 fortnights")]
    [InlineData("1.2.3h")]
    [InlineData("99999999999999999999d")]
    public void Anything_else_is_not_a_duration(string text)
    {
        Assert.False(DurationText.TryParse(text, out _));
    }

    [Theory]
    [InlineData("interval 30 days", 30)]
    [InlineData("interval 1 week", 7)]
    [InlineData("168h", 7)]
    public void Delta_retention_properties_take_the_interval_form_and_the_short_form(string text, int days)
    {
        Assert.True(RetentionDuration.TryParse(text, out TimeSpan duration));
        Assert.Equal(TimeSpan.FromDays(days), duration);
    }
}
