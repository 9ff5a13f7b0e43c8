using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.Pipelines.Sources;

namespace Medallion.Pipelines.Tests.Sources;

public sealed partial class FileSourceLoaderTests
{
    private static readonly DateTime s_day = new(2026, 1, 5);

    private string DataPath(string relative) => Path.Combine(_project.Directory, relative);

    /// <summary>A sheet with a column of each kind a cell can hold, two data rows.</summary>
    private static Workbook TypedOrders()
    {
        var workbook = new Workbook();
        workbook.Sheet("Orders")
            .Row(1, "id", "customer", "amount", "ordered_on", "shipped_at", "paid")
            .Row(2, 1, "ana", 10.5, s_day, s_day.AddHours(14.5), true)
            .Row(3, 2, "bob", 20, s_day.AddDays(1), s_day.AddDays(1).AddHours(9), false);
        return workbook;
    }

    [Fact]
    public async Task Xlsx_rows_land_with_the_sheets_types_and_their_file_sheet_and_row()
    {
        Source("xlsx", "data/*.xlsx");
        TypedOrders().WriteXlsx(DataPath("data/orders.xlsx"));

        SourceLoadResult result = await LoadAsync();

        Assert.Equal((0L, 2L, 0L), (result.CommittedVersion, result.RowsLoaded, result.RowsRejected));
        Snapshot snapshot = await SnapshotAsync();
        Assert.Equal(
            ["id long", "customer string", "amount double", "ordered_on date", "shipped_at timestamp_ntz", "paid boolean", "_source_file string", "_sheet string", "_source_row long", "_ingested_at timestamp", "_run_id string", "_raw_line string", "_parse_error string"],
            snapshot.Schema.Fields.Select(f => f.Name + " " + ((PrimitiveType)f.Type).Name));
        Assert.Equal(
            ["1|ana|10.5|2026-01-05|2026-01-05 14:30:00|true|data/orders.xlsx|Orders|2", "2|bob|20.0|2026-01-06|2026-01-06 09:00:00|false|data/orders.xlsx|Orders|3"],
            await RowsAsync("id, customer, amount, ordered_on, shipped_at, paid, _source_file, _sheet, _source_row", "_source_row"));
    }

    [Fact]
    public async Task Xls_rows_land_with_the_same_types_and_columns_as_xlsx()
    {
        Source("xls", "data/*.xls");
        TypedOrders().WriteXls(DataPath("data/orders.xls"));

        SourceLoadResult result = await LoadAsync();

        Assert.Equal((2L, 0L), (result.RowsLoaded, result.RowsRejected));
        Assert.Equal(
            ["1|ana|10.5|2026-01-05|2026-01-05 14:30:00|true|data/orders.xls|Orders|2", "2|bob|20.0|2026-01-06|2026-01-06 09:00:00|false|data/orders.xls|Orders|3"],
            await RowsAsync("id, customer, amount, ordered_on, shipped_at, paid, _source_file, _sheet, _source_row", "_source_row"));
    }

    [Theory]
    [InlineData("Customers")]
    [InlineData("2")]
    public async Task A_sheet_is_chosen_by_its_name_or_its_position(string sheet)
    {
        Source("xlsx", "data/*.xlsx", $"      sheet: \"{sheet}\"\n");
        var workbook = new Workbook();
        workbook.Sheet("Orders").Row(1, "id").Row(2, 1);
        workbook.Sheet("Customers").Row(1, "name").Row(2, "ana").Row(3, "bob");
        workbook.WriteXlsx(DataPath("data/book.xlsx"));

        await LoadAsync();

        Assert.Equal(["ana|Customers|2", "bob|Customers|3"], await RowsAsync("name, _sheet, _source_row", "_source_row"));
    }

    [Fact]
    public async Task A_sheet_named_like_a_number_is_found_by_its_name_before_its_position()
    {
        Source("xlsx", "data/*.xlsx", "      sheet: \"1\"\n");
        var workbook = new Workbook();
        workbook.Sheet("Orders").Row(1, "id").Row(2, 7);
        workbook.Sheet("1").Row(1, "id").Row(2, 8);
        workbook.WriteXlsx(DataPath("data/book.xlsx"));

        await LoadAsync();

        Assert.Equal(["8|1"], await RowsAsync("id, _sheet", "id"));
    }

