using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.Storage;

namespace Medallion.Pipelines.Running;

/// <summary>
/// Builds one model in its own DuckDB connection: pins and binds its upstream tables (whole, or only what changed
/// since its last successful run), computes its rows once into a temp table (the candidate), checks expectations,
/// and writes the candidate with the model's materialization in one Delta commit. Anything that fails before the
/// commit leaves the table as it was.
/// </summary>
internal sealed partial class ModelBuilder : IAsyncDisposable
{
    private const string CandidateTable = "__medallion_candidate";

    private readonly RunContext _run;
    private readonly ModelDefinition _model;
    private readonly DuckDbConnection _connection;
    private readonly DeltaWriter _writer;
    private readonly string _location;
    private readonly List<string> _notes = [];

    private ModelBuilder(RunContext run, ModelDefinition model)
    {
        _run = run;
        _model = model;
        _connection = run.Database.CreateConnection();
        // The model's SQL is evaluated by the writer's statements too (a streamed write runs it inside the COPY), so the
        // writer keeps the run's zone that SetVariablesAsync sets first.
        _writer = run.Writer(_connection, timeZone: null);
        _location = run.Tables.WritableLocation(model.Name);
    }

    private ModelConfig Config => _model.Config;

    /// <summary>Builds the model and returns its outcome; failures throw (the table is unchanged).</summary>
    public static async Task<StepResult> BuildAsync(RunContext run, ModelDefinition model, CancellationToken cancellationToken)
    {
        Stopwatch elapsed = Stopwatch.StartNew();
        ModelBuilder builder = new(run, model);
        await using (builder.ConfigureAwait(false))
        {
            return await builder.BuildAsync(elapsed, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<StepResult> BuildAsync(Stopwatch elapsed, CancellationToken cancellationToken)
    {
        await SetVariablesAsync(cancellationToken).ConfigureAwait(false);
        _interval = ResolveInterval();
        IReadOnlyList<TableName> upstream = _run.Graph.GetAnalysis(_model.Name).Dependencies;
        UpstreamPlanner planner = await UpstreamPlanner.OpenAsync(_run.Project, _run.Tables, _model, upstream, _writer, cancellationToken).ConfigureAwait(false);
        Snapshot? target = await TryTargetSnapshotAsync(cancellationToken).ConfigureAwait(false);
        ModelRunRecord? last = await LastBuildAsync(cancellationToken).ConfigureAwait(false);

        // An scd2 model compares each key it reads with the key's current version, so reading only the upstream rows
        // that changed gives the same history as reading them all: keys it does not read stay current either way.
        bool incremental = Config.Materialized is Materialization.Append or Materialization.Merge or Materialization.Scd2
            && !_run.Options.FullRefresh && target is not null && last is not null && _interval is null;
        if (incremental && upstream.Count > 0 && CommittedByUnrecordedRun(target!, last!) is { } unrecorded)
        {
            _notes.Add(unrecorded);
            incremental = false;
        }

        if (OnSpark)
        {
            return await BuildOnSparkAsync(planner, upstream, target, last, incremental, elapsed, cancellationToken).ConfigureAwait(false);
        }

        if (incremental && !await BindIncrementalAsync(planner, upstream, last!, cancellationToken).ConfigureAwait(false))
        {
            incremental = false;
        }

        if (!incremental)
        {
            await BindFullAsync(planner, upstream, cancellationToken).ConfigureAwait(false);
        }

        await EnforceContractAsync(cancellationToken).ConfigureAwait(false);
        if (CanStream(incremental, target))
        {
            DeltaOperationResult? streamed = await BuildStreamedAsync(target, incremental, cancellationToken).ConfigureAwait(false);
            return await FinishAsync(streamed, incremental, planner, elapsed).ConfigureAwait(false);
        }

        await ComputeCandidateAsync(cancellationToken).ConfigureAwait(false);
        List<string> columns = await CandidateColumnsAsync(cancellationToken).ConfigureAwait(false);
        if (incremental && Config.Materialized == Materialization.Merge && NewColumns(target!, columns) is { Count: > 0 } added)
        {
            // A merge rewrites matched rows only, so a new column would stay null on every other row: rebuild instead.
            _notes.Add($"full recompute: the result has new columns ({string.Join(", ", added)})");
            incremental = false;
            await BindFullAsync(planner, upstream, cancellationToken).ConfigureAwait(false);
            await ComputeCandidateAsync(cancellationToken).ConfigureAwait(false);
            columns = await CandidateColumnsAsync(cancellationToken).ConfigureAwait(false);
        }

        ValidateColumns(columns, target);
        if (_interval is not null)
        {
            await EnsureWithinIntervalAsync(CandidateTable, cancellationToken).ConfigureAwait(false);
        }

        await ValidateKeysAsync(CandidateTable, cancellationToken).ConfigureAwait(false);
        // An interval build replaces only its interval's rows, and a merge's delete_when leaves checked rows out of the write.
        bool checkedRowsAreTheTable = !incremental && _interval is null && !(Config.Materialized == Materialization.Merge && Config.DeleteWhen is not null);
        QualityVerdict verdict = await CheckQualityAsync(CandidateTable, EstimatedColumns(columns, checkedRowsAreTheTable), incremental, cancellationToken).ConfigureAwait(false);
        // Quarantined rows commit first, marked with the model version that makes them true (see QuarantineAsync).
        bool quarantined = await QuarantineAsync(verdict.QuarantineRowsSql, target, cancellationToken).ConfigureAwait(false);
        // Without quarantined rows every candidate row passes: the candidate table itself is what gets written.
        string? passingTable = verdict.QuarantineRowsSql is null ? CandidateTable : null;
        DeltaOperationResult? written = await WriteAsync(verdict.PassingRowsSql, passingTable, columns, target, incremental, cancellationToken).ConfigureAwait(false);
        if (written is null && quarantined)
        {
            written = await CommitEmptyAsync(target!, cancellationToken).ConfigureAwait(false);
        }

        return await FinishAsync(written, incremental, planner, elapsed).ConfigureAwait(false);
    }

    /// <summary>
    /// The <c>operationMetrics</c> entries of the commit holding the estimated distinct counts of the checked rows
    /// (see <see cref="DistinctCountMetrics"/>); empty until the check made some.
    /// </summary>
    private Dictionary<string, string> _distinctMetrics = [];

    /// <summary>
    /// The columns whose distinct values the quality scan estimates for the commit: the model's columns when the checked
    /// rows are every row the table holds after the commit, else none, since an estimate of an incremental build's new
    /// rows says nothing of the table's and estimates of two commits cannot be added up.
    /// </summary>
    private static List<string> EstimatedColumns(List<string> columns, bool checkedRowsAreTheTable) =>
        checkedRowsAreTheTable ? columns.Where(c => !IsChangeColumn(c)).ToList() : [];

    /// <summary>
    /// Checks the expectations on <paramref name="relation"/> and records the results, keeping the estimates of
    /// <paramref name="distinctColumns"/> for the commit; throws when a fail-severity rule broke. An incremental build's rules
    /// check its new rows (<paramref name="newRowsOnly"/>), as Great Expectations checks a batch: rows checked in an earlier
    /// run are not checked again, and a build without new rows reports its rules as not checked.
    /// </summary>
    private async Task<QualityVerdict> CheckQualityAsync(string relation, List<string> distinctColumns, bool newRowsOnly, CancellationToken cancellationToken)
    {
        await GuardPiiAsync(relation, cancellationToken).ConfigureAwait(false);
        await ExposeReferencedTablesAsync(cancellationToken).ConfigureAwait(false);
        QualityVerdict verdict = await _run.Quality.CheckAsync(_connection, relation, _model.Name, Config.Expectations, distinctColumns, newRowsOnly, _run.RunId, _run.StartedAt, cancellationToken).ConfigureAwait(false);
        await RecordQualityAsync(verdict).ConfigureAwait(false);
        _distinctMetrics = DistinctCountMetrics.ToMetrics(verdict.DistinctCounts);
        if (verdict.Failed)
        {
            throw new MedallionException(
                ErrorCode.QualityCheckFailed,
                $"{_model.FilePath}: model {_model.Name} broke fail-severity expectations, so nothing was committed: {verdict.Summary}\nHelp: fix the data or the model, or lower the rule's severity to quarantine or warn.",
                location: Config.Location);
        }

        if (verdict.Summary.Length > 0)
        {
            _notes.Add(verdict.Summary);
        }

        return verdict;
    }

    private async Task<StepResult> FinishAsync(DeltaOperationResult? written, bool incremental, UpstreamPlanner planner, Stopwatch elapsed)
    {
        long? committed = written is { Committed: true } ? written.Version : null;
        // What went wrong after the commit (its checkpoint) did not fail the build, but its user should see it.
        _notes.AddRange(written?.Warnings ?? []);
        CommitRecord? commit = committed is long version
            ? await CommitRecorder.ReadAsync(_run, _model.Name, _location, version, written!.Operation, await ColumnDocsAsync(CancellationToken.None).ConfigureAwait(false), _writer).ConfigureAwait(false)
            : null;
        return new StepResult(
            _model.Name, StepKind.Model, StepState.Succeeded, incremental ? RunMode.Incremental : RunMode.Full,
            written?.RowsAffected ?? 0, committed, planner.Versions, elapsed.Elapsed, null, _notes)
        {
            Commit = commit,
        };
    }

    /// <summary>
    /// Makes the tables <c>relationships</c> rules point at readable as <c>namespace.table</c> on this connection: the
    /// shared database's lakehouse views, at their latest version (a parent built earlier in this run included).
    /// </summary>
    private async Task ExposeReferencedTablesAsync(CancellationToken cancellationToken)
    {
        IEnumerable<TableName> referenced = Config.Expectations
            .Where(e => e.Kind == ExpectationKind.Relationships && e.To is { } to && !to.Equals(_model.Name))
            .Select(e => e.To!.Value)
            .Distinct();
        foreach (TableName table in referenced)
        {
            string location = _run.Tables.Location(table);
            if (await _run.Project.Stores.IsDeltaTableAsync(location, cancellationToken).ConfigureAwait(false))
            {
                await LakehouseViews.For(_run.Database)
                    .EnsureLatestAsync(new LakehouseTable(table.Namespace, table.Name, _run.Project.Stores.OpenStore(location)), _connection, cancellationToken)
                    .ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The last successful build of the model's table, where an incremental build resumes: the run the environment records
    /// as its builder when the table is a physical one another environment may have built (after a promotion), else the
    /// environment's latest successful run of the model.
    /// </summary>
    private async Task<ModelRunRecord?> LastBuildAsync(CancellationToken cancellationToken)
    {
        if (_run.Tables.BuiltBy(_model.Name) is { } runId)
        {
            return (await _run.Catalog.Runs.GetModelRunsAsync(runId, cancellationToken).ConfigureAwait(false))
                .FirstOrDefault(m => m.Model.Equals(_model.Name) && m.Status == RunStatus.Succeeded);
        }

        return await _run.Catalog.Runs.GetLastSuccessfulModelRunAsync(_model.Name, _run.Tables.Environment, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The target's newest snapshot, or null before its first build. Through the writer, which keeps it: the write then
    /// reads only commits newer than this one, not the whole log again. No existence check first: on an object store it
    /// is a listing of its own, and the load answers the same question (a log without versions is no table).
    /// </summary>
    private Task<Snapshot?> TryTargetSnapshotAsync(CancellationToken cancellationToken) =>
        _writer.TryGetSnapshotAsync(_location, cancellationToken);

    private DeltaTable OpenTarget() => _run.Project.Stores.OpenTable(_location, _connection);

    /// <summary>
    /// A note when the table's newest model commit (its <see cref="RunTransaction"/>) is of a later run than the catalog's
    /// last successful one, else null. That run died between its commit and the catalog's record of it (a kill, a full
    /// catalog disk), so the upstream versions it read are known to no one: reading the upstream from the recorded ones
    /// would append its rows a second time, and only a full recompute is right. (A model that reads no table has nothing
    /// to read twice: its rows are its own, an interval's, and its full recompute would replace every earlier interval.)
    /// </summary>
    private static string? CommittedByUnrecordedRun(Snapshot target, ModelRunRecord last) =>
        target.TransactionVersions.TryGetValue(RunTransaction, out long committed) && RunTransactionVersion(last.RunId) is long recorded && committed > recorded
            ? $"full recompute: version {target.Version} was committed by a run the catalog has no record of (it stopped between its commit and its record)"
            : null;

    /// <summary>Binds each upstream to the rows it gained since the last run; false (with a note) when one cannot be read that way.</summary>
    private async Task<bool> BindIncrementalAsync(UpstreamPlanner planner, IReadOnlyList<TableName> upstream, ModelRunRecord last, CancellationToken cancellationToken)
    {
        var relations = new List<UpstreamRelation>();
        foreach (TableName name in upstream)
        {
            if (!last.UpstreamVersions.TryGetValue(UpstreamPlanner.Key(name), out long consumed))
            {
                _notes.Add($"full recompute: {name} was not read by the last run");
                return false;
            }

            bool withDeletes = Config.Materialized == Materialization.Merge && planner.HasChangeFeed(name);
            (UpstreamRelation? relation, string? reason) = await planner.ChangesSinceAsync(name, consumed, withDeletes, cancellationToken).ConfigureAwait(false);
            if (relation is null)
            {
                _notes.Add("full recompute: " + reason);
                return false;
            }

            relations.Add(relation);
        }

        await CreateUpstreamViewsAsync(relations, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task BindFullAsync(UpstreamPlanner planner, IReadOnlyList<TableName> upstream, CancellationToken cancellationToken)
    {
        var relations = new List<UpstreamRelation>();
        foreach (TableName name in upstream)
        {
            bool changeColumns = Config.Materialized == Materialization.Merge && planner.HasChangeFeed(name);
            relations.Add(await planner.FullAsync(name, changeColumns, cancellationToken).ConfigureAwait(false));
        }

        await CreateUpstreamViewsAsync(relations, cancellationToken).ConfigureAwait(false);
    }

    private async Task CreateUpstreamViewsAsync(List<UpstreamRelation> relations, CancellationToken cancellationToken)
    {
        foreach (UpstreamRelation relation in relations)
        {
            await ExecuteAsync($"CREATE OR REPLACE TEMP VIEW {DuckDbConnection.QuoteIdentifier(ModelCompilation.ViewName(relation.Table))} AS {relation.Sql}", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs the model once into the candidate table, with its references pointing at the upstream views.</summary>
    private Task ComputeCandidateAsync(CancellationToken cancellationToken) => CreateCandidateAsync("TABLE", cancellationToken);

    /// <summary>
    /// Makes the candidate a temp <paramref name="kind"/> (TABLE: computed now; VIEW: computed by whoever reads it) of the
    /// model's SQL, with its references pointing at the upstream views.
    /// </summary>
    private async Task CreateCandidateAsync(string kind, CancellationToken cancellationToken)
    {
        string sql = await ModelSqlBinder.BindAsync(_connection, _model.Sql, UpstreamViews(), cancellationToken).ConfigureAwait(false);
        await RunModelAsync(() => ExecuteAsync($"CREATE OR REPLACE TEMP {kind} {CandidateTable} AS {sql}", cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The temp view each upstream table of the model is read through.</summary>
    private Dictionary<TableName, string> UpstreamViews() => ModelCompilation.UpstreamViews(_run.Graph, _model.Name);

    /// <summary>
    /// Runs a step that evaluates the model's SQL, reporting DuckDB's errors as the model's, at their place in the
    /// model's file where DuckDB gives one.
    /// </summary>
    private async Task RunModelAsync(Func<Task> step, CancellationToken cancellationToken)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch (DuckDbException e)
        {
            ModelErrorLocator.Located? located = await ModelErrorLocator.LocateAsync(_connection, _model, UpstreamViews(), e, cancellationToken).ConfigureAwait(false);
            SourceLocation location = located?.Location ?? new SourceLocation(_model.FilePath);
            throw new MedallionException(
                ErrorCode.RunModelFailed,
                $"{location}: model {_model.Name} failed in DuckDB: {located?.Message ?? e.Message}\nNothing was committed to {_model.Name}.\nHelp: try the SELECT on its own in a SQL session.",
                e,
                location: location);
        }
    }

    private async Task<List<string>> CandidateColumnsAsync(CancellationToken cancellationToken)
    {
        var columns = new List<string>();
        using DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = $"SELECT column_name FROM (DESCRIBE {CandidateTable})";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add(reader.GetString(0));
            }
        }

        return columns;
    }

    private static bool IsChangeColumn(string column) => UpstreamPlanner.ChangeColumns.Contains(column, StringComparer.OrdinalIgnoreCase);

    private static List<string> NewColumns(Snapshot target, List<string> columns) =>
        columns.Where(c => !IsChangeColumn(c) && target.Schema.Find(c) is null).ToList();

    private async Task<long> ScalarAsync(string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        object? value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is null or DBNull ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// DuckDB's time zone and variables live on the connection, so each model's own connection gets the run's (see
    /// <see cref="RunOptions.TimeZone"/> and <see cref="RunOptions.Variables"/>; names were checked when the run started).
    /// </summary>
    private async Task SetVariablesAsync(CancellationToken cancellationToken)
    {
        await ExecuteAsync("SET TimeZone = " + DuckDbConnection.QuoteLiteral((_run.Options.TimeZone ?? TimeZoneInfo.Utc).Id), cancellationToken).ConfigureAwait(false);

        foreach ((string name, object? value) in _run.Options.Variables)
        {
            string literal = value switch
            {
                null => "NULL",
                DateTimeOffset time => $"TIMESTAMPTZ '{time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)}+00'",
                _ => "'" + Convert.ToString(value, CultureInfo.InvariantCulture)!.Replace("'", "''", StringComparison.Ordinal) + "'",
            };
            await ExecuteAsync($"SET VARIABLE {name} = {literal}", cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync().ConfigureAwait(false);
}
