using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Parquet;
using Medallion.Engine.Scanning;
using Medallion.Engine.Sessions;
using Medallion.Pipelines;
using Medallion.Pipelines.Quality;
using Medallion.Platform.Access;
using Medallion.Storage;

namespace Medallion.Platform;

/// <summary>
/// A project opened for browsing: its tables, their details and history, its runs, lineage and quality results.
/// Each answer joins three sources: the project files (what is declared, with docs; they win, being what the next
/// run registers), the catalog (runs, quality, versions' run ids, tables registered by earlier runs) and each
/// table's Delta log (version, rows, schema: the truth about data).
/// </summary>
/// <remarks>
/// Read-only, except for the data subject and retention operations (erasure, retention), which write through the
/// Delta writer: a project whose catalog file does not exist yet is browsed without creating it. The tables are
/// listed when it opens; open it again to see tables created since. Not safe for concurrent use.
/// </remarks>
public sealed partial class Lakehouse : IAsyncDisposable
{
    private const string QuarantineSuffix = QuarantineTable.Suffix;

    private readonly ProjectEnvironment _environment;
    private readonly bool _ownsEnvironment;
    private readonly CatalogStore? _catalog;
    private readonly CheckpointReader _checkpoints;
    private DuckDbConnection? _connection;
    private readonly Dictionary<TableName, Entry> _tables;
    private ModelGraph? _graph;
    private Dictionary<TableName, TableName>? _spellings;

    /// <summary>The docs edited in the catalog, laid over the project files' wherever docs are answered.</summary>
    private DocOverlay _docs;

    private Lakehouse(ProjectEnvironment environment, bool ownsEnvironment, CatalogStore? catalog, Dictionary<TableName, Entry> tables, ModelGraph? graph, ReaderView reader, DocOverlay docs)
    {
        _docs = docs;
        _environment = environment;
        _ownsEnvironment = ownsEnvironment;
        _graph = graph;
        Reader = reader;
        Project = environment.Project;
        _catalog = catalog;
        _tables = tables;
        _checkpoints = new CheckpointReader(this);
    }

    /// <summary>The project's definitions, as loaded when it was opened.</summary>
    public MedallionProject Project { get; }

    /// <summary>
    /// Who reads through this lakehouse: every answer holds only what they may see (<see cref="ReaderView"/>); a table
    /// they may not read is one the project does not have.
    /// </summary>
    public ReaderView Reader { get; }

    /// <summary>
    /// Every known table the reader may read: bronze, silver, gold first (in the order data flows through them), other
    /// namespaces after, each by name.
    /// </summary>
    public IReadOnlyList<TableName> TableNames => [.. _tables.Keys.Where(Reader.CanRead).Order(Comparer<TableName>.Create(Compare))];

