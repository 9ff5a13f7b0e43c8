using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Pipelines.Quality;

namespace Medallion.Pipelines.Tests.Quality;

/// <summary>
/// An in-memory DuckDB holding <c>orders</c>, a small table with known breakages, and rules read from a real
/// model file (so their names and locations are what users get).
/// </summary>
public sealed class QualityFixture : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public static readonly TableName Model = new("silver", "orders");

    private readonly DuckDbDatabase _database = DuckDbDatabase.Open();

    public QualityFixture()
    {
        Connection = _database.CreateConnection();
        Execute("""
            CREATE TABLE orders (id INTEGER, customer_id INTEGER, status VARCHAR, amount DECIMAL(10,2), email VARCHAR, ordered_on DATE, updated_at TIMESTAMP);
            INSERT INTO orders VALUES
                (1, 10, 'paid', 10.00, 'a@x.com', DATE '2026-11-01', TIMESTAMP '2026-11-22 10:00:00'),
                (2, 11, 'new', 25.50, 'b@x.com', DATE '2026-11-02', TIMESTAMP '2026-11-21 09:00:00'),
                (3, NULL, 'void', -5.00, 'not-an-email', DATE '2026-11-03', NULL),
                (3, 12, NULL, NULL, NULL, NULL, NULL),
                (4, 99, 'paid', 1000.00, 'd@x.com', DATE '2019-12-31', TIMESTAMP '2026-11-20 00:00:00');
            """);
    }

    public DuckDbConnection Connection { get; }

    public void Execute(string sql)
    {
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public object? Scalar(string sql)
    {
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>The rows of a query as one JSON array, sorted, so tests compare them as text.</summary>
    public string Json(string sql) =>
        (string)Scalar($"SELECT COALESCE(CAST(to_json(list(s)) AS VARCHAR), '[]') FROM (SELECT * FROM ({sql}) ORDER BY ALL) s")!;

    /// <summary>Reads rules written as the items of an <c>expectations:</c> list (each line indented two spaces) in silver/orders.sql.</summary>
    public static async Task<IReadOnlyList<Expectation>> RulesAsync(string items)
    {
        using var project = new TestProject();
        project.Write("models/silver/orders.sql", "/* ---\nexpectations:\n" + items + "--- */\nSELECT 1\n");
        return Assert.Single((await project.LoadAsync()).Models).Config.Expectations;
    }

    public async Task<QualityReport> CheckAsync(string items, string relation = "orders") =>
        await ExpectationChecker.CheckAsync(Connection, relation, Model, await RulesAsync(items), "run-1", Now);

    public async Task<ExpectationResult> CheckOneAsync(string item) => Assert.Single((await CheckAsync(item)).Results);

    public void Dispose()
    {
        Connection.Dispose();
        _database.Dispose();
    }
}
