using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.Pipelines;
using Medallion.Pipelines.Quality;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion test</c>: checks the expectations of the selected models against the current data of their tables,
/// records the results in the catalog under a new run, and prints one line per rule.
/// </summary>
/// <remarks>
/// Exit code 1 when a <c>fail</c> rule broke or a model's rules could not be checked (a misspelt column, a
/// missing referenced table); with <c>--strict</c> also when any rule broke (warn and quarantine too) or a
/// selected model has no table yet. A model whose table does not exist is reported as not built.
/// The command only reads: a broken <c>quarantine</c> rule moves no rows here and shows as WARN, like <c>warn</c>.
/// </remarks>
internal static class TestCommand
{
    internal enum TestFormat
    {
        Table,
        Json,
    }

    private const int SampleWidth = 80;

    public static Command Create(TextWriter output)
    {
        var select = new Option<string?>("--select", "-s") { Description = "Models to check: model, tag:x, namespace.*, +model (with upstream), model+ (with downstream). Default: every model." };
        var strict = new Option<bool>("--strict") { Description = "Also exit non-zero when a warn or quarantine rule broke, or a selected model has no table yet." };
        var format = new Option<TestFormat>("--format", "-f") { Description = "Output format: table or json.", DefaultValueFactory = _ => TestFormat.Table };
        Option<string> project = ProjectOption.Create();
        var command = new Command("test", "Check the expectations of models against the current data of their tables, and record the results.") { select, strict, format, project };
        command.SetAction((parsed, cancellationToken) =>
            RunAsync(ProjectOption.Resolve(parsed, project), parsed.GetValue(select), parsed.GetValue(strict), parsed.GetValue(format), output, cancellationToken));
        return command;
    }

    private sealed record ModelOutcome(TableName Model, IReadOnlyList<ExpectationResult> Results, bool Built, MedallionException? Error);

