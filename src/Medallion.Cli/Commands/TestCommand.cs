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
using Medallion.Pipelines;
using Medallion.Pipelines.Quality;
using Medallion.Platform;

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

    private static async Task<int> RunAsync(string directory, string? selection, bool strict, TestFormat format, TextWriter output, CancellationToken cancellationToken)
    {
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
        QualityCheckResult result = await QualityCheck.CheckAsync(environment, selection, strict, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(format == TestFormat.Json ? Json(result) : Table(result)).ConfigureAwait(false);
        return result.Failed ? MedallionCli.Failure : 0;
    }

    private static string Table(QualityCheckResult result)
    {
        if (result.Models.Count == 0)
        {
            return "No expectations to check: the selected models declare none.\n";
        }

        string[] header = ["model", "rule", "severity", "result", "failing rows", "sample"];
        var rows = new List<string[]>();
        var errors = new StringBuilder();
        foreach (ModelCheck outcome in result.Models)
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

            foreach (ExpectationResult rule in outcome.Results)
            {
                bool rowLevel = !ExpectationChecker.IsTableLevel(rule.Rule.Kind);
                rows.Add([
                    model, rule.Rule.Name, QualityReport.SeverityName(rule.Rule.Severity), rule.Passed ? "pass" : rule.Rule.Severity == ExpectationSeverity.Fail ? "FAIL" : "WARN",
                    rowLevel ? rule.FailingRows.ToString("N0", CultureInfo.InvariantCulture) : "-", Sample(rule.SampleRowsJson),
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

        return text.Append(errors).Append(result.Summary).Append(" Run ").Append(result.RunId).Append(".\n").ToString();
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

    private static string Json(QualityCheckResult checkResult)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("run_id", checkResult.RunId);
            json.WriteBoolean("failed", checkResult.Failed);
            json.WriteStartArray("models");
            foreach (ModelCheck outcome in checkResult.Models)
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
