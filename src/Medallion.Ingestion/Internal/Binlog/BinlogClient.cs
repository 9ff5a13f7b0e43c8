using System;
using System.Buffers.Binary;
using System.IO;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>
/// A replication client of MySQL and MariaDB: logs in with <c>mysql_native_password</c>, asks for the binlog from a
/// file and position (COM_BINLOG_DUMP) and hands out its events' raw bytes, checksum included.
/// </summary>
/// <remarks>
/// Only what a replica needs: the handshake (https://mariadb.com/kb/en/connection/), text queries answered by OK or
/// ERR, and the dump. No TLS, and no authentication plugin other than <c>mysql_native_password</c> (MariaDB's
/// default): another one is refused by name. The session announces that it checks CRC32 checksums and is a MariaDB
/// replica of capability 4 (so the server sends GTID events and annotations rather than their MySQL stand-ins).
/// </remarks>
internal sealed class BinlogClient : IAsyncDisposable
{
    private const string NativePassword = "mysql_native_password";

    // CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION
    // | CLIENT_MULTI_RESULTS | CLIENT_PLUGIN_AUTH
    private const uint Capabilities = 0x1 | 0x4 | 0x200 | 0x2000 | 0x8000 | 0x20000 | 0x80000;

    private readonly TcpClient _tcp;
    private readonly MySqlPacketStream _packets;

    private BinlogClient(TcpClient tcp)
    {
        _tcp = tcp;
        _packets = new MySqlPacketStream(tcp.GetStream());
    }

    /// <summary>The server's version text from its handshake (e.g. <c>10.11.19-MariaDB</c>).</summary>
    public string ServerVersion { get; private set; } = "";

    /// <summary>Connects and logs in.</summary>
    /// <exception cref="BinlogServerException">The server refused the login.</exception>
    /// <exception cref="BinlogProtocolException">The server wants another authentication plugin, or broke the protocol.</exception>
    public static async Task<BinlogClient> ConnectAsync(string host, int port, string user, string password, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }

