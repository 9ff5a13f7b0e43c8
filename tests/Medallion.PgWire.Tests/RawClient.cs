using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Medallion.PgWire.Tests;

/// <summary>A bare-bones protocol client for what real drivers never send: bad messages, odd versions, row limits.</summary>
internal sealed class RawClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private NetworkStream _stream = null!;

    private RawClient(TcpClient tcp) => _tcp = tcp;

    /// <summary>Connects to the server on 127.0.0.1, from <paramref name="from"/> (another loopback address, e.g. 127.0.0.2) when given.</summary>
    public static async Task<RawClient> ConnectAsync(int port, IPAddress? from = null)
    {
        var client = new RawClient(from is null ? new TcpClient() { NoDelay = true } : new TcpClient(new IPEndPoint(from, 0)) { NoDelay = true });
        await client._tcp.ConnectAsync("127.0.0.1", port);
        client._stream = client._tcp.GetStream();
        return client;
    }

    /// <summary>Connects and completes a trust startup, reading up to the first ReadyForQuery.</summary>
    public static async Task<RawClient> StartAsync(int port)
    {
        RawClient client = await ConnectAsync(port);
        await client.SendStartupAsync(3 << 16, ("user", "tester"), ("database", "medallion"));
        List<(char Type, byte[] Body)> messages = await client.ReadUntilReadyAsync();
        Assert.Equal('Z', messages[^1].Type);
        return client;
    }

    public async Task SendStartupAsync(int version, params (string Name, string Value)[] parameters)
    {
        var body = new List<byte>();
        body.AddRange(BigEndian(version));
        foreach ((string name, string value) in parameters)
        {
            body.AddRange(Encoding.UTF8.GetBytes(name));
            body.Add(0);
            body.AddRange(Encoding.UTF8.GetBytes(value));
            body.Add(0);
        }

        body.Add(0);
        await SendRawAsync([.. BigEndian(body.Count + 4), .. body]);
    }

    public Task SendAsync(char type, byte[] body) => SendRawAsync([(byte)type, .. BigEndian(body.Length + 4), .. body]);

    public async Task SendRawAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public Task QueryAsync(string sql) => SendAsync('Q', CString(sql));

    /// <summary>The next message, or null when the server closed the connection.</summary>
    public async Task<(char Type, byte[] Body)?> ReadAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        byte[] header = new byte[5];
        if (!await ReadExactlyAsync(header, cancel.Token))
        {
            return null;
        }

        int length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        byte[] body = new byte[length - 4];
        if (!await ReadExactlyAsync(body, cancel.Token))
        {
            return null;
        }

        return ((char)header[0], body);
    }

    public async Task<byte> ReadByteAsync()
    {
        byte[] one = new byte[1];
        Assert.True(await ReadExactlyAsync(one, CancellationToken.None));
        return one[0];
    }

    public async Task<List<(char Type, byte[] Body)>> ReadUntilReadyAsync()
    {
        var messages = new List<(char Type, byte[] Body)>();
        while (true)
        {
            (char Type, byte[] Body)? message = await ReadAsync();
            if (message is null)
            {
                return messages;
            }

            messages.Add(message.Value);
            if (message.Value.Type == 'Z')
            {
                return messages;
            }
        }
    }

    /// <summary>The SQLSTATE field ('C') of an ErrorResponse body.</summary>
    public static string SqlState(byte[] errorBody) => Field(errorBody, 'C');

    public static string Field(byte[] errorBody, char code)
    {
        int i = 0;
        while (i < errorBody.Length && errorBody[i] != 0)
        {
            char field = (char)errorBody[i];
            int end = Array.IndexOf(errorBody, (byte)0, i + 1);
            if (field == code)
            {
                return Encoding.UTF8.GetString(errorBody, i + 1, end - i - 1);
            }

            i = end + 1;
        }

        return string.Empty;
    }

    public static string Tag(byte[] commandCompleteBody) => Encoding.UTF8.GetString(commandCompleteBody, 0, commandCompleteBody.Length - 1);

    public static byte[] CString(string text) => [.. Encoding.UTF8.GetBytes(text), 0];

    public static byte[] BigEndian(int value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    public static byte[] BigEndian16(short value)
    {
        byte[] bytes = new byte[2];
        BinaryPrimitives.WriteInt16BigEndian(bytes, value);
        return bytes;
    }

    public void Close() => _tcp.Client.Close();

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int count;
            try
            {
                count = await _stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            }
            catch (IOException)
            {
                return false;
            }

            if (count == 0)
            {
                return false;
            }

            read += count;
        }

        return true;
    }
}
