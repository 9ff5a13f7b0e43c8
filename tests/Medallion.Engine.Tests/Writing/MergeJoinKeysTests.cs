using Medallion.Engine.Writing;

namespace Medallion.Engine.Tests.Writing;

public sealed class MergeJoinKeysTests
{
    [Fact]
    public void Equalities_between_target_and_source_columns_are_join_keys_in_either_order()
    {
        Assert.Equal([("id", "key"), ("Region Code", "r")], MergeJoinKeys.Parse("target.id = source.key AND (source.r = target.\"Region Code\")"));
    }

    [Fact]
    public void Other_conjuncts_are_skipped_since_an_and_only_narrows_the_match()
    {
        Assert.Equal([("id", "id")], MergeJoinKeys.Parse("target.id = source.id and target.v > source.v AND source.x = 'a AND b'"));
    }

    [Fact]
    public void A_top_level_or_yields_no_keys()
    {
        Assert.Empty(MergeJoinKeys.Parse("target.id = source.id OR target.id = source.other"));
    }

    [Fact]
    public void An_or_inside_parentheses_does_not_hide_the_other_keys()
    {
        Assert.Equal([("id", "id")], MergeJoinKeys.Parse("target.id = source.id AND (target.a = source.a OR target.b = source.b)"));
    }
}
