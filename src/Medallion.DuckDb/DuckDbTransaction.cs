using System;
using System.Data;
using System.Data.Common;

namespace Medallion.DuckDb;

/// <summary>A DuckDB transaction (snapshot isolation); rolled back when disposed without a commit.</summary>
public sealed class DuckDbTransaction : DbTransaction
{
    private readonly DuckDbConnection _connection;
    private bool _completed;

    internal DuckDbTransaction(DuckDbConnection connection)
    {
        _connection = connection;
        Execute("BEGIN TRANSACTION");
    }

    /// <inheritdoc />
    public override IsolationLevel IsolationLevel => IsolationLevel.Snapshot;

    /// <inheritdoc />
    protected override DbConnection DbConnection => _connection;

    /// <inheritdoc />
    public override void Commit()
    {
        EnsureActive();
        Execute("COMMIT");
        _completed = true;
    }

    /// <inheritdoc />
    public override void Rollback()
    {
        EnsureActive();
        Execute("ROLLBACK");
        _completed = true;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_completed && _connection.State == ConnectionState.Open)
        {
            Rollback();
        }

        base.Dispose(disposing);
    }

    private void EnsureActive()
    {
        if (_completed)
        {
            throw new InvalidOperationException("The transaction has already been committed or rolled back.");
        }
    }

    private void Execute(string statement)
    {
        using DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = statement;
        command.ExecuteNonQuery();
    }
}
