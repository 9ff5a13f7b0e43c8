using System.Security.Cryptography;
using System.Text;

namespace Medallion.DuckDb.Tests;

/// <summary>The keyed HMAC-SHA-256 scalar function against .NET's HMACSHA256 of the same bytes.</summary>
public sealed class HmacFunctionTests
{
    private static readonly byte[] s_key = Encoding.UTF8.GetBytes("a project's 32-byte masking key!");

    private static string Expected(string value, byte[]? key = null) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key ?? s_key, Encoding.UTF8.GetBytes(value)));

    [Theory]
    [InlineData("")]
    [InlineData("390.533.447-05")]
    [InlineData("a.longer.value@example.com, past the 12 inline bytes")]
    [InlineData("São Paulo ✓")]
    public void The_function_is_the_hex_hmac_of_the_values_utf8_bytes(string value)
    {
        using DuckDbConnection connection = Db.Open();
        DuckDbHmacFunction.Register(connection, "mask", s_key);

        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT mask($1)";
        command.Parameters.Add(value);

        Assert.Equal(Expected(value), command.ExecuteScalar());
    }

    [Fact]
    public void Every_row_of_a_large_parallel_scan_is_hashed_and_nulls_stay_null()
    {
        using DuckDbConnection connection = Db.Open();
        DuckDbHmacFunction.Register(connection, "mask", s_key);
        connection.Execute("CREATE TABLE t AS SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'customer ' || i END AS v FROM range(300000) r(i)");

        using DuckDbDataReader reader = connection.ReadFirstRow(
            "SELECT count(*) FILTER (WHERE h IS NULL), count(DISTINCT h), max(CASE WHEN i = 123457 THEN h END) FROM (SELECT i, mask(v) AS h FROM t)");

        Assert.Equal(30_000L, reader.GetInt64(0));
        Assert.Equal(270_000L, reader.GetInt64(1));
        Assert.Equal(Expected("customer 123457"), reader.GetString(2));
    }

    [Fact]
    public void Values_that_repeat_across_rows_get_the_same_correct_digest_every_time()
    {
        using DuckDbConnection connection = Db.Open();
        DuckDbHmacFunction.Register(connection, "mask", s_key);
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT v, mask(v) FROM (SELECT 'customer ' || (i % 997) AS v FROM range(200000) r(i))";

        var digests = new Dictionary<string, string>();
        using (DuckDbDataReader reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                digests.Add(reader.GetString(0), reader.GetString(1));
            }
        }

        Assert.Equal(997, digests.Count);
        Assert.All(digests, pair => Assert.Equal(Expected(pair.Key), pair.Value));
    }

    [Fact]
    public void Two_databases_with_different_keys_hash_differently_on_the_same_threads()
    {
        byte[] other = [.. s_key.Reverse()];
        using DuckDbConnection first = Db.Open();
        using DuckDbConnection second = Db.Open();
        DuckDbHmacFunction.Register(first, "mask", s_key);
        DuckDbHmacFunction.Register(second, "mask", other);

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Expected("x"), first.Scalar("SELECT mask('x')"));
            Assert.Equal(Expected("x", other), second.Scalar("SELECT mask('x')"));
        }
    }

    [Fact]
    public void A_key_longer_than_a_block_is_refused()
    {
        using DuckDbConnection connection = Db.Open();

        Assert.Throws<ArgumentException>(() => DuckDbHmacFunction.Register(connection, "mask", new byte[65]));
    }
}
