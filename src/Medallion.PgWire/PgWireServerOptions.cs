using System;
using System.Net;
using System.Security.Cryptography.X509Certificates;
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

    /// <summary>The largest frontend message accepted, in bytes; a larger one closes the connection with SQLSTATE 08P01.</summary>
    public int MaxMessageBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>The version reported as <c>server_version</c>; clients check it for features.</summary>
    public string ServerVersion { get; init; } = "15.0 (Medallion)";

    /// <summary>Whether sessions report <c>is_superuser = on</c>.</summary>
    public bool IsSuperuser { get; init; }

    /// <summary>How long a client may take to authenticate before it is disconnected.</summary>
    public TimeSpan AuthenticationTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The longest a statement may run before it is cancelled with SQLSTATE 57014; none when null. It is each
    /// session's <c>statement_timeout</c> default, and a client's <c>SET statement_timeout</c> can only shorten it.
    /// </summary>
    public TimeSpan? StatementTimeout { get; init; }

    /// <summary>Where the server logs; nothing is logged when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
