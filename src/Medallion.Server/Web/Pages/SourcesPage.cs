using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta.Snapshots;
using Medallion.Ingestion;
using Medallion.Pipelines;
using Medallion.Platform;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Medallion.Server.Web.Pages;

/// <summary>
/// <c>/sources</c>: one row per ingestion source (a database source has one per table): its kind, mode, target table,
/// last pass and its outcome, the position it reached (LSN, cursor, files loaded), the CDC slot's lag, the rows of the
/// last pass and the last error. Positions are read from the bronze tables themselves, where they commit with the rows.
/// </summary>
internal static class SourcesPage
{
    private const string FilesDomain = "medallion.source.files";

    /// <summary>How far back the last error is looked for: a source that failed long ago and has passed since has nothing to explain.</summary>
    private const int ErrorHistory = 10;

    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/sources", RenderAsync);

    /// <summary>One row of the page, as the project defines it.</summary>
    /// <param name="Name">The source's name.</param>
    /// <param name="Kind">file, database, api, kafka or endpoint.</param>
    /// <param name="Mode">full, incremental or cdc.</param>
    /// <param name="Target">The bronze table.</param>
    /// <param name="Reads">What it reads, never with credentials: a glob, a connection's host and database, a URL's host and path.</param>
    private sealed record SourceRow(string Name, string Kind, string Mode, TableName Target, string Reads);

    private static async Task<IResult> RenderAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var page = new PageContext(http);
        ServerContext server = page.Server;
        Platform.Access.ReaderView access = await ReaderAccess.ForAsync(server, page.UserName, cancellationToken).ConfigureAwait(false);
        List<SourceRow> rows = Rows(server.Project).Where(r => access.CanRead(r.Target)).ToList();
        Dictionary<string, SourceRunRecord> passes = (await server.Catalog.Runs.GetSourceStatesAsync(cancellationToken).ConfigureAwait(false))
            .GroupBy(s => Key(s.Latest.Target))
            .ToDictionary(g => g.Key, g => g.MaxBy(s => s.Latest.Pass)!.Latest, StringComparer.Ordinal);

        Dictionary<string, TableSummary> tables;
        Lakehouse lakehouse = await server.OpenLakehouseAsync(null, cancellationToken).ConfigureAwait(false);
        await using (lakehouse.ConfigureAwait(false))
        {
            tables = (await lakehouse.ListTablesAsync(null, cancellationToken).ConfigureAwait(false))
                .GroupBy(t => Key(t.Name)).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        }

        var html = new HtmlBuilder();
        if (rows.Count == 0)
        {
            html.Add($"<p class=\"muted\">{page.T("No source to show.")}</p>");
            return page.Render(page.T("Sources"), "Sources", html.ToMarkup());
        }

        html.Add($"""
            <table class="sources"><thead><tr><th>{page.T("Source")}</th><th>{page.T("Kind")}</th><th>{page.T("Mode")}</th><th>{page.T("Table")}</th><th>{page.T("Last pass")}</th><th>{page.T("Status")}</th><th>{page.T("Position")}</th><th>{page.T("Slot lag")}</th><th>{page.T("Rows")}</th><th>{page.T("Last error")}</th></tr></thead><tbody>
            """);
        foreach (SourceRow row in rows)
        {
            List<ModelRunRecord> history = await server.Catalog.Runs.GetModelRunHistoryAsync(row.Target, ErrorHistory, cancellationToken).ConfigureAwait(false);
            ModelRunRecord? last = history.FirstOrDefault();
            RunRecord? run = last is null ? null : await server.Catalog.Runs.GetRunAsync(last.RunId, cancellationToken).ConfigureAwait(false);
            SourceRunRecord? pass = passes.GetValueOrDefault(Key(row.Target));
            DateTimeOffset? ranAt = run?.FinishedAt ?? run?.StartedAt;
            // A continuous ingestion records its passes without a step of its own, so the newer of the two is the last pass.
            bool passIsNewer = pass is not null && (ranAt is null || pass.RecordedAt > ranAt);
            DateTimeOffset? lastAt = passIsNewer ? pass!.RecordedAt : ranAt;
            // A load's error may quote values of the rows it read.
            string? error = access.ShowMessage(history.FirstOrDefault(m => m.Error is not null)?.Error, [row.Target]);
            string? position = pass?.Position
                ?? (tables.TryGetValue(Key(row.Target), out TableSummary? table) && table.Built ? await PositionAsync(page, row, table, cancellationToken).ConfigureAwait(false) : null);
            html.Add($"""
                <tr data-source="{row.Name}" data-table="{row.Target.ToString()}">
                <td><strong>{row.Name}</strong><div class="muted small">{row.Reads}</div></td>
                <td>{page.T(row.Kind)}</td><td>{page.T(row.Mode)}</td>
                <td><span class="layer layer-{row.Target.Namespace}">{row.Target.Namespace}</span> <a href="{PageContext.TableUrl(row.Target)}">{row.Target.ToString()}</a></td>
                <td>{(lastAt is null ? HtmlBuilder.Of($"<span class=\"muted\">{page.T("never ran")}</span>") : page.Time(lastAt))}</td>
                <td>{Outcome(page, passIsNewer, last, run)}</td>
                <td class="position"><code>{position ?? "–"}</code></td>
                <td class="num">{(pass?.SlotLagBytes is long lag ? page.Number(lag) + " B" : "–")}</td>
                <td class="num">{page.Number(passIsNewer ? pass!.Rows : last?.RowsWritten)}</td>
                <td class="error">{error}</td>
                </tr>
                """);
        }

