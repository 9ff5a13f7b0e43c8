namespace Medallion.Catalog.Tests;

/// <summary>Docs edited in the catalog over the project files', with their history, on every engine.</summary>
public abstract class CatalogDocEditContract(CatalogEngine engine) : CatalogContract(engine)
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);
    private static readonly TableName s_orders = new("silver", "orders");

    private readonly ManualTime _time = new(s_start);

    protected override TimeProvider? Time => _time;

    [Fact]
    public async Task The_value_in_force_is_the_latest_edit_of_each_field_with_who_made_it_and_when()
    {
        await Store.Docs.RecordAsync(s_orders, null, DocField.Description, "Orders, one row each.", "ana");
        _time.Now = s_start.AddMinutes(5);
        await Store.Docs.RecordAsync(s_orders, null, DocField.Description, "  Paid orders, one row each.  ", "bea");
        await Store.Docs.RecordAsync(s_orders, "Amount", DocField.Description, "In cents.", "ana");

        List<DocEdit> current = await Store.Docs.GetCurrentAsync();

        Assert.Equal(
            [
                new DocEdit(s_orders, null, DocField.Description, "Paid orders, one row each.", "bea", s_start.AddMinutes(5)),
                new DocEdit(s_orders, "amount", DocField.Description, "In cents.", "ana", s_start.AddMinutes(5)),
            ],
            current.OrderBy(e => e.Column ?? string.Empty, StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_edit_without_a_value_gives_the_field_back_to_the_project_files_and_stays_in_the_history()
    {
        await Store.Docs.RecordAsync(s_orders, null, DocField.Owner, "finance", "ana");
        _time.Now = s_start.AddMinutes(1);
        await Store.Docs.RecordAsync(s_orders, null, DocField.Owner, "  ", "ana");

        Assert.Empty(await Store.Docs.GetCurrentAsync());
        Assert.Equal([(DocField.Owner, (string?)null), (DocField.Owner, "finance")], (await Store.Docs.GetHistoryAsync(s_orders)).Select(e => (e.Field, e.Value)));
    }

    [Fact]
    public async Task Tags_are_kept_trimmed_without_empty_or_repeated_ones()
    {
        DocEdit edit = await Store.Docs.RecordAsync(s_orders, null, DocField.Tags, " finance, ,core,Finance ", "ana");

        Assert.Equal(["finance", "core"], edit.Tags);
        Assert.Equal(["finance", "core"], Assert.Single(await Store.Docs.GetCurrentAsync()).Tags);
    }

    [Fact]
    public async Task A_table_is_one_whatever_case_it_is_named_in_and_its_history_is_its_own_newest_first()
    {
        await Store.Docs.RecordAsync(s_orders, null, DocField.Description, "first", "ana");
        await Store.Docs.RecordAsync(new TableName("silver", "customers"), null, DocField.Description, "other table", "ana");
        _time.Now = s_start.AddMinutes(1);
        await Store.Docs.RecordAsync(new TableName("Silver", "ORDERS"), "id", DocField.Tags, "key", "bea");
        await using CatalogStore other = await ReopenAsync();

        List<DocEdit> history = await other.Docs.GetHistoryAsync(s_orders);

        Assert.Equal([("bea", "key"), ("ana", "first")], history.Select(e => (e.EditedBy, e.Value!)));
    }

    [Fact]
    public async Task A_column_has_no_owner_of_its_own()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Docs.RecordAsync(s_orders, "id", DocField.Owner, "ana", "ana"));
    }
}

public sealed class CatalogDocEditOnSqliteTests() : CatalogDocEditContract(new SqliteCatalogEngine());

public sealed class CatalogDocEditOnPostgresTests() : CatalogDocEditContract(new PostgresCatalogEngine());
