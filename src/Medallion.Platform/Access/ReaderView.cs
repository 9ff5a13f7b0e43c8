using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Engine.Sessions;

namespace Medallion.Platform.Access;

/// <summary>
/// What one reader (a user of the REST API, the web UI or the CLI) may see of the lakehouse: the tables their SQL reads
/// (<see cref="CatalogSessionAccess"/>), and everything around the SQL that holds data of those tables — quality samples,
/// run errors and log lines, row counts, lineage. Every face asks here, so a table's data never shows past its grant.
/// </summary>
/// <remarks>
/// Rules. A table the reader may not read does not exist for them. A quality sample is shown as the reader's SQL would
/// show its rows (granted columns, masks, row filter; see <see cref="Lakehouse"/>). A text that may hold values (a run's
/// error, a log line about a step) is shown only to a reader who reads in full (every column, every row, nothing masked)
/// every table the step read or wrote; others get a note with the error code. A row count is withheld from a reader who
/// reads only some rows. A lineage edge is shown when the reader may read both of its tables.
/// </remarks>
public sealed partial class ReaderView
{
    private ReaderView(SessionAccess? session) => Session = session;

    /// <summary>The view of a reader who sees everything unmasked: an admin, or the owner of the project at the machine.</summary>
    public static ReaderView Everything { get; } = new(null);

    /// <summary>What the reader's SQL reads; null when they read everything unmasked.</summary>
    public SessionAccess? Session { get; }

    /// <summary>Whether the reader sees everything unmasked.</summary>
    public bool SeesEverything => Session is null;

    /// <summary>
    /// The view of <paramref name="user"/>: <see cref="Everything"/> for an admin, for nobody signed in (a server that lets
    /// that be) and for a name the catalog does not know (as the SQL endpoint lets a trusted local client in).
    /// </summary>
    /// <param name="catalog">The project's catalog (grants, masking policies, row filters, classifications).</param>
    /// <param name="tables">The project's tables, listed only for a restricted user.</param>
    /// <param name="user">The signed-in user, or null.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public static async Task<ReaderView> ForUserAsync(CatalogStore catalog, ITableLocator tables, string? user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(tables);
        // An admin reads everything: then the tables need not be listed, which for a project of a thousand tables costs
        // more than the rest of most pages.
        if (user is null || await catalog.Access.GetUserAccessAsync(user, cancellationToken).ConfigureAwait(false) is null or { IsAdmin: true })
        {
            return Everything;
        }

        IReadOnlyList<LakehouseTable> listed = await tables.ListAsync(cancellationToken).ConfigureAwait(false);
        return new ReaderView(await new CatalogSessionAccess(catalog).ForUserAsync(user, listed, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Whether the reader may read <paramref name="table"/> at all.</summary>
    public bool CanRead(TableName table) => Session is null || Session.Find(table.ToString()) is not null;

    /// <summary>What the reader reads of <paramref name="table"/>: <see cref="TableAccess.Everything"/> when they see everything, null when they may not read it.</summary>
    public TableAccess? Find(TableName table) => Session is null ? TableAccess.Everything : Session.Find(table.ToString());

    /// <summary>
    /// Whether the reader may read <paramref name="column"/> of <paramref name="table"/> (masked or not): the table is
    /// readable and the column granted. A column the table does not have counts as granted when every column is.
    /// </summary>
    public bool CanRead(TableName table, string column) =>
        Find(table) is { } access && (access.Columns is null || access.Columns.Contains(column, StringComparer.OrdinalIgnoreCase));

    /// <summary>Whether the reader reads every row of <paramref name="table"/> (no row filter).</summary>
    public bool ReadsEveryRow(TableName table) => Find(table) is { RowFilter: null };

    /// <summary>Whether the reader reads <paramref name="table"/> in full: every column, every row, nothing masked.</summary>
    public bool ReadsInFull(TableName table) => Find(table) is { Columns: null, RowFilter: null, Masks.Count: 0 };

    /// <summary>
    /// <paramref name="message"/> (an error or a log line that may quote values of <paramref name="tables"/>) when the
    /// reader reads all of them in full; otherwise a note saying it is withheld, with the message's error code.
    /// </summary>
    /// <param name="message">The text; null stays null.</param>
    /// <param name="tables">The tables whose data the text may hold; empty only when it can hold none.</param>
    public string? ShowMessage(string? message, IReadOnlyCollection<TableName> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        if (message is null || tables.All(ReadsInFull))
        {
            return message;
        }

        return Withhold(message);
    }

    private static string Withhold(string message)
    {
        Match code = ErrorCodeText().Match(message);
        return (code.Success ? code.Value + ": " : string.Empty) + WithheldMessage;
    }

    /// <summary>The note that replaces a message the reader may not see.</summary>
    public const string WithheldMessage =
        "the message is withheld: it may hold values of tables you may not read in full (every column, every row, unmasked)";

    /// <summary>The note that replaces a quality sample the reader may not see.</summary>
    public const string WithheldSample = "the sample is withheld: it describes rows or columns of the table you may not read";

    /// <summary>
    /// A log line of a run as the reader may see it: a line about a step is shown when the reader reads in full every
    /// table the step read or wrote; a line about the run as a whole, unless informational, when they read in full every
    /// table of the run.
    /// </summary>
    /// <param name="line">The line.</param>
    /// <param name="run">The tables of the run's steps.</param>
    public RunLogLine Show(RunLogLine line, RunTables run)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(run);
        if (Session is null)
        {
            return line;
        }

        if (line.Model is { } model)
        {
            return line with { Message = ShowMessage(line.Message, run.Step(model))! };
        }

        // A line about the run as a whole: queued, started and the like hold no data; its error may quote any step's.
        return string.Equals(line.Level, "info", StringComparison.OrdinalIgnoreCase) ? line
            : line with { Message = run.All.Count == 0 ? Withhold(line.Message) : ShowMessage(line.Message, run.All)! };
    }

    /// <summary>The row count of <paramref name="table"/> as the reader may see it: withheld (null) when they read only some rows.</summary>
    public long? ShowRows(TableName table, long? rows) => ReadsEveryRow(table) ? rows : null;

    /// <summary>The edges whose both ends (tables, and columns for a column's lineage) the reader may read.</summary>
    public IReadOnlyList<LineageEdge> Show(IReadOnlyList<LineageEdge> edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        return Session is null ? edges : [.. edges.Where(e => CanReadEnd(e.Upstream, e.UpstreamColumn) && CanReadEnd(e.Downstream, e.DownstreamColumn))];
    }

    private bool CanReadEnd(TableName table, string? column) => column is null ? CanRead(table) : CanRead(table, column);

    [GeneratedRegex(@"\bMDL\d{4}\b", RegexOptions.CultureInvariant)]
    private static partial Regex ErrorCodeText();
}