        html.Add(new Markup("</tbody></table>"));
        return page.Render(page.T("Sources"), "Sources", html.ToMarkup());
    }

    private static Markup Outcome(PageContext page, bool passIsNewer, ModelRunRecord? last, RunRecord? run) =>
        passIsNewer ? page.State(RunStatus.Succeeded)
        : last is null ? Markup.Empty
        : run is null ? page.State(last.Status)
        : HtmlBuilder.Of($"<a href=\"{PageContext.RunUrl(run.Id)}\">{page.State(last.Status)}</a>");

    /// <summary>Every source of the project, in the order its files define them.</summary>
    private static IEnumerable<SourceRow> Rows(MedallionProject project)
    {
        foreach (SourceDefinition source in project.Sources)
        {
            // A file source loads each file once, so it reads incrementally whatever its format.
            yield return new SourceRow(source.Name, "file", "incremental", source.Target, source.Path);
        }

        foreach (DatabaseSourceDefinition source in project.DatabaseSources)
        {
            foreach (DatabaseTableDefinition table in source.Tables)
            {
                yield return new SourceRow(source.Name, "database", table.Mode.ToString().ToLowerInvariant(), table.Target, table.Table + " · " + Connection(source.Connection));
            }
        }

        foreach (ApiSourceDefinition source in project.ApiSources)
        {
            yield return new SourceRow(source.Name, "api", source.Options.IsIncremental ? "incremental" : "full", source.Target, Address(source.Options.Url));
        }

        foreach (KafkaSourceDefinition source in project.KafkaSources)
        {
            yield return new SourceRow(source.Name, "kafka", "incremental", source.Target, string.Join(", ", source.Topics) + " · " + source.Connection.Name);
        }

        foreach (EndpointSourceDefinition source in project.EndpointSources)
        {
            yield return new SourceRow(source.Name, "endpoint", "cdc", source.Target, Address(source.Address.ToString()));
        }
    }

    /// <summary>A connection as people recognise it: its name, host and database; never its user or password, which a URL setting may carry too.</summary>
    internal static string Connection(ConnectionDefinition connection)
    {
        IReadOnlyDictionary<string, string> settings = connection.Settings;
        string? host = settings.GetValueOrDefault("host");
        string? database = settings.GetValueOrDefault("database") ?? settings.GetValueOrDefault("dbname");
        if (host is null && (settings.GetValueOrDefault("url") ?? settings.GetValueOrDefault("connection_string")) is { } url
            && Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) && !string.IsNullOrEmpty(uri.Host))
        {
            host = uri.Host;
            database ??= uri.AbsolutePath.Trim('/') is { Length: > 0 } path ? path : null;
        }

        string where = string.Join("/", new[] { host, database }.Where(p => !string.IsNullOrEmpty(p)));
        return where.Length == 0 ? connection.Name : $"{connection.Name} ({where})";
    }

    /// <summary>A URL without what may be secret: no user, password, query (API keys travel there) or fragment.</summary>
    internal static string Address(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) && !string.IsNullOrEmpty(uri.Host)
            ? uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.Unescaped)
            : "–";

    /// <summary>
    /// The position committed with the bronze table's newest version: the files a file source loaded, or the LSN or
    /// cursor value a database or API source resumes after. Null when the table holds none or it cannot be read.
    /// </summary>
    private static async Task<string?> PositionAsync(PageContext page, SourceRow row, TableSummary table, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, string> domains;
        try
        {
            TableSession session = TableSession.Open(table.Location, page.Server.Project.Stores);
            await using (session.ConfigureAwait(false))
            {
                Snapshot snapshot = await session.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                domains = snapshot.DomainMetadata;
            }
        }
        catch (MedallionException)
        {
            // A table that cannot be read now still has its row: the page is an overview, not the place to fail.
            return null;
        }

        if (row.Kind == "file")
        {
            return domains.TryGetValue(FilesDomain, out string? files) && FileCount(files) is int count ? page.T("files: {0}", count) : null;
        }

        if (!domains.TryGetValue(BronzeSink.DomainPrefix + row.Name, out string? configuration))
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(configuration);
            SourcePosition position = SourcePosition.Parse(document.RootElement.GetProperty("position").GetRawText());
            return position.Lsn is ulong lsn ? $"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"
                : position.HasCursor ? string.Join(", ", position.CursorColumns.Zip(position.CursorValues, (c, v) => $"{c} = {v ?? "NULL"}"))
                : null;
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or MedallionException or InvalidOperationException)
        {
            // Kafka offsets and future position formats are not a SourcePosition: they show as no position rather than as an error.
            return null;
        }
    }

    private static int? FileCount(string configuration)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(configuration);
            return document.RootElement.TryGetProperty("files", out JsonElement files) && files.ValueKind == JsonValueKind.Object ? files.EnumerateObject().Count() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Key(TableName table) => table.ToString().ToLowerInvariant();
}