    [Fact]
    public async Task A_missing_sheet_fails_naming_the_sheets_and_the_closest_one_and_loads_nothing()
    {
        Source("xlsx", "data/*.xlsx", "      sheet: Ordrs\n");
        var workbook = new Workbook();
        workbook.Sheet("Orders").Row(1, "id").Row(2, 1);
        workbook.Sheet("Customers").Row(1, "name");
        workbook.WriteXlsx(DataPath("data/book.xlsx"));

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => LoadAsync());

        Assert.Equal(ErrorCode.SourceFileUnreadable, error.Code);
        Assert.Equal(
            "Source 'orders' cannot read 'data/book.xlsx': it has no sheet 'Ordrs'. Did you mean 'Orders'? Its sheets: 'Orders', 'Customers'.\nHelp: set 'sheet' under 'options' in sources/orders.yml to one of them or to its position (1 for the first); nothing was loaded.",
            error.Message);
        Assert.False(Directory.Exists(Path.Combine(TablePath, "_delta_log")));
    }

    [Fact]
    public async Task Rows_above_the_header_row_and_empty_rows_are_skipped_and_rows_keep_their_sheet_numbers()
    {
        Source("xlsx", "data/*.xlsx", "      header_row: 3\n");
        var workbook = new Workbook();
        workbook.Sheet("Report")
            .Row(1, "Monthly orders")
            .Row(3, "id", "customer")
            .Row(4, 1, "ana")
            .Row(5, null, null)
            .Row(7, 2, "bob");
        workbook.WriteXlsx(DataPath("data/report.xlsx"));

        SourceLoadResult result = await LoadAsync();

        Assert.Equal(2L, result.RowsLoaded);
        Assert.Equal(["1|ana|4", "2|bob|7"], await RowsAsync("id, customer, _source_row", "_source_row"));
    }

    [Fact]
    public async Task A_merged_range_gives_its_value_to_every_cell_it_covers()
    {
        Source("xlsx", "data/*.xlsx");
        var workbook = new Workbook();
        workbook.Sheet("Stock")
            .Row(1, "region", "store", "units")
            .Row(2, "North", "A", 5)
            .Row(3, null, "B", 7)
            .Row(4, "South", "C", 9)
            .Merge("A2:A3");
        workbook.WriteXlsx(DataPath("data/stock.xlsx"));

        await LoadAsync();

        Assert.Equal(["North|A|5", "North|B|7", "South|C|9"], await RowsAsync("region, store, units", "_source_row"));
    }

    [Fact]
    public async Task Columns_without_a_header_are_named_by_their_letter_and_repeated_names_get_a_suffix()
    {
        Source("xlsx", "data/*.xlsx");
        var workbook = new Workbook();
        workbook.Sheet("Sheet1")
            .Row(1, "id", null, "id", null)
            .Row(2, 1, "x", 10, null);
        workbook.WriteXlsx(DataPath("data/a.xlsx"));

        await LoadAsync();

        Snapshot snapshot = await SnapshotAsync();
        Assert.Equal(["id", "B", "id_2"], snapshot.Schema.Fields.Select(f => f.Name).Take(3));
        Assert.Equal("_source_file", snapshot.Schema.Fields[3].Name);
        Assert.Equal(["1|x|10"], await RowsAsync("id, B, id_2", "id"));
    }

    [Fact]
    public async Task A_sheet_without_a_header_row_names_every_column_by_its_letter()
    {
        Source("xlsx", "data/*.xlsx", "      header_row: 0\n");
        var workbook = new Workbook();
        workbook.Sheet("Sheet1").Row(1, 1, "ana").Row(2, 2, "bob");
        workbook.WriteXlsx(DataPath("data/a.xlsx"));

        await LoadAsync();

        Assert.Equal(["1|ana|1", "2|bob|2"], await RowsAsync("A, B, _source_row", "_source_row"));
    }

    [Fact]
    public async Task A_row_with_a_cell_that_does_not_fit_its_column_is_kept_with_its_cells_and_the_error()
    {
        Source("xlsx", "data/*.xlsx");
        var workbook = new Workbook();
        workbook.Sheet("Orders")
            .Row(1, "id", "note", "amount")
            .Row(2, 1, "first", 10.5)
            .Row(3, 2, "has, comma", "n/a")
            .Row(4, 3, "third", 30.25);
        workbook.WriteXlsx(DataPath("data/orders.xlsx"));

        SourceLoadResult result = await LoadAsync();

        Assert.Equal((3L, 1L), (result.RowsLoaded, result.RowsRejected));
        Assert.Equal(
            ["Source 'orders': 1 row(s) of sheet 'Orders' of 'data/orders.xlsx' could not be read (first at row 3: column 'amount' (C): 'n/a' is not a DOUBLE); they are kept in bronze.orders with _raw_line and _parse_error."],
            result.Warnings);
        Assert.Equal(
            ["2|1|first|10.5|-|-", "3|-|-|-|2,\"has, comma\",n/a|column 'amount' (C): 'n/a' is not a DOUBLE", "4|3|third|30.25|-|-"],
            await RowsAsync("_source_row, coalesce(CAST(id AS VARCHAR), '-'), coalesce(note, '-'), coalesce(CAST(amount AS VARCHAR), '-'), coalesce(_raw_line, '-'), coalesce(_parse_error, '-')", "_source_row"));
    }

    [Fact]
    public async Task A_column_with_no_kind_in_the_majority_lands_as_text_with_every_cell()
    {
        Source("xlsx", "data/*.xlsx");
        var workbook = new Workbook();
        workbook.Sheet("Codes").Row(1, "code").Row(2, 12).Row(3, "A7").Row(4, true).Row(5, "B9");
        workbook.WriteXlsx(DataPath("data/codes.xlsx"));

        SourceLoadResult result = await LoadAsync();

        Assert.Equal(0L, result.RowsRejected);
        Assert.Equal(new PrimitiveType("string"), (await SnapshotAsync()).Schema.Find("code")!.Type);
        Assert.Equal(["12", "A7", "true", "B9"], await RowsAsync("code", "_source_row"));
    }

    [Fact]
    public async Task All_varchar_keeps_every_cell_as_text()
    {
        Source("xlsx", "data/*.xlsx", "      all_varchar: true\n");
        TypedOrders().WriteXlsx(DataPath("data/orders.xlsx"));

        await LoadAsync();

        Assert.Equal(["1|ana|10.5|2026-01-05|2026-01-05 14:30:00.000000|true"], (await RowsAsync("id, customer, amount, ordered_on, shipped_at, paid", "_source_row")).Take(1));
        Assert.Equal(new PrimitiveType("string"), (await SnapshotAsync()).Schema.Find("amount")!.Type);
    }

    [Fact]
    public async Task A_later_workbook_with_a_new_column_loads_with_the_union_of_the_columns()
    {
        Source("xlsx", "data/*.xlsx");
        var first = new Workbook();
        first.Sheet("Orders").Row(1, "id", "amount").Row(2, 1, 10);
        first.WriteXlsx(DataPath("data/a.xlsx"));
        var second = new Workbook();
        second.Sheet("Orders").Row(1, "id", "amount", "coupon").Row(2, 2, 7, "FREE");
        second.WriteXlsx(DataPath("data/b.xlsx"));

        await LoadAsync();

        Assert.Equal(["1|10|-|data/a.xlsx", "2|7|FREE|data/b.xlsx"], await RowsAsync("id, amount, coalesce(coupon, '-'), _source_file", "id"));
    }

    [Fact]
    public async Task A_file_that_is_not_a_workbook_fails_naming_it_and_loads_nothing()
    {
        Source("xlsx", "data/*.xlsx");
        _project.Write("data/fake.xlsx", "id,amount\n1,2\n");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => LoadAsync());

        Assert.Equal(ErrorCode.SourceFileUnreadable, error.Code);
        Assert.StartsWith("Source 'orders' (Xlsx) cannot read 'data/fake.xlsx': ", error.Message);
        Assert.EndsWith("\nHelp: check the file's format, or set reader options under 'options' in sources/orders.yml; nothing was loaded.", error.Message);
        Assert.False(Directory.Exists(Path.Combine(TablePath, "_delta_log")));
    }
}
