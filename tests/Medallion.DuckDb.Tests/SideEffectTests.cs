namespace Medallion.DuckDb.Tests;

/// <summary>
/// Statements whose result is a query but which also change state (read_csv's reject tables, COPY ... RETURN_STATS):
/// running them through ExecuteScalar or ExecuteNonQuery must keep what they changed, although neither reads the
/// whole result.
/// </summary>
public sealed class SideEffectTests : IDisposable
{
    private readonly string _csv = Path.Combine(Path.GetTempPath(), $"side-effects-{Guid.NewGuid():N}.csv");

    public SideEffectTests() => File.WriteAllText(_csv, "id,amount\n1,10\n2,oops\n3,30\n");

    public void Dispose() => File.Delete(_csv);

    private string ReadWithRejects(string select) =>
        $"{select} FROM read_csv('{_csv}', header = true, columns = {{'id': 'INTEGER', 'amount': 'INTEGER'}}, store_rejects = true)";

    [Fact]
    public void ExecuteScalar_keeps_the_rows_a_query_wrote_to_the_reject_tables()
    {
        using DuckDbConnection connection = Db.Open();

        Assert.Equal(30, connection.Scalar(ReadWithRejects("SELECT max(amount)")));

        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM reject_errors"));
    }

    [Fact]
    public async Task ExecuteScalarAsync_keeps_the_rows_a_query_wrote_to_the_reject_tables()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = ReadWithRejects("SELECT amount");

        Assert.Equal(10, await command.ExecuteScalarAsync());

        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM reject_errors"));
    }

    [Fact]
    public void ExecuteNonQuery_keeps_the_rows_a_query_wrote_to_the_reject_tables()
    {
        using DuckDbConnection connection = Db.Open();

        connection.Execute(ReadWithRejects("SELECT *"));

        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM reject_errors"));
    }

    [Fact]
    public void ExecuteNonQuery_keeps_the_effects_of_every_statement_of_a_script()
    {
        using DuckDbConnection connection = Db.Open();

        connection.Execute(ReadWithRejects("SELECT *") + "; CREATE TABLE after_rejects AS SELECT 1 AS one");

        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM reject_errors"));
        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM after_rejects"));
    }
}
