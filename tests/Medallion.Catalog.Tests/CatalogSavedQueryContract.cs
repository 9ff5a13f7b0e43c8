namespace Medallion.Catalog.Tests;

/// <summary>Queries users saved on the server, on every engine: one per name whatever its case, each owner's own, within limits.</summary>
public abstract class CatalogSavedQueryContract(CatalogEngine engine) : CatalogContract(engine)
{
    private const string Verifier = "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$c3RvcmVka2V5:c2VydmVya2V5";
    private static readonly DateTimeOffset s_start = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    private readonly ManualTime _time = new(s_start);

    protected override TimeProvider? Time => _time;

    [Fact]
    public async Task A_saved_query_reads_back_as_saved_from_another_connection()
    {
        (SavedQuery saved, bool created) = await Store.SavedQueries.SaveAsync("ana", "  Revenue by month ", "SELECT 1\n-- as written ", " Month by month. ", shared: true);
        await using CatalogStore other = await ReopenAsync();

        SavedQuery? read = await other.SavedQueries.FindAsync("ana", "revenue BY month");

        Assert.True(created);
        Assert.Equal(new SavedQuery("ana", "Revenue by month", "SELECT 1\n-- as written ", "Month by month.", true, s_start, s_start), saved);
        Assert.Equal(saved, read);
    }

    [Fact]
    public async Task Saving_a_name_again_in_another_case_replaces_the_query_keeping_when_it_was_first_saved()
    {
        await Store.SavedQueries.SaveAsync("ana", "Revenue", "SELECT 1", "first", shared: true);
        _time.Now = s_start.AddMinutes(5);

        (SavedQuery saved, bool created) = await Store.SavedQueries.SaveAsync("ana", "REVENUE", "SELECT 2", null, shared: false);

        Assert.False(created);
        Assert.Equal(new SavedQuery("ana", "REVENUE", "SELECT 2", null, false, s_start, s_start.AddMinutes(5)), saved);
        Assert.Equal([saved], await Store.SavedQueries.ListVisibleAsync("ana"));
    }

    [Fact]
    public async Task Two_owners_may_each_have_a_query_of_the_same_name()
    {
        await Store.SavedQueries.SaveAsync("ana", "Revenue", "SELECT 'ana'", null, shared: false);
        await Store.SavedQueries.SaveAsync("bea", "revenue", "SELECT 'bea'", null, shared: false);

        Assert.Equal("SELECT 'ana'", (await Store.SavedQueries.FindAsync("ana", "revenue"))!.Sql);
        Assert.Equal("SELECT 'bea'", (await Store.SavedQueries.FindAsync("bea", "Revenue"))!.Sql);
    }

    [Fact]
    public async Task A_user_sees_their_own_queries_first_then_those_others_shared_but_not_others_private_ones()
    {
        await Store.SavedQueries.SaveAsync("bea", "Zeta shared", "SELECT 1", null, shared: true);
        await Store.SavedQueries.SaveAsync("bea", "Private", "SELECT 2", null, shared: false);
        await Store.SavedQueries.SaveAsync("ana", "mine b", "SELECT 3", null, shared: false);
        await Store.SavedQueries.SaveAsync("ana", "Mine a", "SELECT 4", null, shared: true);
        await Store.SavedQueries.SaveAsync("caio", "Alpha shared", "SELECT 5", null, shared: true);

        List<SavedQuery> seen = await Store.SavedQueries.ListVisibleAsync("ana");

        Assert.Equal([("ana", "Mine a"), ("ana", "mine b"), ("bea", "Zeta shared"), ("caio", "Alpha shared")], seen.Select(q => (q.Owner, q.Name)));
    }

    [Fact]
    public async Task A_deleted_query_is_gone_and_deleting_it_again_finds_nothing()
    {
        await Store.SavedQueries.SaveAsync("ana", "Revenue", "SELECT 1", null, shared: false);

        Assert.True(await Store.SavedQueries.DeleteAsync("ana", "revenue"));

        Assert.Null(await Store.SavedQueries.FindAsync("ana", "Revenue"));
        Assert.False(await Store.SavedQueries.DeleteAsync("ana", "Revenue"));
    }

