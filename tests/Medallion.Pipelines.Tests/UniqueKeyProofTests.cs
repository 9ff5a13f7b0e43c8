using System.Text.Json;
using Medallion.DuckDb;
using Medallion.Pipelines.ModelSql;

namespace Medallion.Pipelines.Tests;

public sealed class UniqueKeyProofTests : IDisposable
{
    private readonly DuckDbConnection _connection = new();

    public UniqueKeyProofTests() => _connection.Open();

    public void Dispose() => _connection.Dispose();

    private bool Proves(string sql, params string[] keys)
    {
        using DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = "SELECT json_serialize_sql($1::VARCHAR)";
        command.Parameters.Add(new DuckDbParameter { Value = sql });
        using JsonDocument document = JsonDocument.Parse((string)command.ExecuteScalar()!);
        return UniqueKeyProof.Proves(document.RootElement.GetProperty("statements")[0].GetProperty("node"), keys);
    }

    [Theory]
    [InlineData("SELECT id, status FROM t QUALIFY row_number() OVER (PARTITION BY id ORDER BY ts DESC) = 1", "id")]
    [InlineData("SELECT o.id, status FROM t o QUALIFY 1 = row_number() OVER (PARTITION BY id ORDER BY ts)", "id")]
    [InlineData("SELECT * FROM t QUALIFY row_number() OVER (PARTITION BY ID) = 1", "id")]
    [InlineData("SELECT a, b, c FROM t QUALIFY row_number() OVER (PARTITION BY a, b ORDER BY c) = 1", "a", "b")]
    [InlineData("SELECT a, b, c FROM t QUALIFY row_number() OVER (PARTITION BY a ORDER BY c) = 1", "a", "b")]
    public void The_row_number_dedup_on_the_key_proves_it_unique(string sql, params string[] keys) => Assert.True(Proves(sql, keys));

    [Theory]
    [InlineData("SELECT id, status FROM t", "id")]
    [InlineData("SELECT id, status FROM t QUALIFY row_number() OVER (PARTITION BY status) = 1", "id")]
    [InlineData("SELECT id, status FROM t QUALIFY row_number() OVER (PARTITION BY id) <= 2", "id")]
    [InlineData("SELECT id, status FROM t QUALIFY rank() OVER (PARTITION BY id ORDER BY ts) = 1", "id")]
    [InlineData("SELECT a, b FROM t QUALIFY row_number() OVER (PARTITION BY a, b) = 1", "a")]
    [InlineData("SELECT other AS id FROM t QUALIFY row_number() OVER (PARTITION BY id) = 1", "id")]
    [InlineData("SELECT x.id FROM t x JOIN u y ON x.k = y.k QUALIFY row_number() OVER (PARTITION BY y.id) = 1", "id")]
    [InlineData("SELECT id FROM t QUALIFY row_number() OVER (PARTITION BY id) = 1 UNION ALL SELECT id FROM u", "id")]
    [InlineData("SELECT * EXCLUDE (id), 1 AS id FROM t QUALIFY row_number() OVER (PARTITION BY id) = 1", "id")]
    public void Anything_else_leaves_the_keys_to_be_counted(string sql, params string[] keys) => Assert.False(Proves(sql, keys));
}
