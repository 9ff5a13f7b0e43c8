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
    /// takes a place until <see cref="AuthenticationTimeout"/> closes it, and at most <see cref="MaxStartups"/> are
    /// logging in). One more is refused with SQLSTATE 53300 "sorry, too many clients already", as PostgreSQL's
    /// <c>max_connections</c>. 100 by default.
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
    /// included) before it is disconnected without a word, as PostgreSQL's <c>authentication_timeout</c>; a client waiting
    /// for its turn to log in (<see cref="MaxStartups"/>) waits at most as long again. 10 s by default.
    /// </summary>
    public TimeSpan AuthenticationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The gate every password check goes through (places per address and per account, growing delays after failures,
    /// the audit of failed logins); share one with the other surfaces that check passwords, so a guesser cannot spread
    /// its guesses over them. A guard of its own with the default options when null.
    /// </summary>
    public LoginGuard? Logins { get; init; }

    /// <summary>
    /// The most clients logging in at once (connected and not yet authenticated), so that a flood of sockets that never
    /// log in cannot take the places of sessions: at least <see cref="MaxConnections"/> minus this many places are left
    /// for clients that authenticate. More wait for their turn (see <see cref="MaxStartupsPerAddress"/>). A quarter of
    /// <see cref="MaxConnections"/> (at least 1) when null.
    /// </summary>
    public int? MaxStartups { get; init; }

    /// <summary>
    /// The most clients from one address (an IPv6 /64) logging in at once; more from it wait for their turn, up to half
    /// of <see cref="MaxConnections"/> waiting per address, and beyond that are refused at once with SQLSTATE 53300 (and
    /// the address is named in the log). A burst of a pool's connections thus goes through a few at a time, while a
    /// flood from one address cannot keep others out. 10 by default.
    /// </summary>
    public int MaxStartupsPerAddress { get; init; } = 10;

    /// <summary>
    /// The most sessions one user may have at once; one more is refused with SQLSTATE 53300 naming the cap (PostgreSQL's
    /// <c>CONNECTION LIMIT</c> of a role). No cap when null.
    /// </summary>
    public int? MaxSessionsPerUser { get; init; }

    /// <summary>
    /// Places of <see cref="MaxConnections"/> kept for admins (<see cref="IPgUserStore.IsAdminAsync"/>): other users are
    /// refused with SQLSTATE 53300 once only these are left, as PostgreSQL's <c>superuser_reserved_connections</c>. 0 by default.
    /// </summary>
    public int ReservedConnections { get; init; }

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