    [Theory]
    [InlineData("   ", "SELECT 1", "A saved query needs a name.")]
    [InlineData("a/b", "SELECT 1", "The name 'a/b' holds '/', which a saved query's name may not.")]
    [InlineData("line\nbreak", "SELECT 1", "A saved query's name may not hold a control character (a line break, a tab).")]
    [InlineData("Revenue", " \n ", "A saved query needs its SQL.")]
    public async Task A_query_without_a_usable_name_or_sql_is_refused_naming_what_is_wrong(string name, string sql, string message)
    {
        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() => Store.SavedQueries.SaveAsync("ana", name, sql, null, shared: false));

        Assert.Equal((ErrorCode.SavedQueryInvalid, message), (refused.Code, refused.Message.Split('\n')[0]));
        Assert.Empty(await Store.SavedQueries.ListVisibleAsync("ana"));
    }

    [Fact]
    public async Task A_name_of_a_hundred_characters_is_kept_and_one_of_a_hundred_and_one_is_refused()
    {
        await Store.SavedQueries.SaveAsync("ana", new string('n', SavedQueryStore.MaxNameLength), "SELECT 1", null, shared: false);

        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() => Store.SavedQueries.SaveAsync("ana", new string('m', SavedQueryStore.MaxNameLength + 1), "SELECT 1", null, shared: false));

        Assert.Equal($"The name '{new string('m', 20)}…' is 101 characters long; a saved query's name has at most 100.", refused.Message);
        Assert.Single(await Store.SavedQueries.ListVisibleAsync("ana"));
    }

    [Fact]
    public async Task Sql_of_a_hundred_thousand_characters_is_kept_and_longer_sql_is_refused()
    {
        string longest = "SELECT 1" + new string(' ', SavedQueryStore.MaxSqlLength - 8);
        await Store.SavedQueries.SaveAsync("ana", "Long", longest, null, shared: false);

        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() => Store.SavedQueries.SaveAsync("ana", "Long", longest + " ", null, shared: false));

        Assert.Equal("The SQL is 100001 characters long; a saved query keeps at most 100000.", refused.Message);
        Assert.Equal(longest, (await Store.SavedQueries.FindAsync("ana", "Long"))!.Sql);
    }

    [Fact]
    public async Task An_owner_keeps_at_most_five_hundred_queries_yet_may_still_save_over_one_of_them()
    {
        for (int i = 0; i < SavedQueryStore.MaxPerOwner; i++)
        {
            await Store.SavedQueries.SaveAsync("ana", $"q{i}", "SELECT 1", null, shared: false);
        }

        MedallionException refused = await Assert.ThrowsAsync<MedallionException>(() => Store.SavedQueries.SaveAsync("ana", "one more", "SELECT 1", null, shared: false));
        (_, bool created) = await Store.SavedQueries.SaveAsync("ana", "Q7", "SELECT 7", null, shared: false);
        await Store.SavedQueries.SaveAsync("bea", "one more", "SELECT 1", null, shared: false);

        Assert.Equal((ErrorCode.SavedQueryInvalid, "ana already keeps 500 saved queries, as many as one user may; 'one more' was not saved."), (refused.Code, refused.Message.Split('\n')[0]));
        Assert.False(created);
        Assert.Equal(SavedQueryStore.MaxPerOwner, (await Store.SavedQueries.ListVisibleAsync("ana")).Count);
    }

    [Fact]
    public async Task Removing_a_user_removes_their_saved_queries()
    {
        await Store.Identity.SetUserAsync("bea", Verifier);
        await Store.SavedQueries.SaveAsync("bea", "Shared", "SELECT 1", null, shared: true);

        await Store.Identity.RemoveUserAsync("bea");

        Assert.Empty(await Store.SavedQueries.ListVisibleAsync("ana"));
    }
}

public sealed class CatalogSavedQueryOnSqliteTests() : CatalogSavedQueryContract(new SqliteCatalogEngine());

public sealed class CatalogSavedQueryOnPostgresTests() : CatalogSavedQueryContract(new PostgresCatalogEngine());
