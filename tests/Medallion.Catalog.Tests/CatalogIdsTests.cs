using System.Globalization;
using Medallion.Catalog.Internal;

namespace Medallion.Catalog.Tests;

public sealed class CatalogIdsTests
{
    [Fact]
    public void Ids_made_at_one_instant_or_under_a_clock_that_steps_back_sort_in_the_order_they_were_made()
    {
        var now = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        string[] ids = [.. Enumerable.Range(0, 100).Select(i => CatalogIds.Next(i < 50 ? now : now.AddSeconds(-1)))];

        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.All(ids, id => Assert.Equal(7, Guid.ParseExact(id, "N").Version));
        Assert.All(ids, id => Assert.Equal(0b10, Guid.ParseExact(id, "N").Variant >> 2));
    }

    [Fact]
    public void Ids_made_at_one_instant_differ_in_their_first_64_bits_which_number_a_run_s_commits()
    {
        var now = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        string[] ids = [.. Enumerable.Range(0, 100).Select(_ => CatalogIds.Next(now))];

        Assert.Equal(ids.Length, ids.Select(id => id[..16]).Distinct().Count());
    }

    [Theory]
    [InlineData("01a218c581d47b9eb3eb4c0889eb2be3", "01a218c581d47b9f9000000000000001")]
    // The 12 bits after the version are all ones: the count carries into the millisecond.
    [InlineData("01a218c581d47fffbfffffffffffffff", "01a218c581d570009000000000000001")]
    public void The_next_id_after_another_counts_up_its_millisecond_and_the_bits_after_the_version_and_takes_fresh_random_bits(string id, string next) =>
        Assert.Equal(next, CatalogIds.Successor(
            UInt128.Parse(id, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            UInt128.Parse("ffffffffffff7fff9000000000000001", NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToString("x32", CultureInfo.InvariantCulture));
}