    /// <summary>Opens the project in <paramref name="directory"/> for browsing, in an environment of its own that it closes when disposed.</summary>
    /// <param name="directory">The project's directory (holding <c>medallion.yml</c>).</param>
    /// <param name="cancellationToken">Stops the opening.</param>
    /// <exception cref="MedallionException">
    /// The project files do not load, or its catalog is not local (<see cref="ErrorCode.RunStorageUnsupported"/>).
    /// </exception>
    public static async Task<Lakehouse> OpenAsync(string directory, CancellationToken cancellationToken = default)
    {
        ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            return await OpenAsync(environment, ownsEnvironment: true, null, ReaderView.Everything, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await environment.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens a host's project for one reader: every answer holds only what <paramref name="reader"/> may see. The
    /// lakehouse reads through the environment's catalog and stores and leaves them open. With <paramref name="graph"/>
    /// (a server holds it) no model is parsed again, which is what most of opening a project of hundreds of models costs.
    /// </summary>
    /// <param name="environment">The host's project environment.</param>
    /// <param name="graph">The project's model graph, already built; null parses the models when lineage needs them.</param>
    /// <param name="reader">Who reads (see <see cref="ReaderView.ForUserAsync"/>); everyone when null.</param>
    /// <param name="cancellationToken">Stops the opening.</param>
    /// <exception cref="MedallionException">The project's catalog is not local (<see cref="ErrorCode.RunStorageUnsupported"/>).</exception>
    public static Task<Lakehouse> OpenAsync(ProjectEnvironment environment, ModelGraph? graph = null, ReaderView? reader = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (graph is not null && !ReferenceEquals(graph.Project, environment.Project))
        {
            throw new ArgumentException("The graph is of another project than the environment's.", nameof(graph));
        }

        return OpenAsync(environment, ownsEnvironment: false, graph, reader ?? ReaderView.Everything, cancellationToken);
    }

    private static async Task<Lakehouse> OpenAsync(ProjectEnvironment environment, bool ownsEnvironment, ModelGraph? graph, ReaderView reader, CancellationToken cancellationToken)
    {
        MedallionProject project = environment.Project;
        CatalogStore? catalog = await environment.FindCatalogAsync(cancellationToken).ConfigureAwait(false);
        // Every table is read where prod's pointers say (ModelTables, the one answer to where a table is): a promotion or a
        // rollback moves what each answer describes, and a table no pointer names is at its own location.
        ModelTables located = catalog is null
            ? ModelTables.OwnLocations(project)
            : await ModelTables.LoadAsync(project, catalog, EnvironmentStore.Production, cancellationToken).ConfigureAwait(false);
        var tables = new Dictionary<TableName, Entry>();
        foreach (SourceDefinition source in project.Sources)
        {
            tables[source.Target] = new Entry(TableKind.Source, located.Location(source.Target)) { Source = source };
        }

        foreach (ModelDefinition model in project.Models)
        {
            tables[model.Name] = new Entry(TableKind.Model, located.Location(model.Name)) { Model = model };
        }

        if (catalog is not null)
        {
            foreach (CatalogTable registered in await catalog.Tables.ListTablesAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (!tables.TryGetValue(registered.Name, out Entry? entry))
                {
                    TableKind kind = KindOf(registered.Name, tables);
                    entry = new Entry(kind, kind == TableKind.Quarantine ? QuarantineLocation(located, registered.Name) : registered.Location);
                    tables[registered.Name] = entry;
                }

                entry.Registered = registered;
            }
        }

        foreach (LakehouseTable onDisk in await ProjectCatalog.Tables(project).ListAsync(cancellationToken).ConfigureAwait(false))
        {
            var name = new TableName(onDisk.Namespace, onDisk.Name);
            if (!tables.ContainsKey(name))
            {
                TableKind kind = KindOf(name, tables);
                tables[name] = new Entry(kind, kind == TableKind.Quarantine ? QuarantineLocation(located, name) : located.Location(name));
            }
        }

        DocOverlay docs = catalog is null ? DocOverlay.None : new DocOverlay(await catalog.Docs.GetCurrentAsync(cancellationToken).ConfigureAwait(false));
        return new Lakehouse(environment, ownsEnvironment, catalog, tables, graph, reader, docs);
    }

    /// <summary>
    /// Finds a table by <c>namespace.name</c>, or by its bare name when only one namespace has it.
    /// </summary>
    /// <param name="text">The table as a user wrote it.</param>
    /// <returns>The table's name as the project spells it.</returns>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> naming the closest tables.</exception>
    public TableName ResolveTable(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        string trimmed = text.Trim();
        if (TableName.TryParse(trimmed, out TableName name) && _tables.ContainsKey(name) && Reader.CanRead(name))
        {
            return _tables.Keys.First(k => k.Equals(name));
        }

        if (!trimmed.Contains('.', StringComparison.Ordinal))
        {
            List<TableName> byName = TableNames.Where(t => string.Equals(t.Name, trimmed, StringComparison.OrdinalIgnoreCase)).ToList();
            if (byName.Count == 1)
            {
                return byName[0];
            }

            if (byName.Count > 1)
            {
                throw new MedallionException(ErrorCode.CatalogObjectNotFound,
                    $"'{trimmed}' is ambiguous: it names {NameSuggester.JoinAlternatives([.. byName.Select(t => t.ToString())])}.\nHelp: write the table as namespace.name, e.g. {byName[^1]}.");
            }
        }

        throw new MedallionException(ErrorCode.CatalogObjectNotFound,
            $"The project has no table {trimmed}.{NameSuggester.DidYouMeanTable(trimmed, TableNames.Select(t => t.ToString()))}\nHelp: check the name against the project's tables.");
    }

    /// <summary>The tables, optionally of one namespace, with their current version and row count read from their Delta logs.</summary>
    /// <param name="ns">Only this namespace's tables (case-insensitive); null for all.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public async Task<IReadOnlyList<TableSummary>> ListTablesAsync(string? ns = null, CancellationToken cancellationToken = default)
    {
        var summaries = new List<TableSummary>();
        foreach (TableName name in NamesIn(ns))
        {
            summaries.Add(await SummarizeTableAsync(name, cancellationToken).ConfigureAwait(false));
        }

        return summaries;
    }

    /// <summary>
    /// The tables as <see cref="ListTablesAsync"/> lists them but from the project files and the catalog alone: no Delta
    /// log is read, so <see cref="TableSummary.Version"/>, <see cref="TableSummary.Rows"/> and
    /// <see cref="TableSummary.UpdatedAt"/> are null (unknown, not unbuilt). For searching many tables by their docs,
    /// then reading the logs of the few that matched with <see cref="SummarizeTableAsync"/>.
    /// </summary>
    /// <param name="ns">Only this namespace's tables (case-insensitive); null for all.</param>
    public IReadOnlyList<TableSummary> ListTablesWithoutLogs(string? ns = null) => [.. NamesIn(ns).Select(name => Declared(name, _tables[name]))];

    /// <summary>One table as <see cref="ListTablesAsync"/> lists it, its version and row count read from its Delta log.</summary>
    /// <param name="name">A table of <see cref="TableNames"/> (see <see cref="ResolveTable"/>).</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public async Task<TableSummary> SummarizeTableAsync(TableName name, CancellationToken cancellationToken = default) =>
        (await ReadAsync(name, cancellationToken).ConfigureAwait(false)).Summary;

    /// <summary>
    /// Everything known about one table: location, definition, documented schema, recent versions, last run, latest
    /// quality results, upstream and downstream tables.
    /// </summary>
    /// <param name="name">A table of <see cref="TableNames"/> (see <see cref="ResolveTable"/>).</param>
    /// <param name="environment">
    /// Null for the table prod reads, with upstream and downstream from the project's files (<see cref="GetLineageAsync"/>);
    /// an environment (<c>prod</c> included) for the table it reads: its physical table at the environment's pointer (prod's
    /// for a model it did not build) with that table's versions, the last run of the environment that built it, the latest
    /// quality results recorded of it, and upstream and downstream as the catalog recorded them of the environment's builds.
    /// </param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.EnvironmentNameInvalid"/> for a name no environment could have, <see cref="ErrorCode.EnvironmentNotFound"/>
    /// for an environment that holds nothing (whose table would otherwise be prod's under its name).
    /// </exception>
    public async Task<TableDetails> DescribeTableAsync(TableName name, string? environment = null, CancellationToken cancellationToken = default)
    {
        Entry entry = Find(name);
        if (environment is not null)
        {
            await RequireEnvironmentAsync(environment, cancellationToken).ConfigureAwait(false);
        }

        (string location, string builtIn) = await PhysicalTableAsync(name, entry, environment ?? EnvironmentStore.Production, cancellationToken).ConfigureAwait(false);
        (TableSummary summary, Snapshot? snapshot) = await ReadAsync(name, location, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<ColumnInfo> columns = await GrantedColumnsAsync(name, entry, snapshot, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<TableVersionInfo> versions = snapshot is null ? [] : await VersionsAsync(name, location, builtIn, environment, 5, cancellationToken).ConfigureAwait(false);
        ModelRunRecord? lastRun = null;
        List<QualityResultRecord> quality = [];
        if (_catalog is not null)
        {
            // Another environment's runs built other tables: prod's last run is never a dev apply's.
            if ((await _catalog.Runs.GetModelRunHistoryAsync(name, 1, builtIn, cancellationToken).ConfigureAwait(false)).FirstOrDefault() is { } last)
            {
                RunTables tables = await GetRunTablesAsync([last], cancellationToken).ConfigureAwait(false);
                lastRun = last with { Error = Reader.ShowMessage(last.Error, tables.Step(last.Model)) };
            }

            quality = [.. await ShowQualityAsync(await _catalog.Quality.GetLatestQualityResultsAsync(name, environment ?? EnvironmentStore.Production, cancellationToken).ConfigureAwait(false), Reader, cancellationToken).ConfigureAwait(false)];
        }

        (IReadOnlyList<TableName> upstream, IReadOnlyList<TableName> downstream) = await LineageAsync(name, entry, environment, cancellationToken).ConfigureAwait(false);
        return new TableDetails(
            summary, Definition(entry), snapshot?.PartitionColumns ?? entry.Model?.Config.PartitionBy ?? [], columns, versions, lastRun,
            quality, [.. upstream.Where(Reader.CanRead)], [.. downstream.Where(Reader.CanRead)]);
    }

    /// <summary>
    /// The columns of a table that <see cref="Reader"/> may read, in table order, with their types: the schema a SQL
    /// editor offers. Only the table's newest Delta schema is read (no row count, history or lineage).
    /// </summary>
    /// <param name="name">A table of <see cref="TableNames"/> (see <see cref="ResolveTable"/>).</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public async Task<IReadOnlyList<ColumnInfo>> GetColumnsAsync(TableName name, CancellationToken cancellationToken = default)
    {
        Entry entry = Find(name);
        Snapshot? snapshot = await OpenDeltaAsync(entry.Location, cancellationToken).ConfigureAwait(false) is { } table
            ? await table.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false)
            : null;
        return await GrantedColumnsAsync(name, entry, snapshot, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<ColumnInfo>> GrantedColumnsAsync(TableName name, Entry entry, Snapshot? snapshot, CancellationToken cancellationToken)
    {
        List<CatalogColumn> registered = _catalog is null ? [] : await _catalog.Tables.GetColumnsAsync(name, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string>? granted = Reader.Find(name)?.Columns;
        return [.. Columns(name, entry, snapshot, registered, _docs).Where(c => granted is null || granted.Contains(c.Name, StringComparer.OrdinalIgnoreCase))];
    }

    /// <summary>
    /// The expectation results the catalog stored for a table (by runs and by <c>medallion test</c>): the latest of each
    /// rule, and the last <paramref name="historyCount"/> results of any rule, newest first. Empty without a catalog.
    /// </summary>
    /// <param name="name">A table of <see cref="TableNames"/> (see <see cref="ResolveTable"/>).</param>
    /// <param name="historyCount">How many results of the history at most.</param>
    /// <param name="environment">
    /// The environment whose results to read: those of the physical table it reads (prod's for a model it did not build).
    /// </param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.EnvironmentNameInvalid"/> for a name no environment could have, <see cref="ErrorCode.EnvironmentNotFound"/>
    /// for an environment that holds nothing (whose results would otherwise be prod's under its name).
    /// </exception>
    public async Task<TableQuality> GetQualityAsync(TableName name, int historyCount, string environment = EnvironmentStore.Production, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(historyCount);
        Find(name);
        await RequireEnvironmentAsync(environment, cancellationToken).ConfigureAwait(false);
        if (_catalog is null)
        {
            return new TableQuality(name, [], []);
        }

        return new TableQuality(
            name,
            await ShowQualityAsync(await _catalog.Quality.GetLatestQualityResultsAsync(name, environment, cancellationToken).ConfigureAwait(false), Reader, cancellationToken).ConfigureAwait(false),
            await ShowQualityAsync(await _catalog.Quality.GetQualityHistoryAsync(name, historyCount, environment, cancellationToken).ConfigureAwait(false), Reader, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The table's last <paramref name="count"/> versions, newest first, from its Delta log; rows and run ids come
    /// from the catalog's version records when a run recorded them, else rows from the snapshot's file statistics.
    /// </summary>
    /// <param name="name">A table of <see cref="TableNames"/> (see <see cref="ResolveTable"/>).</param>
    /// <param name="count">How many versions at most.</param>
    /// <param name="environment">
    /// Null or <c>prod</c> for the table prod reads; another environment for the physical table it reads (prod's for a model
    /// it did not build), with the runs of the environment that built it.
    /// </param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.DeltaTableNotFound"/> when the table has not been built; <see cref="ErrorCode.EnvironmentNameInvalid"/>
    /// or <see cref="ErrorCode.EnvironmentNotFound"/> for an environment whose tables cannot be read.
    /// </exception>
    public async Task<IReadOnlyList<TableVersionInfo>> GetTableHistoryAsync(TableName name, int count, string? environment = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        Entry entry = Find(name);
        if (environment is not null)
        {
            await RequireEnvironmentAsync(environment, cancellationToken).ConfigureAwait(false);
        }

        (string location, string builtIn) = await PhysicalTableAsync(name, entry, environment ?? EnvironmentStore.Production, cancellationToken).ConfigureAwait(false);
        return await VersionsAsync(name, location, builtIn, environment, count, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="GetTableHistoryAsync"/> of the physical table <paramref name="location"/>, which <paramref name="environment"/>
    /// reads and whose runs are <paramref name="builtIn"/>'s, once both are known (checked and found).
    /// </summary>
    private async Task<IReadOnlyList<TableVersionInfo>> VersionsAsync(TableName name, string location, string builtIn, string? environment, int count, CancellationToken cancellationToken)
    {
        DeltaTable table = await OpenDeltaAsync(location, cancellationToken).ConfigureAwait(false) ?? throw NotBuilt(name, location);
        var recorded = new Dictionary<long, TableVersionRecord>();
        var committedBy = new Dictionary<long, string>();
        if (_catalog is not null)
        {
            foreach (TableVersionRecord version in await _catalog.Tables.GetTableHistoryAsync(name, environment ?? EnvironmentStore.Production, cancellationToken).ConfigureAwait(false))
            {
                recorded[version.Version] = version;
            }

            // Only the runs of the environment that built this physical table: another's committed the same versions of another table.
            foreach (ModelRunRecord run in await _catalog.Runs.GetModelRunHistoryAsync(name, 1000, builtIn, cancellationToken).ConfigureAwait(false))
            {
                if (run.CommittedVersion is long committed)
                {
                    committedBy.TryAdd(committed, run.RunId);
                }
            }
        }

        var versions = new List<TableVersionInfo>();
        await foreach (CommitEntry commit in table.GetHistoryAsync(cancellationToken).ConfigureAwait(false))
        {
            if (versions.Count == count)
            {
                break;
            }

            recorded.TryGetValue(commit.Version, out TableVersionRecord? record);
            long? rows = Reader.ShowRows(name, record?.RowCount ?? await RowsAtAsync(table, commit.Version, cancellationToken).ConfigureAwait(false));
            string? runId = record?.RunId ?? committedBy.GetValueOrDefault(commit.Version);
            versions.Add(new TableVersionInfo(commit.Version, commit.Timestamp, commit.CommitInfo?.Operation, rows, runId));
        }

        return versions;
    }

    /// <summary>The last <paramref name="count"/> runs, newest first, with their models counted by outcome; optionally of one status, a page further back.</summary>
    /// <param name="count">How many runs at most.</param>
    /// <param name="status">Only runs in this state; null for all.</param>
    /// <param name="offset">How many of the newest matching runs to skip (the runs of earlier pages).</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public async Task<IReadOnlyList<RunSummary>> ListRunsAsync(int count, RunStatus? status = null, int offset = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var summaries = new List<RunSummary>();
        if (_catalog is null)
        {
            return summaries;
        }

        foreach (RunRecord run in await _catalog.Runs.ListRunsAsync(count, status, offset, cancellationToken).ConfigureAwait(false))
        {
            List<ModelRunRecord> models = await _catalog.Runs.GetModelRunsAsync(run.Id, cancellationToken).ConfigureAwait(false);
            int succeeded = models.Count(m => m.Status == RunStatus.Succeeded);
            int failed = models.Count(m => m.Status == RunStatus.Failed);
            int skipped = models.Count(m => m.Status == RunStatus.Skipped);
            summaries.Add(new RunSummary(run, succeeded, failed, skipped, models.Count - succeeded - failed - skipped));
        }

        return summaries;
    }

    /// <summary>One run, found by its id or a unique prefix of it, with its models, quality results and source passes.</summary>
    /// <param name="idOrPrefix">The run's id, or enough of its start to name one run.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when none or several runs match.</exception>
    public async Task<RunDetails> GetRunAsync(string idOrPrefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(idOrPrefix);
        RunRecord run = await FindRunAsync(idOrPrefix, cancellationToken).ConfigureAwait(false);
        List<ModelRunRecord> models = await _catalog!.Runs.GetModelRunsAsync(run.Id, cancellationToken).ConfigureAwait(false);
        List<RunAttemptRecord> attempts = await _catalog.Runs.GetAttemptsAsync(run.Id, cancellationToken).ConfigureAwait(false);
        RunTables tables = await GetRunTablesAsync(models, cancellationToken).ConfigureAwait(false);
        IReadOnlyCollection<TableName> runScope = RunScope(tables);
        string? RunError(string? error) => Reader.ShowMessage(error, runScope);
        return new RunDetails(
            run with { Error = RunError(run.Error) },
            [.. models.Select(m => m with { Error = Reader.ShowMessage(m.Error, tables.Step(m.Model)) })],
            await ShowQualityAsync(await _catalog.Quality.GetQualityResultsAsync(run.Id, cancellationToken).ConfigureAwait(false), Reader, cancellationToken).ConfigureAwait(false),
            await _catalog.Runs.GetSourceRunsAsync(run.Id, cancellationToken).ConfigureAwait(false))
        {
            Attempts = [.. attempts.Select(a => a with { Error = RunError(a.Error) })],
            Repeats = [.. (await _catalog.Runs.QueryRunsAsync(new RunQuery { Parent = run.Id, Limit = 20 }, cancellationToken).ConfigureAwait(false)).Runs.Select(r => r with { Error = null })],
        };
    }

    /// <summary>
    /// The tables each step of run <paramref name="runId"/> read or wrote, for showing its log lines to <see cref="Reader"/>
    /// (<see cref="ReaderView.Show(RunLogLine, RunTables)"/>).
    /// </summary>
    /// <param name="runId">The run's id.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public async Task<RunTables> GetRunTablesAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        List<ModelRunRecord> models = _catalog is null ? [] : await _catalog.Runs.GetModelRunsAsync(runId, cancellationToken).ConfigureAwait(false);
        return await GetRunTablesAsync(models, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RunTables> GetRunTablesAsync(IEnumerable<ModelRunRecord> models, CancellationToken cancellationToken) =>
        RunTables.Of(await GetGraphAsync(cancellationToken).ConfigureAwait(false), _tables.ContainsKey, models.Select(m => m.Model));

    /// <summary>
    /// The lineage edges of a table, or of one of its columns, transitively: what it is computed from, what is computed from
    /// it, or both. Without an environment, as the project's models say now (parsed from its files); with one, as that
    /// environment built them (the edges the catalog recorded of the physical tables it reads: prod's for a model it did not
    /// build; <c>prod</c>'s are those registered when a prod run or a server last loaded the project's files, which differ
    /// from the files' while a change is not yet loaded).
    /// </summary>
    /// <param name="name">The table; it need not be known to the project (then it has no edges).</param>
    /// <param name="column">One column to follow; null for table-level lineage.</param>
    /// <param name="direction">Which way to follow the edges.</param>
    /// <param name="environment">Null for the project's files; an environment (<c>prod</c> included) for its recorded lineage.</param>
    /// <param name="cancellationToken">Stops the parsing of the models.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.EnvironmentNameInvalid"/> for a name no environment could have, <see cref="ErrorCode.EnvironmentNotFound"/>
    /// for an environment that holds nothing;
    /// <see cref="ErrorCode.CatalogObjectNotFound"/> for a column the reader may not read, or, to a reader who does not read every
    /// column, one the model does not have (the same answer, so neither the column nor the model's others are disclosed);
    /// <see cref="ErrorCode.ModelSelectionInvalid"/> for a column the model does not have, to a reader of every column.
    /// </exception>
    public async Task<IReadOnlyList<LineageEdge>> GetLineageAsync(TableName name, string? column = null, LineageDirection direction = LineageDirection.Both, string? environment = null, CancellationToken cancellationToken = default)
    {
        if (column is not null && !Reader.CanRead(name, column))
        {
            throw NoSuchColumn(name, column);
        }

        if (environment is not null)
        {
            return await RecordedLineageAsync(name, column, direction, environment, cancellationToken).ConfigureAwait(false);
        }

        ModelGraph graph = await GetGraphAsync(cancellationToken).ConfigureAwait(false);

        // A table no model or source writes (a quarantine table, the audit log) is computed from nothing the models say.
        if (!graph.ContainsTable(name))
        {
            return [];
        }

        try
        {
            return Reader.Show(graph.GetLineage(name, column, direction));
        }
        catch (MedallionException unknown) when (unknown.Code == ErrorCode.ModelSelectionInvalid && Reader.Find(name)?.Columns is not null)
        {
            // The model's message lists its columns and suggests close ones, ungranted ones among them.
            throw NoSuchColumn(name, column!);
        }
    }

    /// <summary>A column the table does not have, or that the reader may not read: told apart by nobody.</summary>
    public static MedallionException NoSuchColumn(TableName table, string column) =>
        new(ErrorCode.CatalogObjectNotFound, $"Table {table} has no column '{column}'.");

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsEnvironment)
        {
            await _environment.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<RunRecord> FindRunAsync(string idOrPrefix, CancellationToken cancellationToken)
    {
        string prefix = idOrPrefix.Trim();
        List<RunRecord> matches = _catalog is null || prefix.Length == 0 ? [] : await _catalog.Runs.FindRunsAsync(prefix, 6, cancellationToken).ConfigureAwait(false);
        if (matches.Count == 1 || (matches.Count > 1 && string.Equals(matches[0].Id, prefix, StringComparison.OrdinalIgnoreCase)))
        {
            return matches[0];
        }

        if (matches.Count > 1)
        {
            throw new MedallionException(ErrorCode.CatalogObjectNotFound,
                $"'{prefix}' is the start of {(matches.Count > 5 ? "more than 5" : matches.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))} runs: {string.Join(", ", matches.Take(5).Select(r => r.Id))}.\nHelp: give more characters of the run id.");
        }

        throw new MedallionException(ErrorCode.CatalogObjectNotFound,
            $"The catalog has no run '{prefix}'.\nHelp: check the id against the recent runs.");
    }

    private IEnumerable<TableName> NamesIn(string? ns) =>
        TableNames.Where(t => ns is null || string.Equals(t.Namespace, ns, StringComparison.OrdinalIgnoreCase));

    private async Task<ModelGraph> GetGraphAsync(CancellationToken cancellationToken) =>
        _graph ??= await ModelGraph.BuildAsync(Project, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>The table's entry; a name the project does not know is a caller's mistake (resolve it first).</summary>
    private Entry Find(TableName name) =>
        _tables.TryGetValue(name, out Entry? entry)
            ? entry
            : throw new ArgumentException($"The project has no table {name}; resolve names with {nameof(ResolveTable)} first.", nameof(name));

    /// <summary>Where quarantine table <paramref name="quarantine"/> is: beside its model's physical table.</summary>
    private static string QuarantineLocation(ModelTables located, TableName quarantine) =>
        QuarantineTable.TryGetModel(quarantine, out TableName model) ? located.QuarantineLocation(model) : located.Location(quarantine);

    private static TableKind KindOf(TableName name, Dictionary<TableName, Entry> declared) =>
        name.Name.EndsWith(QuarantineSuffix, StringComparison.OrdinalIgnoreCase)
        && declared.TryGetValue(new TableName(name.Namespace, name.Name[..^QuarantineSuffix.Length]), out Entry? owner)
        && owner.Model is not null
            ? TableKind.Quarantine
            : TableKind.Other;

    private static int Compare(TableName a, TableName b)
    {
        int byLayer = LayerRank(a.Namespace).CompareTo(LayerRank(b.Namespace));
        // Lower-cased ordinal, so '_' sorts before letters: order_events, order_items, orders.
        return byLayer != 0 ? byLayer : string.CompareOrdinal(a.ToString().ToLowerInvariant(), b.ToString().ToLowerInvariant());
    }

    /// <summary>bronze, silver, gold first, in the order data flows through them; other namespaces after, by name.</summary>
    private static int LayerRank(string ns) => ns.ToLowerInvariant() switch
    {
        "bronze" => 0,
        "silver" => 1,
        "gold" => 2,
        _ => 3,
    };

    private Task<(TableSummary Summary, Snapshot? Snapshot)> ReadAsync(TableName name, CancellationToken cancellationToken) =>
        ReadAsync(name, Find(name).Location, cancellationToken);

    /// <summary>The table's summary with its version and rows read from the physical table at <paramref name="location"/>.</summary>
    private async Task<(TableSummary Summary, Snapshot? Snapshot)> ReadAsync(TableName name, string location, CancellationToken cancellationToken)
    {
        TableSummary summary = Declared(name, Find(name)) with { Location = location };
        if (await OpenDeltaAsync(location, cancellationToken).ConfigureAwait(false) is not { } table)
        {
            return (summary, null);
        }

        Snapshot snapshot = await table.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        long rows = snapshot.RecordCount ?? await CountAsync(table, snapshot, cancellationToken).ConfigureAwait(false);
        return (summary with { Version = snapshot.Version, Rows = Reader.ShowRows(name, rows), UpdatedAt = snapshot.Timestamp }, snapshot);
    }

    /// <summary>What the project files and the catalog (with its doc edits) say of a table, before its Delta log is read.</summary>
    private TableSummary Declared(TableName name, Entry entry) => _docs.Apply(DeclaredInFiles(name, entry));

    /// <summary>What the project files and the catalog's registration say of a table, before any doc edit.</summary>
    private static TableSummary DeclaredInFiles(TableName name, Entry entry)
    {
        ModelConfig? config = entry.Model?.Config;
        CatalogTable? registered = entry.Registered;
        return new TableSummary(
            name,
            entry.Kind,
            entry.Location,
            null,
            null,
            null,
            config?.Owner ?? registered?.Owner,
            config is { Tags.Count: > 0 } ? config.Tags : registered?.Tags ?? [],
            config?.Description ?? entry.Source?.Description ?? registered?.Description ?? QuarantineDescription(name, entry));
    }

    private static string? QuarantineDescription(TableName name, Entry entry) =>
        entry.Kind == TableKind.Quarantine
            ? $"Rows of {name.Namespace}.{name.Name[..^QuarantineSuffix.Length]} set aside by its quarantine rules, with the rule names and run id."
            : null;

    private async Task<DeltaTable?> OpenDeltaAsync(string location, CancellationToken cancellationToken) =>
        await Project.Stores.IsDeltaTableAsync(location, cancellationToken).ConfigureAwait(false)
            ? Project.Stores.OpenTable(location, _checkpoints)
            : null;

    private async Task<long?> RowsAtAsync(DeltaTable table, long version, CancellationToken cancellationToken)
    {
        try
        {
            Snapshot snapshot = await table.GetSnapshotAsync(version, cancellationToken).ConfigureAwait(false);
            return snapshot.RecordCount ?? await CountAsync(table, snapshot, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (e.Code is ErrorCode.DeltaVersionNotFound or ErrorCode.DeltaLogGap)
        {
            // Log cleanup removed what this version needs: its row count is no longer knowable.
            return null;
        }
    }

    /// <summary>Counts rows with DuckDB when a file lacks statistics (tables written by engines that skip them).</summary>
    private async Task<long> CountAsync(DeltaTable table, Snapshot snapshot, CancellationToken cancellationToken)
    {
        string scan = await DeltaScanSql.BuildAsync(table, snapshot, cancellationToken: cancellationToken).ConfigureAwait(false);
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM (" + scan + ")";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The columns in table order from the Delta schema, documented from the model config, else the catalog,
    /// else the Delta field's comment, with <paramref name="edits"/> over all of them; before the first build, the
    /// documented columns alone.
    /// </summary>
    private static List<ColumnInfo> Columns(TableName table, Entry entry, Snapshot? snapshot, List<CatalogColumn> registered, DocOverlay edits)
    {
        IReadOnlyList<ColumnDoc> docs = entry.Model?.Config.Columns ?? [];
        ColumnInfo Documented(string name, string type, bool nullable, string? comment)
        {
            ColumnDoc? doc = docs.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
            CatalogColumn? known = registered.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
            return edits.Apply(table, new ColumnInfo(
                name,
                type,
                nullable,
                doc?.Description ?? known?.Description ?? comment ?? SystemColumns.Describe(name),
                doc?.Classification ?? known?.Classification,
                doc is { Tags.Count: > 0 } ? doc.Tags : known?.Tags ?? []));
        }

        if (snapshot is not null)
        {
            return snapshot.Schema.Fields
                .Select(f => Documented(f.Name, DeltaScanSql.TypeName(f.Type), f.Nullable, f.Metadata.TryGetValue("comment", out var c) ? c.GetString() : null))
                .ToList();
        }

        return registered.Count > 0
            ? registered.Select(c => Documented(c.Name, c.DataType, c.Nullable, null)).ToList()
            : docs.Select(d => Documented(d.Name, string.Empty, true, null)).ToList();
    }

    private static string? Definition(Entry entry) => entry switch
    {
        { Model: { } model } => $"{model.FilePath} (materialized: {model.Config.Materialized.ToString().ToLowerInvariant()}"
            + (model.Config.UniqueKey.Count > 0 ? $", unique key: {string.Join(", ", model.Config.UniqueKey)}" : string.Empty) + ")",
        { Source: { } source } => $"{source.Format switch { SourceFormat.Csv => "CSV", SourceFormat.JsonLines => "JSON lines", SourceFormat.Debezium => "Debezium event", _ => "Parquet" }} files {source.Path} (source '{source.Name}', {source.Location.File})",
        _ => null,
    };

    private async Task<(IReadOnlyList<TableName> Upstream, IReadOnlyList<TableName> Downstream)> LineageAsync(TableName name, Entry entry, string? environment, CancellationToken cancellationToken)
    {
        if (entry.Kind == TableKind.Quarantine)
        {
            return ([new TableName(name.Namespace, name.Name[..^QuarantineSuffix.Length])], []);
        }

        if (entry.Kind == TableKind.Other)
        {
            return ([], []);
        }

        if (environment is not null)
        {
            return await RecordedNeighboursAsync(name, environment, cancellationToken).ConfigureAwait(false);
        }

        ModelGraph graph = await GetGraphAsync(cancellationToken).ConfigureAwait(false);
        return (graph.GetUpstream(name), graph.GetDownstream(name));
    }

    private static MedallionException NotBuilt(TableName name, string location) =>
        new(ErrorCode.DeltaTableNotFound,
            $"Table {name} has no versions yet: nothing has been written to {location}.\nHelp: run the model that builds it, or load its source.");

    /// <summary>A writer of the project's tables on the lakehouse's connection, through the project's stores.</summary>
    private DeltaWriter NewWriter() => _environment.CreateWriter(Connection);

    /// <summary>
    /// The lakehouse's DuckDB database, opened at its first use: reading a table's JSON commits needs none, and opening an
    /// in-memory database costs more than browsing a table without a checkpoint does.
    /// </summary>
    private DuckDbConnection Connection => _connection ??= _environment.Engines.OpenScratch();

    /// <summary>Reads the tables' Parquet checkpoints with <see cref="Connection"/>, opening it only when a table has one.</summary>
    private sealed class CheckpointReader(Lakehouse owner) : IParquetHandler
    {
        private DuckDbParquetHandler? _handler;

        public IAsyncEnumerable<string> ReadRowsAsJsonAsync(IObjectStore store, string key, IReadOnlyList<string> columns, CancellationToken cancellationToken = default) =>
            (_handler ??= new DuckDbParquetHandler(owner.Connection)).ReadRowsAsJsonAsync(store, key, columns, cancellationToken);
    }

    /// <summary>What the browser knows of one table before reading its Delta log.</summary>
    private sealed class Entry(TableKind kind, string location)
    {
        public TableKind Kind { get; } = kind;

        public string Location { get; } = location;

        public SourceDefinition? Source { get; init; }

        public ModelDefinition? Model { get; init; }

        public CatalogTable? Registered { get; set; }
    }
}
