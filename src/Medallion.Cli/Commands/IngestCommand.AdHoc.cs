using System;
using System.Linq;
using System.CommandLine;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Cli.Output;
using Medallion.Ingestion;
using Medallion.Ingestion.Debezium;
using Medallion.Ingestion.Http;
using Medallion.Pipelines;
using Medallion.Platform;
using Microsoft.Extensions.Logging;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion ingest --source https://... --into bronze.x</c> (one JSON API, read once) and
/// <c>medallion ingest --listen 127.0.0.1:8089 --into bronze.x</c> (Debezium events pushed over HTTP until Ctrl+C):
/// no source file needed. Bronze goes to the project's storage when the folder has a project file, else to
/// <c>warehouse/</c> under it (the default storage of a new project).
/// <c>medallion ingest --source postgres://user@host/db --table public.orders [--mode full|incremental|cdc]
/// [--cursor updated_at] [--into bronze.orders] [--once]</c> (or <c>mysql://</c>) reads one database table like a
/// <c>sources/*.yml</c> entry; in a folder without a project it first writes a <c>medallion.yml</c>, so the load
/// lands in a project with a catalog. A password written in the URL works but draws a warning; it is never printed
/// or written anywhere.
/// </summary>
internal static partial class IngestCommand
{
    private sealed record AdHocOptions(
        Option<string> Source, Option<string> Listen, Option<string> Into, Option<string> Records, Option<string> Name, Option<string> TokenEnv,
        Option<string> Table, Option<string> Mode, Option<string[]> Cursor, Option<bool> Once);

    private static AdHocOptions AddAdHocOptions(Command command)
    {
        var options = new AdHocOptions(
            new Option<string>("--source") { Description = "Read one JSON API (an http:// or https:// URL) into --into, without a source file. Settings such as auth and paging need a sources/*.yml entry.", HelpName = "url" },
            new Option<string>("--listen") { Description = "Take Debezium change events POSTed to http://<address>/ (one event or a JSON array per request) into --into until Ctrl+C; each request is committed before it is answered.", HelpName = "host:port" },
            new Option<string>("--into") { Description = "The bronze table for --source or --listen, e.g. bronze.orders.", HelpName = "table" },
            new Option<string>("--records") { Description = "With --source: where the records are in a response, e.g. data.items (default: the body is the array).", HelpName = "path" },
            new Option<string>("--name") { Description = "With --source or --listen: the source's name, under which bronze keeps its position (default: the table's name).", HelpName = "name" },
            new Option<string>("--token-env") { Description = "With --listen: require 'Authorization: Bearer <token>' on every request, the token read from this environment variable (not the command line, where other users can see it). Needed to listen on an address other than loopback.", HelpName = "NAME" },
            new Option<string>("--table") { Description = "With a database --source: the table to read, e.g. public.orders (MySQL: orders).", HelpName = "table" },
            new Option<string>("--mode") { Description = "With a database --source: full (default), incremental (needs --cursor) or cdc (PostgreSQL logical replication).", HelpName = "full|incremental|cdc" },
            new Option<string[]>("--cursor") { Description = "With --mode incremental: the cursor columns, most significant first (repeat or separate with commas).", HelpName = "column", AllowMultipleArgumentsPerToken = true },
            new Option<bool>("--once") { Description = "One pass, then exit (the default; --continuous keeps going instead)." });
        command.Options.Add(options.Source);
        command.Options.Add(options.Listen);
        command.Options.Add(options.Into);
        command.Options.Add(options.Records);
        command.Options.Add(options.Name);
        command.Options.Add(options.TokenEnv);
        command.Options.Add(options.Table);
        command.Options.Add(options.Mode);
        command.Options.Add(options.Cursor);
        command.Options.Add(options.Once);
        return options;
    }

