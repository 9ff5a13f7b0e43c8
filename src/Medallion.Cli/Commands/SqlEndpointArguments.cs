using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Server;

namespace Medallion.Cli.Commands;

/// <summary>
/// The options of the SQL endpoint that <c>medallion serve</c> and <c>medallion server</c> share, and their checks:
/// each mistake is told with the flag that fixes it before anything listens.
/// </summary>
internal sealed class SqlEndpointArguments
{
    private readonly Option<int> _port = new("--pg-port") { Description = "TCP port of the PostgreSQL endpoint (0 picks a free one).", DefaultValueFactory = _ => 5433 };
    private readonly Option<string> _host = new("--host") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
    private readonly Option<FileInfo?> _users = new("--users") { Description = "File of 'name:SCRAM-SHA-256$...' lines: who may log in, instead of the project catalog's users." };
    private readonly Option<bool> _trust = new("--trust-loopback") { Description = "Let clients on this machine (loopback) in without a password, as any user they name: every local process then reads all that any user can, unmasked data included (it warns at start)." };
    private readonly Option<FileInfo?> _certificate = new("--tls-cert") { Description = "PEM certificate for TLS (with --tls-key); without it clients connect unencrypted." };
    private readonly Option<FileInfo?> _key = new("--tls-key") { Description = "PEM private key of --tls-cert." };
    private readonly Option<bool> _requireTls = new("--require-tls") { Description = "Refuse clients that do not switch to TLS (SQLSTATE 28000); needs --tls-cert." };
    private readonly Option<int> _maxConnections = new("--max-connections") { Description = "Most clients connected at once, counting those still logging in; one more is refused with SQLSTATE 53300.", DefaultValueFactory = _ => 100 };
    private readonly Option<int?> _maxSessionsPerUser = new("--max-sessions-per-user") { Description = "Most sessions one user may have at once; one more is refused with SQLSTATE 53300 naming the cap (default: half of --max-connections).", HelpName = "count" };
    private readonly Option<int> _maxStartupsPerAddress = new("--max-logins-per-address") { Description = "Most clients from one address logging in at once; more wait their turn, and a flood beyond that is refused with SQLSTATE 53300 and its address logged.", DefaultValueFactory = _ => 10, HelpName = "count" };
    private readonly Option<int?> _reservedConnections = new("--reserved-connections") { Description = "Places of --max-connections kept for admins, so they get in when other users fill the rest (default: 3, fewer when --max-connections is small).", HelpName = "count" };
    private readonly Option<string?> _memoryLimit = new("--memory-limit") { Description = "Memory all running queries share, e.g. 4GB (default: 80% of RAM); DuckDB has no per-query limit, so a query that finds too little left fails alone (SQLSTATE 53200).", HelpName = "size" };
    private readonly Option<string?> _statementTimeout = new("--statement-timeout") { Description = "Cancel statements running longer than this, e.g. 30s, 5min, 500ms (default: none).", HelpName = "duration" };

    /// <summary>The options, to add to a command.</summary>
    public IEnumerable<Option> Options => [_port, _host, _users, _trust, _certificate, _key, _requireTls, _maxConnections, _maxSessionsPerUser, _maxStartupsPerAddress, _reservedConnections, _memoryLimit, _statementTimeout];

