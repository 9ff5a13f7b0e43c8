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
    /// <summary>Runs the startup phase; returns false when the connection is done (a CancelRequest, or the client left).</summary>
    private async Task<bool> StartupAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.AuthenticationTimeout);
        CancellationToken token = timeout.Token;
        bool tls = false;
        while (true)
        {
            (byte Type, byte[] Body)? packet = await ReadMessageAsync(startup: true, token).ConfigureAwait(false);
            if (packet is not { } current)
            {
                return false;
            }

            int code = BinaryPrimitives.ReadInt32BigEndian(current.Body);
            switch (code)
            {
                case StartupMessage.SslRequestCode when Options.ServerCertificate is not null && !tls:
                    await WriteRawAsync((byte)'S', token).ConfigureAwait(false);
                    await UpgradeToTlsAsync(token).ConfigureAwait(false);
                    tls = true;
                    continue;
                case StartupMessage.SslRequestCode or StartupMessage.GssEncRequestCode:
                    await WriteRawAsync((byte)'N', token).ConfigureAwait(false);
                    continue;
                case StartupMessage.CancelRequestCode:
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

            await AcceptStartupAsync(startup, token).ConfigureAwait(false);
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

    private async Task AcceptStartupAsync(StartupMessage startup, CancellationToken cancellationToken)
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

        string applicationName = startup.Parameters.GetValueOrDefault("application_name", string.Empty);
        var startupInfo = new PgSessionStartup(user, database, applicationName, _socket.RemoteEndPoint, startup.Parameters);
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
        _settings = new SessionSettings(overrides);
        try
        {
            foreach ((string name, string value) in startup.Parameters)
            {
                if (name is "user" or "database" or "replication" or "options" || name.StartsWith("_pq_.", StringComparison.Ordinal))
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
        string? serverFinal = exchange.HandleClientFinal(SaslInitialResponse.ReadResponse(final));
        if (serverFinal is null)
        {
            LogMessages.AuthenticationFailed(_server.Logger, user, Describe(_socket.RemoteEndPoint));
            throw new PgWireException(ErrorCode.PgWireAuthenticationFailed, SqlState.InvalidPassword, $"password authentication failed for user \"{user}\"") { IsFatal = true };
        }

        Authentication.WriteSaslFinal(_writer, serverFinal);
        Authentication.WriteOk(_writer);
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