        var client = new BinlogClient(tcp);
        try
        {
            await client.LoginAsync(user, password, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task LoginAsync(string user, string password, CancellationToken cancellationToken)
    {
        byte[] handshake = await _packets.ReadAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfError(handshake);
        var reader = new PacketReader(handshake);
        if (reader.ReadByte() != 10)
        {
            throw new BinlogProtocolException("the server's handshake is not protocol version 10");
        }

        ServerVersion = reader.ReadNullTerminatedString();
        reader.Skip(4);
        byte[] scramble = reader.ReadBytes(8).ToArray();
        reader.Skip(1);
        uint serverCapabilities = reader.ReadUInt16();
        reader.Skip(3);
        serverCapabilities |= (uint)reader.ReadUInt16() << 16;
        int scrambleLength = reader.ReadByte();
        reader.Skip(10);
        if ((serverCapabilities & 0x8000) != 0)
        {
            int rest = Math.Max(13, scrambleLength - 8);
            scramble = [.. scramble, .. reader.ReadBytes(rest - 1)];
            reader.Skip(1);
        }

        byte[] userBytes = Encoding.UTF8.GetBytes(user);
        // The answer is for mysql_native_password whatever the server's default: a user of another plugin gets an
        // auth switch request naming it, which is refused below.
        byte[] answer = Scramble(password, scramble);
        byte[] response = new byte[4 + 4 + 1 + 23 + userBytes.Length + 1 + 1 + answer.Length + NativePassword.Length + 1];
        BinaryPrimitives.WriteUInt32LittleEndian(response, Capabilities);
        BinaryPrimitives.WriteUInt32LittleEndian(response.AsSpan(4), 1 << 24);
        response[8] = 45; // utf8mb4_general_ci
        int at = 32;
        userBytes.CopyTo(response, at);
        at += userBytes.Length + 1;
        response[at++] = (byte)answer.Length;
        answer.CopyTo(response, at);
        at += answer.Length;
        Encoding.ASCII.GetBytes(NativePassword).CopyTo(response, at);
        await _packets.WriteAsync(response, cancellationToken).ConfigureAwait(false);

        byte[] reply = await _packets.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (reply.Length > 0 && reply[0] == 0xFE)
        {
            var switchRequest = new PacketReader(reply);
            switchRequest.Skip(1);
            string wanted = switchRequest.ReadNullTerminatedString();
            if (wanted != NativePassword)
            {
                throw new BinlogProtocolException($"the server asks for the authentication plugin '{wanted}' for user '{user}'; the binlog reader supports only mysql_native_password");
            }

            byte[] seed = switchRequest.ReadBytes(Math.Min(20, switchRequest.Remaining)).ToArray();
            await _packets.WriteAsync(Scramble(password, seed), cancellationToken).ConfigureAwait(false);
            reply = await _packets.ReadAsync(cancellationToken).ConfigureAwait(false);
        }

        ThrowIfError(reply);
        if (reply.Length == 0 || reply[0] != 0)
        {
            throw new BinlogProtocolException($"the server answered the login with packet type 0x{(reply.Length > 0 ? reply[0] : 0):X2}");
        }
    }

    /// <summary>mysql_native_password: SHA1(password) XOR SHA1(seed + SHA1(SHA1(password))); empty for no password.</summary>
    // SHA1 is what the protocol defines; the plugin's weakness is the server's choice, not ours to fix here.
#pragma warning disable CA5350
    private static byte[] Scramble(string password, byte[] seed)
    {
        if (password.Length == 0)
        {
            return [];
        }

        byte[] hash = SHA1.HashData(Encoding.UTF8.GetBytes(password));
        byte[] twice = SHA1.HashData(hash);
        byte[] mixed = SHA1.HashData([.. seed.AsSpan(0, Math.Min(20, seed.Length)), .. twice]);
        for (int i = 0; i < hash.Length; i++)
        {
            hash[i] ^= mixed[i];
        }

        return hash;
    }
#pragma warning restore CA5350

    /// <summary>Runs a statement that returns no rows (SET ...).</summary>
    /// <exception cref="BinlogServerException">The server refused it.</exception>
    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        _packets.ResetSequence();
        await _packets.WriteAsync((byte[])[0x03, .. Encoding.UTF8.GetBytes(sql)], cancellationToken).ConfigureAwait(false);
        byte[] reply = await _packets.ReadAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfError(reply);
        if (reply.Length == 0 || reply[0] != 0)
        {
            throw new BinlogProtocolException($"the statement '{sql}' returned rows; only statements without results are expected here");
        }
    }

    /// <summary>Asks for the binlog from <paramref name="file"/> at <paramref name="position"/>; the events follow through <see cref="ReadEventAsync"/>.</summary>
    public async Task StartDumpAsync(string file, uint position, uint serverId, CancellationToken cancellationToken)
    {
        byte[] name = Encoding.UTF8.GetBytes(file);
        byte[] command = new byte[1 + 4 + 2 + 4 + name.Length];
        command[0] = 0x12;
        BinaryPrimitives.WriteUInt32LittleEndian(command.AsSpan(1), position);
        BinaryPrimitives.WriteUInt32LittleEndian(command.AsSpan(7), serverId);
        name.CopyTo(command, 11);
        _packets.ResetSequence();
        await _packets.WriteAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next event's bytes (header, body and checksum), or null when the server ended the dump.</summary>
    /// <exception cref="BinlogServerException">The server stopped the dump with an error (e.g. the file was purged).</exception>
    public async Task<byte[]?> ReadEventAsync(CancellationToken cancellationToken)
    {
        byte[] packet = await _packets.ReadAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfError(packet);
        if (packet.Length == 0 || (packet[0] == 0xFE && packet.Length < 9))
        {
            return null;
        }

        if (packet[0] != 0)
        {
            throw new BinlogProtocolException($"a binlog event packet starts with 0x{packet[0]:X2}");
        }

        return packet[1..];
    }

    private static void ThrowIfError(byte[] packet)
    {
        if (packet.Length == 0 || packet[0] != 0xFF)
        {
            return;
        }

        var reader = new PacketReader(packet);
        reader.Skip(1);
        int code = reader.ReadUInt16();
        if (reader.Remaining > 0 && reader.PeekByte() == (byte)'#')
        {
            reader.Skip(6);
        }

        throw new BinlogServerException(code, Encoding.UTF8.GetString(reader.ReadBytes(reader.Remaining)));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _packets.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // The connection is gone already; there is nothing left to close.
        }

        _tcp.Dispose();
    }
}
