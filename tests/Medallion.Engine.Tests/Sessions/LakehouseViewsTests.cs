using Medallion.DuckDb;
using Medallion.Engine.Sessions;

namespace Medallion.Engine.Tests.Sessions;

/// <summary>
/// Issue #36, finding 5: a table being created (its <c>_delta_log</c> folder made, its first commit not yet in place)
/// is a table not there yet, never a broken one, beside <c>gold.basic_append</c> (a copy of dat-basic_append, 5 rows).
/// </summary>
public sealed class LakehouseViewsTests : IDisposable
{
    private readonly string _warehouse = Path.Combine(Path.GetTempPath(), "medallion-views-" + Guid.NewGuid().ToString("N"));
    private readonly string _arriving;

    public LakehouseViewsTests()
    {
        string source = Path.Combine(ConformanceTables.Root, "dat-basic_append", "table");
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string destination = Path.Combine(_warehouse, "gold", "basic_append", Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        // What a writer creating silver.arriving leaves between making the log folder and putting version 0.
        _arriving = Path.Combine(_warehouse, "silver", "arriving");
        Directory.CreateDirectory(Path.Combine(_arriving, "_delta_log"));
    }

    public void Dispose() => Directory.Delete(_warehouse, recursive: true);

    private LakehouseTable Table(string namespaceName, string name) =>
        new(namespaceName, name, StorageResolver.Default.OpenStore(Path.Combine(_warehouse, namespaceName, name)));

    [Fact]
    public async Task Loading_a_table_whose_log_has_no_commit_yet_fails_as_a_table_that_does_not_exist()
    {
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection connection = database.CreateConnection();

        var error = await Assert.ThrowsAsync<MedallionException>(() => LakehouseViews.For(database).EnsureLatestAsync(Table("silver", "arriving"), connection));

        Assert.Equal(ErrorCode.EngineUnknownTable, error.Code);
        Assert.Equal($"Table silver.arriving does not exist in the lakehouse: its log at '{_arriving}' has no commit yet.", error.Message);
    }

    [Fact]
    public async Task Loading_several_tables_leaves_out_one_whose_log_has_no_commit_yet_and_loads_the_others()
    {
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection connection = database.CreateConnection();

        await LakehouseViews.For(database).EnsureLatestAsync([Table("silver", "arriving"), Table("gold", "basic_append")], connection);

        Assert.Equal(5L, Scalar(connection, "SELECT count(*) FROM gold.basic_append"));
        Assert.Equal(0L, Scalar(connection, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'silver'"));
    }

    [Fact]
    public async Task A_session_reads_the_other_tables_and_takes_the_one_being_created_for_a_missing_table()
    {
        await using LakehouseSession session = await LakehouseSession.OpenAsync(new DirectoryTableLocator(_warehouse));

        // As for any name in a namespace the lake does not have: no table there yet.
        var error = await Assert.ThrowsAsync<DuckDbException>(() => ScalarAsync(session, "SELECT count(*) FROM silver.arriving"));

        Assert.StartsWith("Catalog Error: Table with name \"silver.arriving\" does not exist", error.Message, StringComparison.Ordinal);
        Assert.Equal(5L, await ScalarAsync(session, "SELECT count(*) FROM gold.basic_append"));
    }

    private static object? Scalar(DuckDbConnection connection, string sql)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static async Task<object?> ScalarAsync(LakehouseSession session, string sql)
    {
        await using DuckDbDataReader reader = await session.ExecuteReaderAsync(sql);
        return reader.Read() ? reader.GetValue(0) : null;
    }
}