    /// <summary>Runs --source or --listen; null when neither was given (the project's sources run instead).</summary>
    private static async Task<int?> RunAdHocAsync(ParseResult parsed, AdHocOptions options, string directory, TextWriter output, ILoggerFactory log, CancellationToken cancellationToken)
    {
        string? url = parsed.GetValue(options.Source);
        string? listen = parsed.GetValue(options.Listen);
        if (url is null && listen is null)
        {
            return null;
        }

        if (url is not null && listen is not null)
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, "--source and --listen cannot be combined; run them as two commands.");
        }

        string? tokenEnv = parsed.GetValue(options.TokenEnv);
        string? token = null;
        if (tokenEnv is not null)
        {
            if (listen is null)
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, "--token-env goes with --listen; an API source's auth goes in its sources/*.yml entry.");
            }

            // The same reference a sources/*.yml entry writes as 'token: ${NAME}', resolved (and reported) by the endpoint.
            token = "${" + tokenEnv + "}";
        }

        if (parsed.GetValue(options.Into) is not { } intoText || !TableName.TryParse(intoText, out TableName into))
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, $"{(url is not null ? "--source" : "--listen")} needs --into <namespace.table>, e.g. --into bronze.orders.");
        }

        Uri? address = null;
        if (listen is not null && !DebeziumEndpoint.TryParseListen(listen, out address))
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, $"--listen takes host:port, e.g. 127.0.0.1:8089, but was '{listen}'.");
        }

        string location = await SourceIngestion.AdHocTableLocationAsync(directory, into, cancellationToken).ConfigureAwait(false);
        string name = parsed.GetValue(options.Name) ?? into.Name.ToLowerInvariant();
        if (url is null)
        {
            using EndpointIngestion endpoint = EndpointIngestion.Start(address!, token, name, location, log);
            return await ListenAsync(endpoint, token is not null, into, output, cancellationToken).ConfigureAwait(false);
        }

        return await ReadApiAsync(url, parsed.GetValue(options.Records), name, into, location, output, log, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Turns a database <c>--source</c> URL and its options into the source to run, in the folder's project (written
    /// first when the folder has none).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CommandLineInvalid"/> when the options do not go with a database URL.</exception>
    private static async Task<(ProjectEnvironment Environment, DatabaseSourceDefinition Source)> PrepareDatabaseUrlAsync(
        ParseResult parsed, AdHocOptions options, string url, string directory, TextWriter output, TextWriter error, ILoggerFactory log, CancellationToken cancellationToken)
    {
        if (parsed.GetValue(options.Listen) is not null || parsed.GetValue(options.Records) is not null || parsed.GetValue(options.TokenEnv) is not null)
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, "--listen, --records and --token-env do not go with a database --source.");
        }

        if (parsed.GetValue(options.Table) is not { Length: > 0 } table)
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, "a database --source needs --table <table>, the table to read, e.g. --table public.orders.");
        }

        TableName? into = null;
        if (parsed.GetValue(options.Into) is { } intoText)
        {
            if (!TableName.TryParse(intoText, out TableName parsedInto))
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, $"--into takes <namespace.table>, e.g. --into bronze.orders, but was '{intoText}'.");
            }

            into = parsedInto;
        }

        string[] cursor = (parsed.GetValue(options.Cursor) ?? []).SelectMany(c => c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
        // Parsed before anything is written, so a wrong URL or mode leaves the folder as it was.
        DatabaseUrlSource source = DatabaseSourceUrl.Parse(url, table, parsed.GetValue(options.Mode), cursor, into, parsed.GetValue(options.Name));
        if (source.PasswordInUrl)
        {
            await error.WriteLineAsync("warning: the password is written in the --source URL, where shell history and process lists keep it; write it as ${NAME} in single quotes to read it from an environment variable instead, e.g. 'postgres://user:${PGPASSWORD}@host/db'.").ConfigureAwait(false);
        }

        UrlSourceProject prepared = await SourceIngestion.PrepareUrlSourceAsync(directory, source, new ProjectEnvironmentOptions { Logs = log }, cancellationToken).ConfigureAwait(false);
        if (prepared.CreatedSettingsFile is { } file)
        {
            await output.WriteLineAsync($"Created {file} (storage warehouse/, catalog .medallion/catalog.db); the connection is not written into it.").ConfigureAwait(false);
        }

        DatabaseTableDefinition target = prepared.Source.Tables[0];
        await output.WriteLineAsync($"Reading {target.Table} of {source.DisplayUrl} ({target.Mode.ToString().ToLowerInvariant()}) into {target.Target}.").ConfigureAwait(false);
        return (prepared.Environment, prepared.Source);
    }

    /// <summary>Refuses the database-only options without a database --source.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CommandLineInvalid"/> naming the first such option given.</exception>
    private static void RefuseDatabaseUrlOptions(ParseResult parsed, AdHocOptions options)
    {
        string? given = parsed.GetValue(options.Table) is not null ? "--table"
            : parsed.GetValue(options.Mode) is not null ? "--mode"
            : parsed.GetValue(options.Cursor) is { Length: > 0 } ? "--cursor"
            : null;
        if (given is not null)
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, $"{given} goes with a database --source (postgres://... or mysql://...); the project's sources take their settings from sources/*.yml.");
        }
    }

    /// <summary>Runs a project's Debezium endpoint source (selected with --select) until Ctrl+C.</summary>
    private static async Task<int> ListenAsync(MedallionProject project, EndpointSourceDefinition source, TextWriter output, ILoggerFactory log, CancellationToken cancellationToken)
    {
        using EndpointIngestion endpoint = EndpointIngestion.Start(project, source, log);
        return await ListenAsync(endpoint, source.BearerToken is not null, source.Target, output, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> ReadApiAsync(string url, string? records, string name, TableName into, string location, TextWriter output, ILoggerFactory log, CancellationToken cancellationToken)
    {
        if (!url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw new MedallionException(ErrorCode.CommandLineInvalid, $"--source takes a database URL (postgres://user@host:5432/db, mysql://...) or an http:// or https:// URL, but was '{url}'.");
        }

        (IngestionResult result, long? committed) = await SourceIngestion.ReadApiOnceAsync(
            new HttpApiSourceOptions { SourceName = name, Url = url, RecordsPath = records ?? string.Empty }, location, log, cancellationToken).ConfigureAwait(false);
        string version = committed is long v ? $"version {v}" : "nothing new";
        await output.WriteLineAsync($"{name}: {url} -> {into}: {result.Rows} rows in {result.Batches} batches, {version} ({location})").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> ListenAsync(EndpointIngestion endpoint, bool withToken, TableName into, TextWriter output, CancellationToken cancellationToken)
    {
        string auth = withToken ? " with 'Authorization: Bearer <token>'" : string.Empty;
        await output.WriteLineAsync($"Listening on {endpoint.Address} for Debezium events into {into} ({endpoint.TablePath}); POST one event or a JSON array to /{auth}, Ctrl+C stops.").ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        await endpoint.RunAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"Stopped; {endpoint.EventsCommitted} events committed, every answered request is durable.").ConfigureAwait(false);
        return 0;
    }
}
