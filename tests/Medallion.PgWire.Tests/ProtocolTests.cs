using System.Net;
using System.Text;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;

namespace Medallion.PgWire.Tests;

/// <summary>Protocol behaviour below the drivers: startup variants, row limits, bad input, vanishing clients. The server trusts loopback here.</summary>
public sealed class ProtocolTests : IAsyncLifetime
{
    private DuckDbDatabase _database = null!;
    private PgWireServer _server = null!;

    public async Task InitializeAsync()
    {
        _database = DuckDbDatabase.Open();
        _server = new PgWireServer(new PgWireServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            SessionFactory = new LakehouseSessionFactory(_database, NoTables.Instance),
            TrustLoopback = true,
            MaxMessageBytes = 64 * 1024,
        });
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task An_unknown_protocol_version_is_refused_with_a_fatal_error()
    {
        await using RawClient client = await RawClient.ConnectAsync(_server.Port);
        await client.SendStartupAsync(4 << 16, ("user", "tester"));
        (char Type, byte[] Body)? error = await client.ReadAsync();
        Assert.Equal('E', error!.Value.Type);
        Assert.Equal("0A000", RawClient.SqlState(error.Value.Body));
        Assert.Equal("FATAL", RawClient.Field(error.Value.Body, 'S'));
        Assert.Equal("unsupported frontend protocol 4.0: server supports 3.0 to 3.0", RawClient.Field(error.Value.Body, 'M'));
        Assert.Null(await client.ReadAsync());
    }

    [Fact]
    public async Task SSL_and_GSS_encryption_requests_are_declined_without_a_certificate()
    {
        await using RawClient client = await RawClient.ConnectAsync(_server.Port);
        await client.SendRawAsync([.. RawClient.BigEndian(8), .. RawClient.BigEndian(80877103)]);
        Assert.Equal((byte)'N', await client.ReadByteAsync());
        await client.SendRawAsync([.. RawClient.BigEndian(8), .. RawClient.BigEndian(80877104)]);
        Assert.Equal((byte)'N', await client.ReadByteAsync());
        await client.SendStartupAsync(3 << 16, ("user", "tester"));
        List<(char Type, byte[] Body)> messages = await client.ReadUntilReadyAsync();
        Assert.Equal('R', messages[0].Type);
        Assert.Contains(messages, m => m.Type == 'K');
        Assert.Equal((byte)'I', messages[^1].Body[0]);
    }

    [Fact]
    public async Task A_newer_minor_version_is_negotiated_down_to_3_0()
    {
        await using RawClient client = await RawClient.ConnectAsync(_server.Port);
        await client.SendStartupAsync((3 << 16) | 2, ("user", "tester"), ("_pq_.extension", "x"));
        List<(char Type, byte[] Body)> messages = await client.ReadUntilReadyAsync();
        Assert.Equal('v', messages[0].Type);
        Assert.Equal(3 << 16, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(messages[0].Body));
        Assert.Equal('Z', messages[^1].Type);
    }

    [Theory]
    [InlineData(1_001, 10, "The query string holds 1,001 statements; at most 1,000 are run at once.")]
    [InlineData(5_000, 10, "The query string holds 5,000 statements; at most 1,000 are run at once.")]
    [InlineData(20, 60_000, "The SQL text is 1,200,")]
    public async Task A_query_message_past_the_statement_or_size_limit_is_refused_before_any_of_it_runs(int statements, int literalChars, string message)
    {
        await using var server = new PgWireServer(new PgWireServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            SessionFactory = new LakehouseSessionFactory(_database, NoTables.Instance),
            TrustLoopback = true,
        });
        await server.StartAsync();
        await using RawClient client = await RawClient.StartAsync(server.Port);

        await client.QueryAsync(string.Concat(Enumerable.Repeat("SELECT '" + new string('x', literalChars) + "';", statements)));
        List<(char Type, byte[] Body)> messages = await client.ReadUntilReadyAsync();

