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
