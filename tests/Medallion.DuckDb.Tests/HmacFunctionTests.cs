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

    private static long ExpectedInteger(long value) =>
        System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(HMACSHA256.HashData(s_key, Encoding.UTF8.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(42L)]
    [InlineData(-7L)]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    public void The_integer_form_is_the_first_eight_bytes_of_the_hmac_of_the_numbers_decimal_text(long value)
    {
        using DuckDbConnection connection = Db.Open();
        DuckDbHmacFunction.RegisterInteger(connection, "mask_int", s_key);

        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT mask_int($1)";
        command.Parameters.Add(value);

        Assert.Equal(ExpectedInteger(value), command.ExecuteScalar());
        Assert.Equal(Expected(value.ToString(System.Globalization.CultureInfo.InvariantCulture))[..16], ((long)command.ExecuteScalar()!).ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void The_integer_form_hashes_every_row_of_a_parallel_scan_with_repeats_and_keeps_nulls()
    {
        using DuckDbConnection connection = Db.Open();
        DuckDbHmacFunction.RegisterInteger(connection, "mask_int", s_key);
        connection.Execute("CREATE TABLE t AS SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE (i % 99991)::INTEGER END AS v FROM range(300000) r(i)");

        using DuckDbDataReader reader = connection.ReadFirstRow(
            "SELECT count(*) FILTER (WHERE h IS NULL), count(DISTINCT h), count(DISTINCT v), max(CASE WHEN i = 123457 THEN h END) FROM (SELECT i, v, mask_int(v) AS h FROM t)");

        Assert.Equal(30_000L, reader.GetInt64(0));
        Assert.Equal(reader.GetInt64(2), reader.GetInt64(1));
        Assert.Equal(ExpectedInteger(123457 % 99991), reader.GetInt64(3));
    }

    [Fact]
    public void A_key_longer_than_a_block_is_refused()
    {
        using DuckDbConnection connection = Db.Open();

        Assert.Throws<ArgumentException>(() => DuckDbHmacFunction.Register(connection, "mask", new byte[65]));
    }
}
