namespace Medallion.DuckDb.Tests;

public sealed class TransactionTests
{
    [Fact]
    public void Committed_rows_are_visible_to_other_connections()
    {
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection writer = database.CreateConnection();
        using DuckDbConnection reader = database.CreateConnection();
        writer.Execute("CREATE TABLE t (i INTEGER)");

        using (DuckDbTransaction transaction = writer.BeginTransaction())
        {
            writer.Execute("INSERT INTO t VALUES (1), (2)");
            Assert.Equal(0L, reader.Scalar("SELECT count(*) FROM t"));
            transaction.Commit();
        }

        Assert.Equal(2L, reader.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void Rolled_back_rows_are_gone()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (i INTEGER)");
        using DuckDbTransaction transaction = connection.BeginTransaction();
        connection.Execute("INSERT INTO t VALUES (1)");

        transaction.Rollback();

        Assert.Equal(0L, connection.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void Disposing_an_uncommitted_transaction_rolls_it_back()
    {
        using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (i INTEGER)");
        using (connection.BeginTransaction())
        {
            connection.Execute("INSERT INTO t VALUES (1)");
        }

        Assert.Equal(0L, connection.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public async Task Committing_asynchronously_keeps_the_rows()
    {
        await using DuckDbConnection connection = Db.Open();
        connection.Execute("CREATE TABLE t (i INTEGER)");
        await using (DuckDbTransaction transaction = connection.BeginTransaction())
        {
            connection.Execute("INSERT INTO t VALUES (1)");
            await transaction.CommitAsync();
        }

        Assert.Equal(1L, connection.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void Completing_a_transaction_twice_is_refused()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbTransaction transaction = connection.BeginTransaction();
        transaction.Commit();

        var error = Assert.Throws<InvalidOperationException>(transaction.Rollback);

        Assert.Equal("The transaction has already been committed or rolled back.", error.Message);
    }

    [Fact]
    public void Transaction_reports_snapshot_isolation_and_its_connection()
    {
        using DuckDbConnection connection = Db.Open();
        using DuckDbTransaction transaction = connection.BeginTransaction();

        Assert.Equal(System.Data.IsolationLevel.Snapshot, transaction.IsolationLevel);
        Assert.Same(connection, transaction.Connection);
    }

    [Fact]
    public void Read_committed_isolation_is_refused()
    {
        using DuckDbConnection connection = Db.Open();

        var error = Assert.Throws<ArgumentException>(() => connection.BeginTransaction(System.Data.IsolationLevel.ReadCommitted));

        Assert.StartsWith("DuckDB transactions are snapshot-isolated; ReadCommitted is not available.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_conflicting_write_fails_as_a_transient_transaction_error()
    {
        using DuckDbDatabase database = DuckDbDatabase.Open();
        using DuckDbConnection first = database.CreateConnection();
        using DuckDbConnection second = database.CreateConnection();
        first.Execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 0)");
        using DuckDbTransaction one = first.BeginTransaction();
        using DuckDbTransaction two = second.BeginTransaction();
        first.Execute("UPDATE t SET v = 1 WHERE id = 1");

        var error = Assert.Throws<DuckDbException>(() => second.Execute("UPDATE t SET v = 2 WHERE id = 1"));

        Assert.Equal(DuckDbErrorType.Transaction, error.ErrorType);
        Assert.True(error.IsTransient);
    }
}
