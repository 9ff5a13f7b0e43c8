using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.Pipelines;
using Medallion.Pipelines.Quality;

namespace Medallion.Platform;

/// <summary>
/// Checks the expectations of models against the current data of their tables, without building anything, and
/// records the results in the catalog under a new run.
/// </summary>
/// <remarks>
/// Only reads the tables: a broken <c>quarantine</c> rule moves no rows here. A model whose table does not exist
/// is reported as not built; a model whose rules cannot run is reported with its error, and the others are still
/// checked.
/// </remarks>
public static class QualityCheck
{
    /// <summary>Checks the expectations of the models <paramref name="selection"/> picks.</summary>
    /// <param name="environment">The project (local storage and a SQLite catalog), its catalog and engines.</param>
    /// <param name="selection">A model selection (<c>silver.*</c>, <c>tag:daily</c>, <c>+model</c>, ...); null for every model.</param>
    /// <param name="strict">Also fail on broken <c>warn</c> and <c>quarantine</c> rules and on models not built yet.</param>
    /// <param name="cancellationToken">Stops the check; the run is recorded as cancelled.</param>
    /// <exception cref="MedallionException">The selection or the models do not parse, or the catalog is not local (<see cref="ErrorCode.RunStorageUnsupported"/>).</exception>
    public static async Task<QualityCheckResult> CheckAsync(ProjectEnvironment environment, string? selection = null, bool strict = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        MedallionProject project = environment.Project;
        ModelGraph graph = await ModelGraph.BuildAsync(project, cancellationToken: cancellationToken).ConfigureAwait(false);
        IReadOnlySet<TableName> selected = graph.Select(selection);
        List<ModelDefinition> models = [.. graph.Models.Where(m => selected.Contains(m.Name) && m.Config.Expectations.Count > 0)];

        CatalogStore catalog = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
        // The tables prod serves: after a promotion, the promoted ones.
        ITableLocator locator = await environment.GetTableLocatorAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        {
            RunRecord run = await catalog.Runs.StartRunAsync(selection, cancellationToken).ConfigureAwait(false);
            var checks = new List<ModelCheck>();
            try
            {
                LakehouseSession session = await LakehouseSession.OpenAsync(locator, engines: environment.Engines, cancellationToken: cancellationToken).ConfigureAwait(false);
                await using (session.ConfigureAwait(false))
                {
                    foreach (ModelDefinition model in models)
                    {
                        checks.Add(await CheckModelAsync(session, locator, catalog, model, run.Id, cancellationToken).ConfigureAwait(false));
                    }
                }
            }
            catch (Exception exception)
            {
                await catalog.Runs.FinishRunAsync(run.Id, exception is OperationCanceledException ? RunStatus.Cancelled : RunStatus.Failed, exception.Message, CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            bool failed = checks.Any(o => o.Error is not null || o.Results.Any(r => !r.Passed && (strict || r.Rule.Severity == ExpectationSeverity.Fail)))
                || (strict && checks.Any(o => !o.Built));
            string summary = Summarize(checks);
            await catalog.Runs.FinishRunAsync(run.Id, failed ? RunStatus.Failed : RunStatus.Succeeded, failed ? summary : null, cancellationToken).ConfigureAwait(false);
            return new QualityCheckResult(run.Id, checks, failed, summary);
        }
    }

    private static async Task<ModelCheck> CheckModelAsync(
        LakehouseSession session, ITableLocator locator, CatalogStore catalog, ModelDefinition model, string runId, CancellationToken cancellationToken)
    {
        if (await locator.FindAsync(model.Name.Namespace, model.Name.Name, cancellationToken).ConfigureAwait(false) is null)
        {
            return new ModelCheck(model.Name, [], Built: false, Error: null);
        }

        string relation = $"{DuckDbConnection.QuoteIdentifier(model.Name.Namespace)}.{DuckDbConnection.QuoteIdentifier(model.Name.Name)}";
        try
        {
            // Tables written since the session opened (by a run in parallel) are read at their latest version.
            await session.RefreshAsync(cancellationToken).ConfigureAwait(false);
            QualityReport report = await ExpectationChecker.CheckAsync(
                session.Connection, relation, model.Name, model.Config.Expectations, runId, DateTimeOffset.UtcNow, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (QualityResultRecord record in report.ToRecords())
            {
                await catalog.Quality.RecordQualityResultAsync(record, cancellationToken).ConfigureAwait(false);
            }

            return new ModelCheck(model.Name, report.Results, Built: true, Error: null);
        }
        catch (MedallionException exception) when (exception.Code is ErrorCode.QualityColumnMissing or ErrorCode.QualityRuleInvalid or ErrorCode.QualityRuleCannotRun)
        {
            // One model's broken rule must not hide the results of the others.
            return new ModelCheck(model.Name, [], Built: true, exception);
        }
    }

    private static string Summarize(List<ModelCheck> checks)
    {
        List<ExpectationResult> results = [.. checks.SelectMany(o => o.Results)];
        int broken(ExpectationSeverity severity) => results.Count(r => !r.Passed && r.Rule.Severity == severity);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Count(results.Count, "rule")} on {Count(checks.Count(o => o.Built && o.Error is null), "model")}: {results.Count(r => r.Passed)} passed, ");
        text.Append(CultureInfo.InvariantCulture, $"{broken(ExpectationSeverity.Fail)} failed, {broken(ExpectationSeverity.Quarantine)} quarantine, {broken(ExpectationSeverity.Warn)} warned");
        int notBuilt = checks.Count(o => !o.Built);
        int errors = checks.Count(o => o.Error is not null);
        if (notBuilt > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"; {notBuilt} not built");
        }

        if (errors > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"; {errors} could not be checked");
        }

        return text.Append('.').ToString();
    }

    private static string Count(int count, string noun) => count.ToString(CultureInfo.InvariantCulture) + " " + (count == 1 ? noun : noun + "s");
}
