using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Pipelines;
using Medallion.Pipelines.Alerts;

namespace Medallion.Server.Alerts;

/// <summary>Something an <c>unreachable</c> rule probes: the SQL endpoint, or the hosts a source connects to.</summary>
/// <param name="Key">Its part of the alert's key: <c>sql:endpoint</c> or <c>source:&lt;name&gt;</c>.</param>
/// <param name="What">How a message names it.</param>
/// <param name="Endpoints">Where it listens; reachable when any of them answers (a Kafka cluster's bootstrap servers).</param>
/// <param name="PostgresHandshake">Whether an answer must also speak the PostgreSQL protocol (the SQL endpoint).</param>
internal sealed record ProbeTarget(string Key, string What, IReadOnlyList<DnsEndPoint> Endpoints, bool PostgresHandshake = false);

/// <summary>
/// Probes whether a listener answers: a TCP connection for a source's host (no login, no request, so a probe neither
/// uses a database connection slot nor calls an API), and for the SQL endpoint a PostgreSQL SSLRequest too, whose
/// one-byte answer proves the endpoint's accept loop is alive, not only its socket.
/// </summary>
internal static class ReachabilityProbe
{
    /// <summary>How long one probe waits for an answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>What a rule probes: the SQL endpoint (when the server runs one) and the network sources it covers.</summary>
    public static IEnumerable<ProbeTarget> Targets(MedallionProject project, AlertRuleDefinition rule, IPEndPoint? sqlEndpoint)
    {
        if (sqlEndpoint is not null)
        {
            IPAddress address = sqlEndpoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
                : sqlEndpoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
                : sqlEndpoint.Address;
            yield return new ProbeTarget("sql:endpoint", "the SQL endpoint", [new DnsEndPoint(address.ToString(), sqlEndpoint.Port)], PostgresHandshake: true);
        }

        bool Covered(string source) => rule.Sources.Count == 0 || rule.Sources.Contains(source, StringComparer.OrdinalIgnoreCase);
        foreach (DatabaseSourceDefinition source in project.DatabaseSources.Where(s => Covered(s.Name)))
        {
            IReadOnlyDictionary<string, string> settings = source.Connection.Settings;
            string host = settings.GetValueOrDefault("host") is { Length: > 0 } h ? h : "localhost";
            int port = settings.GetValueOrDefault("port") is { } p && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n
                : string.Equals(source.Connection.Type, "postgres", StringComparison.OrdinalIgnoreCase) ? 5432 : 3306;
            yield return new ProbeTarget("source:" + source.Name, $"source '{source.Name}' ({source.Connection.Type} at {host}:{port})", [new DnsEndPoint(host, port)]);
        }

        foreach (ApiSourceDefinition source in project.ApiSources.Where(s => Covered(s.Name)))
        {
            var url = new Uri(source.Options.Url);
            yield return new ProbeTarget("source:" + source.Name, $"source '{source.Name}' (API at {url.Host}:{url.Port})", [new DnsEndPoint(url.Host, url.Port)]);
        }

        foreach (KafkaSourceDefinition source in project.KafkaSources.Where(s => Covered(s.Name)))
        {
            string servers = source.Connection.Settings.GetValueOrDefault("bootstrap_servers") ?? "";
            List<DnsEndPoint> endpoints = [.. servers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(KafkaEndpoint)];
            yield return new ProbeTarget("source:" + source.Name, $"source '{source.Name}' (Kafka at {servers})", endpoints);
        }
    }

    /// <summary>Null when one of the target's endpoints answered; otherwise why none did.</summary>
    public static async Task<string?> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (DnsEndPoint endpoint in target.Endpoints)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            try
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
                if (!target.PostgresHandshake || await AnswersSslRequestAsync(socket, timeout.Token).ConfigureAwait(false))
                {
                    return null;
                }

                failures.Add($"{endpoint.Host}:{endpoint.Port} accepted the connection but did not answer a PostgreSQL SSLRequest");
            }
            catch (SocketException e) when (target.PostgresHandshake && e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted)
            {
                // Connected, then hung up on the request.
                failures.Add($"{endpoint.Host}:{endpoint.Port} accepted the connection but did not answer a PostgreSQL SSLRequest ({e.Message})");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failures.Add($"{endpoint.Host}:{endpoint.Port} did not answer within {Timeout.TotalSeconds:0} s");
            }
            catch (SocketException e)
            {
                failures.Add($"{endpoint.Host}:{endpoint.Port}: {e.Message}");
            }
        }

        return failures.Count == 0 ? "it has no host to connect to" : string.Join("; ", failures);
    }

    private static async Task<bool> AnswersSslRequestAsync(Socket socket, CancellationToken cancellationToken)
    {
        // SSLRequest: length 8, then the code 1234.5679 (80877103); a PostgreSQL server answers one byte, S or N.
        byte[] request = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(request, 8);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(4), 80877103);
        await socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        byte[] answer = new byte[1];
        int read = await socket.ReceiveAsync(answer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        return read == 1 && answer[0] is (byte)'S' or (byte)'N';
    }

    private static DnsEndPoint KafkaEndpoint(string server)
    {
        int colon = server.LastIndexOf(':');
        return colon > 0 && int.TryParse(server.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            ? new DnsEndPoint(server[..colon], port)
            : new DnsEndPoint(server, 9092);
    }
}
