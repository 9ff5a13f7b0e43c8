using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;
using Medallion.PgWire.BackendMessages;
using Medallion.PgWire.FrontendMessages;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>Startup: SSL/GSS negotiation, CancelRequest, protocol version, authentication and session set-up.</summary>
internal sealed partial class PgConnection
{
    /// <summary>
    /// Set when the server already serves its maximum of clients: the connection goes through SSL negotiation (so
    /// that the client can read the answer) and is then refused with SQLSTATE 53300, as PostgreSQL does.
    /// </summary>
    public bool OverCapacity { get; init; }

    /// <summary>Before authentication a client may send at most 64 KiB at once; afterwards, the configured limit.</summary>
    private int MaxMessageBytes => _authenticated
        ? Options.MaxMessageBytes
        : Math.Min(MessageFramer.MaxUnauthenticatedMessageBytes, Options.MaxMessageBytes);

    /// <summary>
    /// Runs the startup phase; returns false when the connection is done (a CancelRequest, the client left, or it
    /// did not authenticate within <see cref="PgWireServerOptions.AuthenticationTimeout"/>).
    /// </summary>
    private async Task<bool> StartupAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.AuthenticationTimeout);
        try
        {
            return await NegotiateAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // PostgreSQL closes such a connection without a word too: an idle or slow client gets nothing to read.
            LogMessages.AuthenticationTimedOut(_server.Logger, ProcessId, RemoteEndPoint, Options.AuthenticationTimeout);
            return false;
        }
    }

    private async Task<bool> NegotiateAsync(CancellationToken cancellationToken)
    {
        bool tls = false;
        bool sslAnswered = false;
        bool gssAnswered = false;
        while (true)
        {
            (byte Type, byte[] Body)? packet = await ReadMessageAsync(startup: true, cancellationToken).ConfigureAwait(false);
            if (packet is not { } current)
            {
                return false;
            }

            // Each encryption request is answered once, as PostgreSQL does: a repeated one falls through to the
            // version check below and is refused, so a client cannot loop here.
            int code = BinaryPrimitives.ReadInt32BigEndian(current.Body);
            if (code == StartupMessage.SslRequestCode && !sslAnswered)
            {
                sslAnswered = true;
                if (Options.ServerCertificate is not null)
                {
                    await WriteRawAsync((byte)'S', cancellationToken).ConfigureAwait(false);
                    await UpgradeToTlsAsync(cancellationToken).ConfigureAwait(false);
                    tls = true;
                }
                else
                {
                    await WriteRawAsync((byte)'N', cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            if (code == StartupMessage.GssEncRequestCode && !gssAnswered)
            {
                gssAnswered = true;
                await WriteRawAsync((byte)'N', cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (code == StartupMessage.CancelRequestCode)
            {
                CancelRequest request = CancelRequest.Read(current.Body);
                _server.Cancel(request.ProcessId, request.SecretKey);
                return false;
            }

            StartupMessage startup = StartupMessage.Read(current.Body);
            if (startup.Major != 3)
            {
                throw new PgWireException(ErrorCode.PgWireProtocolViolation, SqlState.FeatureNotSupported,
                    $"unsupported frontend protocol {startup.Major}.{startup.Minor}: server supports 3.0 to 3.0")
                { IsFatal = true };
            }

            if (OverCapacity)
            {
                throw new PgWireException(ErrorCode.PgWireTooManyConnections, SqlState.TooManyConnections, PgWireServer.TooManyClients) { IsFatal = true };
            }

            if (Options.RequireTls && !tls)
            {
                throw new PgWireException(ErrorCode.PgWireAuthenticationFailed, SqlState.InvalidAuthorizationSpecification,
                    "this server accepts only TLS connections, and this one is not encrypted. Help: connect with sslmode=require (Npgsql: SSL Mode=Require).")
                { IsFatal = true };
            }

            await AcceptStartupAsync(startup, tls, cancellationToken).ConfigureAwait(false);
            return true;
        }
    }

    private async Task UpgradeToTlsAsync(CancellationToken cancellationToken)
    {
        // The client waits for our 'S' before starting the handshake, so nothing is buffered in the pipe yet.
        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions { ServerCertificate = Options.ServerCertificate, EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13 },
                cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException error)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new System.IO.IOException("The TLS handshake failed.", error);
        }

        _stream = ssl;
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        _output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    private async Task AcceptStartupAsync(StartupMessage startup, bool tls, CancellationToken cancellationToken)
    {
        var unrecognized = new List<string>();
        foreach (string name in startup.Parameters.Keys)
        {
            if (name.StartsWith("_pq_.", StringComparison.Ordinal))
            {
                unrecognized.Add(name);
            }
        }

        if (startup.Minor > 0 || unrecognized.Count > 0)
        {
            NegotiateProtocolVersion.Write(_writer, (3 << 16) | 0, unrecognized);
        }

        if (!startup.Parameters.TryGetValue("user", out string? user) || user.Length == 0)
        {
            throw new PgWireException(ErrorCode.PgWireAuthenticationFailed, SqlState.InvalidAuthorizationSpecification, "no PostgreSQL user name specified in startup packet") { IsFatal = true };
        }

        string database = startup.Parameters.TryGetValue("database", out string? named) && named.Length > 0 ? named : user;
        _database = database;
        await AuthenticateAsync(user, cancellationToken).ConfigureAwait(false);
        _authenticated = true;
        if (await _server.AdmitSessionAsync(this, user, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            _server.LogRefusal(Address, refusal);
            throw new PgWireException(ErrorCode.PgWireTooManyConnections, SqlState.TooManyConnections, refusal) { IsFatal = true };
        }

        if (Options.ServerCertificate is not null && !tls)
        {
            _server.NotePlainConnection(this, user);
        }

        string applicationName = startup.Parameters.GetValueOrDefault("application_name", string.Empty);
        var startupInfo = new PgSessionStartup(user, database, applicationName, RemoteEndPoint, startup.Parameters);
        _startup = startupInfo;
        try
        {
            _session = await Options.SessionFactory.OpenSessionAsync(startupInfo, cancellationToken).ConfigureAwait(false);
        }
        catch (PgWireException error)
        {
            throw new PgWireException(error.Code, error.SqlState, error.Message, error) { IsFatal = true };
        }

        var overrides = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["server_version"] = Options.ServerVersion,
            ["server_version_num"] = ServerVersionNumber(Options.ServerVersion),
            ["statement_timeout"] = Options.StatementTimeout is { } limit ? ((long)limit.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture) : "0",
            ["session_authorization"] = user,
            ["is_superuser"] = Options.IsSuperuser ? "on" : "off",
        };
        if (_session.Environment is { } environment)
        {
            _connectEnvironment = environment;
            overrides[LakehouseSessionFactory.EnvironmentSetting] = environment;
        }

        _settings = new SessionSettings(overrides);
        try
        {
            foreach ((string name, string value) in startup.Parameters)
            {
                if (name is "user" or "database" or "replication" or "options" or LakehouseSessionFactory.EnvironmentSetting || name.StartsWith("_pq_.", StringComparison.Ordinal))
                {
                    continue;
                }

                _settings.Set(name, value, local: false);
            }

            await ApplySettingsToDuckDbAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PgWireException error)
        {
            throw new PgWireException(error.Code, error.SqlState, error.Message, error) { IsFatal = true };
        }

        _settings.Changed.Clear();
        foreach ((string name, string value) in _settings.ReportedValues())
        {
            ParameterStatus.Write(_writer, name, value);
        }

        BackendKeyData.Write(_writer, ProcessId, SecretKey);
        ReadyForQuery.Write(_writer, 'I');
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        LogMessages.SessionStarted(_server.Logger, ProcessId, user, database);
    }

    private async Task AuthenticateAsync(string user, CancellationToken cancellationToken)
    {
        if (Options.TrustLoopback && _socket.RemoteEndPoint is IPEndPoint { Address: var address } && IPAddress.IsLoopback(address))
        {
            Authentication.WriteOk(_writer);
            return;
        }

        string? verifier = Options.UserStore is null ? null : await Options.UserStore.FindScramVerifierAsync(user, cancellationToken).ConfigureAwait(false);
        ScramExchange exchange = ScramExchange.For(user, verifier);
        Authentication.WriteSasl(_writer, ScramExchange.Mechanism);
        byte[] initial = await ReadPasswordMessageAsync(cancellationToken).ConfigureAwait(false);
        SaslInitialResponse first = SaslInitialResponse.Read(initial);
        if (first.Mechanism != ScramExchange.Mechanism)
        {
            throw new PgWireException(ErrorCode.PgWireAuthenticationFailed, SqlState.ProtocolViolation, "client selected an invalid SASL authentication mechanism") { IsFatal = true };
        }

        string serverFirst = exchange.HandleClientFirst(first.Data ?? string.Empty)
            ?? throw new PgWireException(ErrorCode.PgWireAuthenticationFailed, SqlState.ProtocolViolation, "malformed SCRAM message") { IsFatal = true };
        Authentication.WriteSaslContinue(_writer, serverFirst);
        byte[] final = await ReadPasswordMessageAsync(cancellationToken).ConfigureAwait(false);

        // The check takes its places before the proof is looked at, so guesses sent in parallel wait for each other.
        LoginAttempt attempt;
        try
        {
            attempt = await _server.Logins.BeginAsync(LoginGuard.SqlSurface, user, RemoteEndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException error) when (error.Code == ErrorCode.LoginThrottled)
        {
            throw new PgWireException(ErrorCode.LoginThrottled, SqlState.TooManyConnections, error.Message, error) { IsFatal = true };
        }

        using (attempt)
        {
            string? serverFinal = exchange.HandleClientFinal(SaslInitialResponse.ReadResponse(final));
            if (serverFinal is null)
            {
                string message = $"password authentication failed for user \"{user}\"";
                // The answer waits as long as the failure holds its places; the server's stop ends the wait, the
                // client's time to log in does not (its places are held either way).
                await attempt.FailAsync(message, _aborted.Token).ConfigureAwait(false);
                throw new PgWireException(ErrorCode.PgWireAuthenticationFailed, SqlState.InvalidPassword, message) { IsFatal = true };
            }

            attempt.Succeeded();
            Authentication.WriteSaslFinal(_writer, serverFinal);
            Authentication.WriteOk(_writer);
        }
    }

    private async Task<byte[]> ReadPasswordMessageAsync(CancellationToken cancellationToken)
    {
        (byte Type, byte[] Body)? message = await ReadMessageAsync(startup: false, cancellationToken).ConfigureAwait(false);
        if (message is not { } current)
        {
            // The client hung up during authentication (psql does so to prompt for a password).
            throw new System.IO.IOException("The client closed the connection during authentication.");
        }

        if (current.Type != (byte)'p')
        {
            throw MessageFramer.Violation($"expected a password message, got message type '{(char)current.Type}'");
        }

        return current.Body;
    }

    /// <summary><c>15.0 (Medallion)</c> becomes <c>150000</c>, as PostgreSQL's server_version_num.</summary>
    private static string ServerVersionNumber(string version)
    {
        string[] parts = version.Split(' ')[0].Split('.');
        int major = parts.Length > 0 && int.TryParse(parts[0], out int m) ? m : 15;
        int minor = parts.Length > 1 && int.TryParse(parts[1], out int n) ? n : 0;
        return ((major * 10000) + minor).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
