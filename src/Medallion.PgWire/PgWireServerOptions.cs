using System;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace Medallion.PgWire;

/// <summary>How a <see cref="PgWireServer"/> listens, authenticates and serves.</summary>
public sealed record PgWireServerOptions
{
    /// <summary>The address to listen on; loopback by default.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The TCP port; 0 picks a free port (read it from <see cref="PgWireServer.Port"/>).</summary>
    public int Port { get; init; } = 5433;

    /// <summary>Opens each client's SQL session.</summary>
    public required IPgSessionFactory SessionFactory { get; init; }

    /// <summary>The users who may log in with SCRAM-SHA-256.</summary>
    public IPgUserStore? UserStore { get; init; }

    /// <summary>
    /// Accept clients on the loopback interface without a password (PostgreSQL's <c>trust</c>).
    /// Remote clients always authenticate. Off by default.
    /// </summary>
    public bool TrustLoopback { get; init; }

    /// <summary>When set, SSLRequest is answered with 'S' and the connection switches to TLS with this certificate (with its private key).</summary>
    public X509Certificate2? ServerCertificate { get; init; }

    /// <summary>
    /// Refuse clients that did not switch to TLS with a FATAL error (SQLSTATE 28000), as a PostgreSQL whose
    /// pg_hba.conf has only <c>hostssl</c> lines. Needs <see cref="ServerCertificate"/>. Off by default.
    /// </summary>
    public bool RequireTls { get; init; }

    /// <summary>
    /// The most clients connected at once, counting those still in startup or authentication (an idle socket
    /// takes a place until <see cref="AuthenticationTimeout"/> closes it). One more is refused with SQLSTATE 53300
    /// "sorry, too many clients already", as PostgreSQL's <c>max_connections</c>. 100 by default.
    /// </summary>
    public int MaxConnections { get; init; } = 100;

    /// <summary>
    /// The largest frontend message accepted from an authenticated client, in bytes; a larger one closes the connection
    /// with SQLSTATE 08P01. Before authentication the limit is 64 KiB (PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH), and
    /// 10,000 bytes for the startup packet, so a client without a password cannot make the server hold more.
    /// </summary>
    public int MaxMessageBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>The version reported as <c>server_version</c>; clients check it for features.</summary>
    public string ServerVersion { get; init; } = "15.0 (Medallion)";

    /// <summary>Whether sessions report <c>is_superuser = on</c>.</summary>
    public bool IsSuperuser { get; init; }

    /// <summary>
    /// How long a client may take from connecting to being authenticated (TLS handshake, startup packet and password
    /// included) before it is disconnected without a word, as PostgreSQL's <c>authentication_timeout</c>. 10 s by default.
    /// </summary>
    public TimeSpan AuthenticationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Slows password guessing: after three failed logins from one address (an IPv6 /64), the answer to each
    /// further failure from it waits this long, doubling with each failure up to <see cref="MaxFailedLoginDelay"/>;
    /// the waiting connection keeps its place among <see cref="MaxConnections"/>. An address is forgiven after five
    /// minutes without a failure.
    /// 500 ms by default; <see cref="TimeSpan.Zero"/> turns the delay off.
    /// </summary>
    public TimeSpan FailedLoginDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest an answer to a failed login waits because of <see cref="FailedLoginDelay"/>; 5 s by default.</summary>
    public TimeSpan MaxFailedLoginDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest a statement may run before it is cancelled with SQLSTATE 57014; none when null. It is each
    /// session's <c>statement_timeout</c> default, and a client's <c>SET statement_timeout</c> can only shorten it.
    /// </summary>
    public TimeSpan? StatementTimeout { get; init; }

    /// <summary>
    /// Called when each client statement ends (rows sent, failed or cancelled), for the audit; awaited before the
    /// client gets its answer, so an audit that falls behind slows clients down rather than losing their statements.
    /// Not called when null.
    /// </summary>
    public Func<PgStatementRecord, CancellationToken, ValueTask>? StatementCompleted { get; init; }

    /// <summary>Where the server logs; nothing is logged when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