    private static async Task<int> RunAsync(string directory, string? selection, bool strict, TestFormat format, TextWriter output, CancellationToken cancellationToken)
    {
        MedallionProject project = await MedallionProject.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
        ModelGraph graph = await ModelGraph.BuildAsync(project, cancellationToken: cancellationToken).ConfigureAwait(false);
        IReadOnlySet<TableName> selected = graph.Select(selection);
        List<ModelDefinition> models = [.. graph.Models.Where(m => selected.Contains(m.Name) && m.Config.Expectations.Count > 0)];

        string storage = project.Resolve(project.Storage);
        string catalogPath = project.Resolve(project.Catalog);
        if (StorageResolver.IsUri(catalogPath))
        {
            throw new MedallionException(ErrorCode.ProjectFileInvalid,
                $"The project's catalog is {catalogPath}; medallion test works with a SQLite catalog only for now. Help: point catalog at a local path in {MedallionProject.FileName}.");
        }

        var locator = new DirectoryTableLocator(storage);
        CatalogStore catalog = await CatalogStore.OpenAsync(catalogPath, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (catalog.ConfigureAwait(false))
        {
            RunRecord run = await catalog.StartRunAsync(selection, cancellationToken).ConfigureAwait(false);
            var outcomes = new List<ModelOutcome>();
            try
            {
                LakehouseSession session = await LakehouseSession.OpenAsync(locator, cancellationToken: cancellationToken).ConfigureAwait(false);
                await using (session.ConfigureAwait(false))
                {
                    foreach (ModelDefinition model in models)
                    {
                        outcomes.Add(await CheckModelAsync(session, locator, catalog, model, run.Id, cancellationToken).ConfigureAwait(false));
                    }
                }
            }
            catch (Exception exception)
            {
                await catalog.FinishRunAsync(run.Id, exception is OperationCanceledException ? RunStatus.Cancelled : RunStatus.Failed, exception.Message, CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            bool failed = outcomes.Any(o => o.Error is not null || o.Results.Any(r => !r.Passed && (strict || r.Rule.Severity == ExpectationSeverity.Fail)))
                || (strict && outcomes.Any(o => !o.Built));
            await catalog.FinishRunAsync(run.Id, failed ? RunStatus.Failed : RunStatus.Succeeded, failed ? Summary(outcomes) : null, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(format == TestFormat.Json ? Json(run.Id, outcomes, failed) : Table(run.Id, outcomes, models.Count == 0)).ConfigureAwait(false);
            return failed ? MedallionCli.Failure : 0;
        }
    }

    private static async Task<ModelOutcome> CheckModelAsync(
        LakehouseSession session, DirectoryTableLocator locator, CatalogStore catalog, ModelDefinition model, string runId, CancellationToken cancellationToken)
    {
        if (await locator.FindAsync(model.Name.Namespace, model.Name.Name, cancellationToken).ConfigureAwait(false) is null)
        {
            return new ModelOutcome(model.Name, [], Built: false, Error: null);
        }

        string relation = $"{DuckDbConnection.QuoteIdentifier(model.Name.Namespace)}.{DuckDbConnection.QuoteIdentifier(model.Name.Name)}";
        try
        {
            // Tables written since the session opened (by a run in parallel) are read at their latest version.
            await session.RefreshAsync(cancellationToken).ConfigureAwait(false);
            QualityReport report = await ExpectationChecker.CheckAsync(
                session.Connection, relation, model.Name, model.Config.Expectations, runId, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
            foreach (QualityResultRecord record in report.ToRecords())
            {
                await catalog.RecordQualityResultAsync(record, cancellationToken).ConfigureAwait(false);
            }

            return new ModelOutcome(model.Name, report.Results, Built: true, Error: null);
        }
        catch (MedallionException exception) when (exception.Code is ErrorCode.QualityColumnMissing or ErrorCode.QualityRuleInvalid or ErrorCode.QualityRuleCannotRun)
        {
            // One model's broken rule must not hide the results of the others.
            return new ModelOutcome(model.Name, [], Built: true, exception);
        }
    }

    private static string Summary(List<ModelOutcome> outcomes)
    {
        List<ExpectationResult> results = [.. outcomes.SelectMany(o => o.Results)];
        int broken(ExpectationSeverity severity) => results.Count(r => !r.Passed && r.Rule.Severity == severity);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Count(results.Count, "rule")} on {Count(outcomes.Count(o => o.Built && o.Error is null), "model")}: {results.Count(r => r.Passed)} passed, ");
        text.Append(CultureInfo.InvariantCulture, $"{broken(ExpectationSeverity.Fail)} failed, {broken(ExpectationSeverity.Quarantine)} quarantine, {broken(ExpectationSeverity.Warn)} warned");
        int notBuilt = outcomes.Count(o => !o.Built);
        int errors = outcomes.Count(o => o.Error is not null);
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

    private static string Table(string runId, List<ModelOutcome> outcomes, bool nothingSelected)
    {
        if (nothingSelected)
        {
            return "No expectations to check: the selected models declare none.\n";
        }

        string[] header = ["model", "rule", "severity", "result", "failing rows", "sample"];
        var rows = new List<string[]>();
        var errors = new StringBuilder();
        foreach (ModelOutcome outcome in outcomes)
        {
            string model = outcome.Model.ToString();
            if (!outcome.Built)
            {
                rows.Add([model, "-", "-", "not built", string.Empty, "the table does not exist yet (medallion run builds it)"]);
            }
            else if (outcome.Error is { } error)
            {
                rows.Add([model, "-", "-", "error", string.Empty, error.CodeText]);
                errors.Append(CultureInfo.InvariantCulture, $"Error {error.CodeText}: {error.Message}\n");
            }

            foreach (ExpectationResult result in outcome.Results)
            {
                bool rowLevel = !ExpectationChecker.IsTableLevel(result.Rule.Kind);
                rows.Add([
                    model, result.Rule.Name, QualityReport.SeverityName(result.Rule.Severity), result.Passed ? "pass" : result.Rule.Severity == ExpectationSeverity.Fail ? "FAIL" : "WARN",
                    rowLevel ? result.FailingRows.ToString("N0", CultureInfo.InvariantCulture) : "-", Sample(result.SampleRowsJson),
                ]);
            }
        }

        int[] widths = [.. header.Select((name, i) => Math.Max(name.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length)))];
        var text = new StringBuilder();
        string Line(string[] cells) => (" " + string.Join(" │ ", cells.Select((value, i) => i == 4 ? value.PadLeft(widths[i]) : value.PadRight(widths[i])))).TrimEnd() + "\n";
        text.Append(Line(header));
        text.Append('─').AppendJoin("─┼─", widths.Select(w => new string('─', w))).Append('\n');
        foreach (string[] row in rows)
        {
            text.Append(Line(row));
        }

        return text.Append(errors).Append(Summary(outcomes)).Append(" Run ").Append(runId).Append(".\n").ToString();
    }

    /// <summary>The first failing row (or observation) of a sample, cut to fit a terminal line.</summary>
    private static string Sample(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        if (document.RootElement.GetArrayLength() == 0)
        {
            return string.Empty;
        }

        string first = document.RootElement[0].GetRawText();
        return first.Length <= SampleWidth ? first : first[..(SampleWidth - 1)] + "…";
    }

    private static string Json(string runId, List<ModelOutcome> outcomes, bool failed)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("run_id", runId);
            json.WriteBoolean("failed", failed);
            json.WriteStartArray("models");
            foreach (ModelOutcome outcome in outcomes)
            {
                json.WriteStartObject();
                json.WriteString("model", outcome.Model.ToString());
                json.WriteString("status", !outcome.Built ? "not_built" : outcome.Error is null ? "checked" : "error");
                if (outcome.Error is { } error)
                {
                    json.WriteString("error_code", error.CodeText);
                    json.WriteString("error", error.Message);
                }

                json.WriteStartArray("results");
                foreach (ExpectationResult result in outcome.Results)
                {
                    json.WriteStartObject();
                    json.WriteString("rule", result.Rule.Name);
                    json.WriteString("severity", QualityReport.SeverityName(result.Rule.Severity));
                    json.WriteBoolean("passed", result.Passed);
                    json.WriteNumber("failing_rows", result.FailingRows);
                    json.WritePropertyName("sample");
                    json.WriteRawValue(result.SampleRowsJson);
                    json.WriteString("location", result.Rule.Location.ToString());
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
