using System.Buffers.Binary;
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

        DuckDbHmacFunction.RegisterInteger(first, "mask_int", s_key);
        DuckDbHmacFunction.RegisterInteger(second, "mask_int", other);

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Expected("x"), first.Scalar("SELECT mask('x')"));
            Assert.Equal(Expected("x", other), second.Scalar("SELECT mask('x')"));
            Assert.Equal((int)ExpectedInteger(7), first.Scalar("SELECT mask_int(7)"));
            Assert.Equal((int)ExpectedInteger(7, other), second.Scalar("SELECT mask_int(7)"));
        }
    }

    /// <summary>
    /// The integer form written out plainly, one HMACSHA256 per round: balanced Feistel networks of ten rounds under a
    /// round key derived from the project key, 32 bits wide inside the INTEGER range, 64 bits wide (cycle-walked) outside.
    /// </summary>
    private static long ExpectedInteger(long value, byte[]? key = null)
    {
        byte[] roundKey = HMACSHA256.HashData("Medallion integer mask permutation v1"u8, key ?? s_key);
        if (value == (int)value)
        {
            uint left = (uint)value >> 16, right = (uint)value & 0xFFFF;
            for (int round = 0; round < 10; round++)
            {
                byte[] digest = HMACSHA256.HashData(roundKey, new byte[] { 0x20, (byte)round, (byte)(right >> 12), (byte)(right >> 4) });
                uint next = left ^ BinaryPrimitives.ReadUInt16BigEndian(digest.AsSpan((int)(2 * (right & 15))));
                (left, right) = (right, next);
            }

            return (int)((left << 16) | right);
        }

        long result = value;
        do
        {
            uint left = (uint)((ulong)result >> 32), right = (uint)result;
            for (int round = 0; round < 10; round++)
            {
                byte[] input = [0x40, (byte)round, 0, 0, 0, 0];
                BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(2), right);
                uint next = left ^ BinaryPrimitives.ReadUInt32BigEndian(HMACSHA256.HashData(roundKey, input));
                (left, right) = (right, next);
            }

            result = (long)(((ulong)left << 32) | right);
        }
        while (result == (int)result);
        return result;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(-7)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public void The_integer_form_keeps_an_integer_an_integer_and_masks_the_same_number_as_a_bigint_the_same_way(int value)
    {
        using DuckDbConnection connection = Db.Open();
        DuckDbHmacFunction.RegisterInteger(connection, "mask_int", s_key);

        using DuckDbDataReader reader = connection.ReadFirstRow($"SELECT mask_int(({value})::INTEGER), mask_int(({value})::BIGINT), typeof(mask_int(({value})::INTEGER))");

        Assert.Equal((int)ExpectedInteger(value), reader.GetValue(0));
        Assert.Equal(ExpectedInteger(value), reader.GetValue(1));
        Assert.Equal("INTEGER", reader.GetString(2));
    }

    [Fact]
    public void The_integer_form_masks_a_smallint_and_a_tinyint_to_the_mask_of_the_same_number()
    {
        using DuckDbConnection connection = Db.Open();
        DuckDbHmacFunction.RegisterInteger(connection, "mask_int", s_key);

        using DuckDbDataReader reader = connection.ReadFirstRow("SELECT mask_int((-300)::SMALLINT), mask_int(100::TINYINT)");

        Assert.Equal(ExpectedInteger(-300), Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ExpectedInteger(100), Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(2_147_483_648L)]
    [InlineData(-2_147_483_649L)]
    [InlineData(39_053_344_705L)]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    public void The_integer_form_masks_a_bigint_outside_the_integer_range_to_another_outside_it(long value)
    {
        using DuckDbConnection connection = Db.Open();
        DuckDbHmacFunction.RegisterInteger(connection, "mask_int", s_key);

        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT mask_int($1)";
        command.Parameters.Add(value);
        long masked = (long)command.ExecuteScalar()!;

        Assert.Equal(ExpectedInteger(value), masked);
        Assert.NotEqual(masked, (int)masked);
    }

    [Fact]
    public void The_integer_form_never_gives_two_numbers_one_mask_and_keeps_nulls_in_a_parallel_scan_with_repeats()
    {
        using DuckDbConnection connection = Db.Open();
        DuckDbHmacFunction.RegisterInteger(connection, "mask_int", s_key);
        connection.Execute("CREATE TABLE t AS SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE (i % 199_999 - 100_000)::INTEGER END AS v FROM range(600000) r(i)");

        using DuckDbDataReader reader = connection.ReadFirstRow(
            "SELECT count(*) FILTER (WHERE h IS NULL), count(DISTINCT h), count(DISTINCT v), count(DISTINCT wide), max(CASE WHEN i = 123457 THEN h END) "
            + "FROM (SELECT i, v, mask_int(v) AS h, mask_int(v::BIGINT * 100_000) AS wide FROM t)");

        Assert.Equal(60_000L, reader.GetInt64(0));
        Assert.Equal(reader.GetInt64(2), reader.GetInt64(1));
        Assert.Equal(reader.GetInt64(2), reader.GetInt64(3));
        Assert.Equal((int)ExpectedInteger((123457 % 199_999) - 100_000), reader.GetInt32(4));
    }

    [Fact]
    public void A_key_longer_than_a_block_is_refused()
    {
        using DuckDbConnection connection = Db.Open();

        Assert.Throws<ArgumentException>(() => DuckDbHmacFunction.Register(connection, "mask", new byte[65]));
    }
}