    /// <summary>The endpoint's settings from a parsed command line.</summary>
    /// <param name="parsed">The parsed command line.</param>
    /// <param name="project">The project served, or null outside a project.</param>
    /// <param name="logins">
    /// The catalog whose users may log in, checked to have one unless <c>--users</c> or <c>--trust-loopback</c> says who
    /// may; null when the caller sees to it (<c>medallion server</c> adds the first admin of a project without users).
    /// </param>
    /// <param name="databaseFile">Outside a project, the DuckDB file to serve.</param>
    /// <param name="error">Where a warning is told (serving off this machine without TLS).</param>
    /// <param name="cancellationToken">Cancels reading the catalog.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CommandLineInvalid"/> naming the option that is wrong.</exception>
    public async Task<SqlEndpointOptions> ResolveAsync(ParseResult parsed, MedallionProject? project, CatalogStore? logins, FileInfo? databaseFile, TextWriter error, CancellationToken cancellationToken)
    {
        string host = parsed.GetRequiredValue(_host);
        if (!IPAddress.TryParse(host, out IPAddress? address))
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, $"--host '{host}' is not an IP address. Help: use 127.0.0.1 for this machine or 0.0.0.0 for every interface.");
        }

        FileInfo? certificate = parsed.GetValue(_certificate);
        FileInfo? key = parsed.GetValue(_key);
        if ((certificate is null) != (key is null))
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, "--tls-cert and --tls-key go together.");
        }

        bool requireTls = parsed.GetValue(_requireTls);
        if (requireTls && certificate is null)
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, "--require-tls needs a certificate to offer TLS with. Help: pass --tls-cert <file.pem> --tls-key <key.pem>.");
        }

        int maxConnections = parsed.GetValue(_maxConnections);
        if (maxConnections < 1)
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, $"--max-connections {maxConnections} lets nobody in. Help: give a number of at least 1 (default 100).");
        }

        int maxSessionsPerUser = parsed.GetValue(_maxSessionsPerUser) ?? Math.Max(1, maxConnections / 2);
        if (maxSessionsPerUser < 1)
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, $"--max-sessions-per-user {maxSessionsPerUser} lets nobody in. Help: give a number of at least 1 (default: half of --max-connections).");
        }

        int maxStartupsPerAddress = parsed.GetValue(_maxStartupsPerAddress);
        if (maxStartupsPerAddress < 1)
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, $"--max-logins-per-address {maxStartupsPerAddress} lets nobody in. Help: give a number of at least 1 (default 10).");
        }

        int reserved = parsed.GetValue(_reservedConnections) ?? Math.Min(3, (maxConnections - 1) / 4);
        if (reserved < 0 || reserved >= maxConnections)
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, $"--reserved-connections {reserved} must be at least 0 and below --max-connections ({maxConnections}). Help: keep a few places for admins, e.g. 3.");
        }

        TimeSpan? timeout = null;
        if (parsed.GetValue(_statementTimeout) is { } text)
        {
            if (!TryParseDuration(text, out TimeSpan duration))
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, $"--statement-timeout '{text}' is not a duration. Help: write it like 30s, 5min, 500ms or 1h.");
            }

            timeout = duration;
        }

        string projectDirectory = project?.Directory ?? Environment.CurrentDirectory;
        if (project is not null && databaseFile is not null)
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, $"--database serves a DuckDB file outside a project, but {projectDirectory} is a project. Help: drop --database to serve the project's tables.");
        }

        FileInfo? users = parsed.GetValue(_users);
        bool trust = parsed.GetValue(_trust);
        if (project is not null && logins is not null && users is null && !trust)
        {
            if ((await logins.Identity.ListUsersAsync(cancellationToken).ConfigureAwait(false)).Count == 0)
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, $"the project {project.Name} has no users, so nobody could log in. Help: medallion user add <name> --project {projectDirectory} (or pass --trust-loopback).");
            }
        }

        if (project is null && users is null && !trust)
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, "nobody could log in. Help: serve a project with users (medallion user add), pass --users <file> (lines 'name:SCRAM-SHA-256$...') or --trust-loopback.");
        }

        if (!IPAddress.IsLoopback(address) && certificate is null)
        {
            // SCRAM keeps passwords off the wire, but every query and result would cross the network in clear.
            await error.WriteLineAsync($"warning: serving on {host} without TLS: anyone on the network can read the queries and results. Help: pass --tls-cert and --tls-key (and --require-tls to refuse unencrypted clients), or serve on 127.0.0.1.").ConfigureAwait(false);
        }

        return new SqlEndpointOptions
        {
            Address = address,
            Port = parsed.GetValue(_port),
            UsersFile = users?.FullName,
            DatabaseFile = databaseFile?.FullName,
            TrustLoopback = trust,
            Certificate = certificate is null ? null : X509Certificate2.CreateFromPemFile(certificate.FullName, key!.FullName),
            RequireTls = requireTls,
            MaxConnections = maxConnections,
            MaxSessionsPerUser = maxSessionsPerUser,
            MaxStartupsPerAddress = maxStartupsPerAddress,
            ReservedConnections = reserved,
            MemoryLimit = parsed.GetValue(_memoryLimit),
            StatementTimeout = timeout,
        };
    }

    /// <summary>
    /// Makes a value of <paramref name="option"/> that is not a duration of at least <paramref name="minimum"/> a parse
    /// error (exit 2, as every other malformed option), naming the option and showing <paramref name="examples"/>.
    /// </summary>
    internal static void AcceptOnlyDurations(Option<string> option, string examples, TimeSpan minimum)
    {
        option.Validators.Add(result =>
        {
            string text = result.GetValueOrDefault<string>() ?? string.Empty;
            if (!TryParseDuration(text, out TimeSpan duration) || duration < minimum)
            {
                string atLeast = minimum > TimeSpan.Zero ? $" of at least {minimum.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s" : string.Empty;
                result.AddError($"{option.Name} '{text}' is not a duration{atLeast}. Help: write it like {examples}.");
            }
        });
    }

    /// <summary>The value of a duration option that <see cref="AcceptOnlyDurations"/> checked at parse time.</summary>
    internal static TimeSpan ReadDuration(ParseResult parsed, Option<string> option)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        string text = parsed.GetRequiredValue(option);
        return TryParseDuration(text, out TimeSpan duration)
            ? duration
            : throw new InvalidOperationException($"{option.Name} '{text}' was not checked by the parser.");
    }

    /// <summary>A positive <see cref="DurationText"/>; a bare number is milliseconds, as PostgreSQL's statement_timeout.</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        string trimmed = text.Trim();
        if (double.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _))
        {
            trimmed += "ms";
        }

        return DurationText.TryParse(trimmed, out duration) && duration > TimeSpan.Zero;
    }
}
