using System.Buffers;
using Medallion.PgWire.FrontendMessages;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Tests;

/// <summary>The frame and message parsers on their own: incomplete input, and 10,000 random inputs.</summary>
public sealed class MessageParsingTests
{
    [Fact]
    public void An_incomplete_message_returns_false_and_consumes_nothing()
    {
        byte[] message = [(byte)'Q', 0, 0, 0, 13, .. "SELECT 1"u8, 0];
        for (int cut = 0; cut < message.Length; cut++)
        {
            var buffer = new ReadOnlySequence<byte>(message, 0, cut);
            ReadOnlySequence<byte> before = buffer;
            Assert.False(MessageFramer.TryReadMessage(ref buffer, 1024, authenticated: true, out _, out _));
            Assert.Equal(before.Length, buffer.Length);
        }

        var whole = new ReadOnlySequence<byte>(message);
        Assert.True(MessageFramer.TryReadMessage(ref whole, 1024, authenticated: true, out byte type, out ReadOnlySequence<byte> body));
        Assert.Equal((byte)'Q', type);
        Assert.Equal("SELECT 1", Query.Read(body.ToArray()));
        Assert.Equal(0, whole.Length);
    }

    [Fact]
    public void A_length_above_the_limit_is_refused_before_the_body_arrives()
    {
        var buffer = new ReadOnlySequence<byte>([(byte)'Q', 0, 1, 0, 0]);
        PgWireException error = Assert.Throws<PgWireException>(() => MessageFramer.TryReadMessage(ref buffer, 1024, authenticated: true, out _, out _));
        Assert.Equal("08P01", error.SqlState);
        Assert.True(error.IsFatal);
    }

    [Fact]
    public void Ten_thousand_random_inputs_parse_or_fail_with_a_protocol_error_only()
    {
        var random = new Random(11);
        for (int i = 0; i < 10_000; i++)
        {
            byte[] bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            Parses(() =>
            {
                var buffer = new ReadOnlySequence<byte>(bytes);
                while (MessageFramer.TryReadMessage(ref buffer, 1 << 20, authenticated: true, out _, out _))
                {
                }
            });
            Parses(() =>
            {
                var buffer = new ReadOnlySequence<byte>(bytes);
                MessageFramer.TryReadStartupPacket(ref buffer, out _);
            });
            Parses(() => Parse.Read(bytes));
            Parses(() => Bind.Read(bytes));
            Parses(() => Describe.Read(bytes));
            Parses(() => Execute.Read(bytes));
            Parses(() => StartupMessage.Read(bytes));
            Parses(() => SaslInitialResponse.Read(bytes));
        }
    }

    private static void Parses(Action parse)
    {
        try
        {
            parse();
        }
        catch (PgWireException error)
        {
            Assert.Equal("08P01", error.SqlState);
        }
    }
}
