using System.Net;
using System.Net.Sockets;

namespace Medallion.Server.Tests;

/// <summary>HTTP clients that connect from a chosen loopback address (127.0.0.2, ...), so a test can play several machines.</summary>
public static class LoopbackClient
{
    /// <summary>A handler whose connections come from <paramref name="local"/>; from the system's choice when it is null.</summary>
    public static SocketsHttpHandler From(IPAddress? local)
    {
        var handler = new SocketsHttpHandler();
        if (local is null)
        {
            return handler;
        }

        handler.ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
        return handler;
    }
}