        Assert.Equal(['E', 'Z'], messages.Select(m => m.Type));
        Assert.Equal("54000", RawClient.SqlState(messages[0].Body));
        Assert.StartsWith(message, RawClient.Field(messages[0].Body, 'M'), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  -- only a comment\n")]
    [InlineData("/* block /* nested */ comment */ ;")]
    public async Task A_query_without_statements_answers_EmptyQueryResponse(string sql)
    {
        await using RawClient client = await RawClient.StartAsync(_server.Port);
        await client.QueryAsync(sql);
        List<(char Type, byte[] Body)> messages = await client.ReadUntilReadyAsync();
        Assert.Equal(['I', 'Z'], messages.Select(m => m.Type));
    }

    [Fact]
    public async Task A_simple_query_with_several_statements_returns_one_result_each()
    {
        await using RawClient client = await RawClient.StartAsync(_server.Port);
        await client.QueryAsync("SELECT 1; SELECT 'a' UNION ALL SELECT 'b'; SHOW DateStyle");
        List<(char Type, byte[] Body)> messages = await client.ReadUntilReadyAsync();
        Assert.Equal(['T', 'D', 'C', 'T', 'D', 'D', 'C', 'T', 'D', 'C', 'Z'], messages.Select(m => m.Type));
        Assert.Equal(["SELECT 1", "SELECT 2", "SHOW"], messages.Where(m => m.Type == 'C').Select(m => RawClient.Tag(m.Body)));
    }

    [Fact]
    public async Task The_transaction_status_follows_begin_failure_and_rollback()
    {
        await using RawClient client = await RawClient.StartAsync(_server.Port);
        Assert.Equal((byte)'T', await StatusAfter(client, "BEGIN"));
        Assert.Equal((byte)'E', await StatusAfter(client, "SELECT * FROM nowhere"));
        Assert.Equal((byte)'E', await StatusAfter(client, "SELECT 1"));
        Assert.Equal((byte)'I', await StatusAfter(client, "ROLLBACK"));
        Assert.Equal((byte)'I', await StatusAfter(client, "SELECT 1"));
    }

    [Fact]
    public async Task Execute_with_a_row_limit_suspends_the_portal_until_it_is_drained()
    {
        await using RawClient client = await RawClient.StartAsync(_server.Port);
        await client.SendAsync('P', [.. RawClient.CString("s1"), .. RawClient.CString("SELECT i FROM range(5) t(i)"), .. RawClient.BigEndian16(0)]);
        await client.SendAsync('B', [.. RawClient.CString("p1"), .. RawClient.CString("s1"), .. RawClient.BigEndian16(0), .. RawClient.BigEndian16(0), .. RawClient.BigEndian16(0)]);
        await client.SendAsync('D', [(byte)'P', .. RawClient.CString("p1")]);
        for (int i = 0; i < 3; i++)
        {
            await client.SendAsync('E', [.. RawClient.CString("p1"), .. RawClient.BigEndian(2)]);
        }

        await client.SendAsync('S', []);
        List<(char Type, byte[] Body)> messages = await client.ReadUntilReadyAsync();
        Assert.Equal(['1', '2', 'T', 'D', 'D', 's', 'D', 'D', 's', 'D', 'C', 'Z'], messages.Select(m => m.Type));
        Assert.Equal("SELECT 1", RawClient.Tag(messages[^2].Body));
    }

    [Fact]
    public async Task An_error_in_the_extended_protocol_skips_messages_until_sync()
    {
        await using RawClient client = await RawClient.StartAsync(_server.Port);
        await client.SendAsync('B', [.. RawClient.CString(string.Empty), .. RawClient.CString("missing"), .. RawClient.BigEndian16(0), .. RawClient.BigEndian16(0), .. RawClient.BigEndian16(0)]);
        await client.SendAsync('E', [.. RawClient.CString(string.Empty), .. RawClient.BigEndian(0)]);
        await client.SendAsync('S', []);
        List<(char Type, byte[] Body)> messages = await client.ReadUntilReadyAsync();
        Assert.Equal(['E', 'Z'], messages.Select(m => m.Type));
        Assert.Equal("26000", RawClient.SqlState(messages[0].Body));
        await client.QueryAsync("SELECT 1");
        Assert.Equal('C', (await client.ReadUntilReadyAsync())[^2].Type);
    }

    [Fact]
    public async Task An_oversized_message_closes_only_that_connection_with_08P01()
    {
        await using RawClient other = await RawClient.StartAsync(_server.Port);
        await using RawClient client = await RawClient.StartAsync(_server.Port);
        await client.SendRawAsync([(byte)'Q', .. RawClient.BigEndian(10 * 1024 * 1024)]);
        (char Type, byte[] Body)? error = await client.ReadAsync();
        Assert.Equal('E', error!.Value.Type);
        Assert.Equal("08P01", RawClient.SqlState(error.Value.Body));
        Assert.Null(await client.ReadAsync());
        await other.QueryAsync("SELECT 42");
        Assert.Equal('C', (await other.ReadUntilReadyAsync())[^2].Type);
    }

    [Fact]
    public async Task Random_and_truncated_messages_never_take_the_server_down()
    {
        var random = new Random(7);
        byte[][] valid =
        [
            [(byte)'Q', .. RawClient.BigEndian(13), .. RawClient.CString("SELECT 1")],
            [(byte)'P', .. RawClient.BigEndian(16), .. RawClient.CString(string.Empty), .. RawClient.CString("SELECT 1"), .. RawClient.BigEndian16(0)],
            [(byte)'B', .. RawClient.BigEndian(12), 0, 0, 0, 0, 0, 0, 0, 0],
            [(byte)'S', .. RawClient.BigEndian(4)],
        ];
        int cases = 400;
        for (int i = 0; i < cases; i++)
        {
            await using RawClient client = i % 4 == 0 ? await RawClient.ConnectAsync(_server.Port) : await RawClient.StartAsync(_server.Port);
            byte[] payload = (i % 4) switch
            {
                0 => RandomBytes(random, random.Next(1, 64)),
                1 => [(byte)"QPBDECSHXdFp"[random.Next(12)], .. RawClient.BigEndian(random.Next(4, 40)), .. RandomBytes(random, random.Next(0, 40))],
                2 => Truncated(valid[random.Next(valid.Length)], random),
                _ => RandomBytes(random, random.Next(1, 200)),
            };
            await client.SendRawAsync(payload);
            if (random.Next(2) == 0)
            {
                client.Close();
                continue;
            }

            // Whatever the server answers (an error, a result, a close, or a wait for the rest of a
            // message), it never crashes and keeps serving the other clients.
            try
            {
                while (await client.ReadAsync(TimeSpan.FromMilliseconds(200)) is { Type: not 'Z' })
                {
                }
            }
            catch (OperationCanceledException)
            {
                // The server is waiting for the rest of a truncated message, as it should.
            }
        }

        await using RawClient healthy = await RawClient.StartAsync(_server.Port);
        await healthy.QueryAsync("SELECT 1");
        Assert.Equal('C', (await healthy.ReadUntilReadyAsync())[^2].Type);
    }

    [Fact]
    public async Task A_client_vanishing_mid_result_does_not_disturb_the_others()
    {
        await using (RawClient leaving = await RawClient.StartAsync(_server.Port))
        {
            await leaving.QueryAsync("SELECT i, repeat('x', 100) FROM range(5000000) t(i)");
            for (int i = 0; i < 100; i++)
            {
                Assert.NotNull(await leaving.ReadAsync());
            }

            leaving.Close();
        }

        await using RawClient staying = await RawClient.StartAsync(_server.Port);
        await staying.QueryAsync("SELECT count(*) FROM range(1000)");
        List<(char Type, byte[] Body)> messages = await staying.ReadUntilReadyAsync();
        Assert.Equal("1000", Encoding.UTF8.GetString(messages[1].Body, 6, messages[1].Body.Length - 6));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (_server.ConnectionCount > 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, _server.ConnectionCount);
    }

    private static byte[] Truncated(byte[] message, Random random) => message[..random.Next(1, message.Length)];

    private static byte[] RandomBytes(Random random, int count)
    {
        byte[] bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte> StatusAfter(RawClient client, string sql)
    {
        await client.QueryAsync(sql);
        List<(char Type, byte[] Body)> messages = await client.ReadUntilReadyAsync();
        return messages[^1].Body[0];
    }
}
