using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Medallion.Ingestion.Internal;
using Medallion.Ingestion.Internal.Binlog;

namespace Medallion.Ingestion.Tests.Binlog;

/// <summary>The hand-written binlog client's parsing, against bytes whose meaning MySQL's documentation gives.</summary>
public sealed class BinlogProtocolTests
{
    [Theory]
    // MySQL's own example (strings/decimal.cc, decimal2bin): 1234567890.1234 as DECIMAL(14,4).
    [InlineData(14, 4, "810DFB38D204D2", "1234567890.1234")]
    [InlineData(14, 4, "7EF204C72DFB2D", "-1234567890.1234")]
    [InlineData(10, 2, "80000000" + "00", "0.00")]
    [InlineData(5, 0, "800001", "1")]
    [InlineData(3, 3, "81F4", "0.500")]
    public void A_packed_decimal_reads_as_the_number_with_its_scale(int precision, int scale, string hex, string expected)
    {
        byte[] value = Convert.FromHexString(hex);
        var decoder = new BinlogRowDecoder([Column("d", "decimal", ValueKind.Text)], _ => "");
        var map = new TableMapEvent(default, 1, "db", "t", [BinlogColumnType.NewDecimal], [precision | (scale << 8)]);
        object?[] values = new object?[1];

        decoder.ReadRow(new PacketReader([0x00, .. value]), map, new System.Collections.BitArray([true]), values);

        Assert.Equal(expected, values[0]);
    }

    [Fact]
    public void An_event_whose_checksum_does_not_match_is_refused()
    {
        byte[] xid = XidEvent(42);
        xid[^5] ^= 1;

        BinlogProtocolException error = Assert.Throws<BinlogProtocolException>(() => new BinlogEventParser(checksum: true).Parse(xid));

        Assert.StartsWith("the checksum of a Xid event ending at position 1000 is wrong (stored ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_event_with_a_matching_checksum_is_read()
    {
        BinlogEvent parsed = new BinlogEventParser(checksum: true).Parse(XidEvent(42));

        Assert.Equal(42UL, Assert.IsType<XidEvent>(parsed).Xid);
    }

    [Fact]
    public async Task A_server_asking_for_another_authentication_plugin_is_refused_naming_it()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task server = ServeAsync(listener, "caching_sha2_password");

        BinlogProtocolException error = await Assert.ThrowsAsync<BinlogProtocolException>(
            () => BinlogClient.ConnectAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, "ada", "pw", CancellationToken.None));
        await server;

        Assert.Equal("the server asks for the authentication plugin 'caching_sha2_password' for user 'ada'; the binlog reader supports only mysql_native_password", error.Message);
    }

    private static BinlogColumn Column(string name, string dataType, ValueKind kind) =>
        new(name, dataType, false, null, null, [], new ColumnPlan(name, dataType, name, kind, "VARCHAR", "VARCHAR"));

    /// <summary>An XID event ending at position 1000, with its CRC32.</summary>
    private static byte[] XidEvent(ulong xid)
    {
        byte[] raw = new byte[BinlogEventHeader.Length + 8 + 4];
        raw[4] = (byte)BinlogEventType.Xid;
        BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(9), (uint)raw.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(13), 1000);
        BinaryPrimitives.WriteUInt64LittleEndian(raw.AsSpan(BinlogEventHeader.Length), xid);
        BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(raw.Length - 4), Crc32.Compute(raw.AsSpan(0, raw.Length - 4)));
        return raw;
    }

    /// <summary>A server that sends a protocol 10 handshake, reads the login and answers with an auth switch request.</summary>
    private static async Task ServeAsync(TcpListener listener, string plugin)
    {
        using TcpClient client = await listener.AcceptTcpClientAsync();
        NetworkStream stream = client.GetStream();
        byte[] scramble = Encoding.ASCII.GetBytes("abcdefghijklmnopqrst");
        var handshake = new List<byte> { 10 };
        handshake.AddRange(Encoding.ASCII.GetBytes("10.11.0-fake\0"));
        handshake.AddRange(new byte[] { 1, 0, 0, 0 });
        handshake.AddRange(scramble[..8]);
        handshake.Add(0);
        handshake.AddRange(new byte[] { 0x00, 0xA2 }); // capabilities: PROTOCOL_41, SECURE_CONNECTION
        handshake.Add(45);
        handshake.AddRange(new byte[] { 2, 0 });
        handshake.AddRange(new byte[] { 0x08, 0x00 }); // PLUGIN_AUTH
        handshake.Add(21);
        handshake.AddRange(new byte[10]);
        handshake.AddRange(scramble[8..]);
        handshake.Add(0);
        handshake.AddRange(Encoding.ASCII.GetBytes("mysql_native_password\0"));
        await WritePacketAsync(stream, 0, [.. handshake]);
        byte[] header = new byte[4];
        await stream.ReadExactlyAsync(header);
        await stream.ReadExactlyAsync(new byte[header[0] | (header[1] << 8) | (header[2] << 16)]);
        await WritePacketAsync(stream, 2, [0xFE, .. Encoding.ASCII.GetBytes(plugin + "\0"), .. scramble, 0]);
    }

    private static async Task WritePacketAsync(NetworkStream stream, byte sequence, byte[] payload)
    {
        byte[] packet = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(packet, payload.Length);
        packet[3] = sequence;
        payload.CopyTo(packet, 4);
        await stream.WriteAsync(packet);
    }
}
