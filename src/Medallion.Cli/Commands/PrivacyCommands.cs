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
using Medallion.Cli.Output;
using Medallion.Pipelines.Privacy;
using Medallion.Platform;
using Medallion.Platform.Json;
using Medallion.Platform.Privacy;

namespace Medallion.Cli.Commands;

/// <summary>
/// The data protection commands: <c>medallion pii scan</c>, <c>medallion subject find|export|erase</c> (LGPD Art. 18
/// and 19) and <c>medallion retention</c>. The operations live in <see cref="Lakehouse"/>; these parse and render.
/// </summary>
internal static class PrivacyCommands
{
    public static IEnumerable<Command> Create(TextWriter output)
    {
        yield return Pii(output);
        yield return Subject(output);
        yield return Retention(output);
    }

    private static Command Pii(TextWriter output)
    {
        var table = new Argument<string?>("table") { Description = "Only this table (namespace.name); all built tables when left out.", Arity = ArgumentArity.ZeroOrOne };
        var sample = new Option<int>("--sample") { Description = "Rows sampled per table.", DefaultValueFactory = _ => PiiSampler.DefaultSampleRows };
        var write = new Option<bool>("--write") { Description = "Write the suggested classifications into the models' files." };
        Option<ReportFormat> format = CommonOptions.ReportFormat();
        Option<string> project = ProjectOption.Create();
        var scan = new Command("scan", "Sample every text column and report those holding CPFs, CNPJs, e-mails, phones, CEPs or card numbers.") { table, sample, write, format, project };
        scan.SetAction(async (parsed, cancellationToken) =>
        {
            await using Lakehouse lakehouse = await Lakehouse.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            TableName? one = parsed.GetValue(table) is { } text ? lakehouse.ResolveTable(text) : null;
            IReadOnlyList<PiiColumnFinding> findings = await lakehouse.ScanPiiAsync(one, parsed.GetValue(sample), cancellationToken).ConfigureAwait(false);
            IReadOnlyList<string> written = parsed.GetValue(write) ? await lakehouse.WriteClassificationsAsync(findings, cancellationToken).ConfigureAwait(false) : [];
            if (parsed.GetValue(format) == ReportFormat.Json)
            {
                JsonReport.Write(output, json =>
                {
                    json.WriteStartObject();
                    json.WriteStartArray("columns");
                    foreach (PiiColumnFinding f in findings)
                    {
                        json.WriteStartObject();
                        JsonReport.String(json, "table", f.Table.ToString());
                        JsonReport.String(json, "column", f.Column);
                        JsonReport.String(json, "classification", f.Classification);
                        JsonReport.Number(json, "sampled", f.Sampled);
                        JsonReport.String(json, "detected", f.Detected is { } k ? PiiDetector.Name(k) : null);
                        JsonReport.String(json, "suggested_classification", f.SuggestedClassification);
                        JsonReport.String(json, "model_file", f.ModelFile);
                        json.WriteStartObject("shares");
                        foreach (PiiShare share in f.Shares)
                        {
                            json.WriteNumber(PiiDetector.Name(share.Kind), Math.Round(share.Share, 4));
                        }

                        json.WriteEndObject();
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                    JsonReport.Strings(json, "written", written);
                    json.WriteEndObject();
                });
                return 0;
            }

            if (findings.Count == 0)
            {
                await output.WriteLineAsync("No text column holds personal identifiers in its sample.").ConfigureAwait(false);
                return 0;
            }

            TextTable.Write(output, ["table", "column", "holds", "classification", "suggested"], [false, false, false, false, false],
                findings.Select(f => new[]
                {
                    f.Table.ToString(),
                    f.Column,
                    string.Join(", ", f.Shares.Select(s => $"{PiiDetector.Name(s.Kind)} {s.Share.ToString("P0", CultureInfo.InvariantCulture)}")),
                    f.Classification ?? "-",
                    f.SuggestedClassification ?? "-",
                }).ToList());
            foreach (string line in written)
            {
                await output.WriteLineAsync("classified: " + line).ConfigureAwait(false);
            }

            int pending = findings.Count(f => f.SuggestedClassification is not null) - written.Count;
            if (pending > 0)
            {
                await output.WriteLineAsync($"{pending} column(s) hold personal data without a classification. Help: 'medallion pii scan --write' classifies the models' columns; classify source columns downstream.").ConfigureAwait(false);
            }

            return 0;
        });
        return new Command("pii", "Find personal data in the lake.") { scan };
    }

    private static Command Subject(TextWriter output)
    {
        var subject = new Command("subject", "Answer a data subject's request (LGPD Art. 18): find, export or erase everything held about a person.");
        subject.Add(SubjectFind(output));
        subject.Add(SubjectExport(output));
        subject.Add(SubjectErase(output));
        return subject;
    }

    /// <summary>One option per identifier kind: <c>--cpf</c>, <c>--cnpj</c>, <c>--email</c>, <c>--phone</c>, <c>--cep</c>, <c>--card-number</c>.</summary>
    private static List<(PiiKind Kind, Option<string?> Option)> IdentifierOptions() =>
        PiiDetector.Kinds.Select(k => (k, new Option<string?>("--" + PiiDetector.Name(k).Replace('_', '-')) { Description = $"The person's {PiiDetector.Describe(k)}." })).ToList();

    private static SubjectIdentifier Identifier(ParseResult parsed, List<(PiiKind Kind, Option<string?> Option)> options)
    {
        List<(PiiKind Kind, string Value)> given = options.Where(o => parsed.GetValue(o.Option) is not null).Select(o => (o.Kind, parsed.GetValue(o.Option)!)).ToList();
        if (given.Count != 1)
        {
            throw new MedallionException(ErrorCode.SubjectRequestInvalid,
                $"{(given.Count == 0 ? "No identifier given" : "Several identifiers given")}: a request names the person by exactly one.\nHelp: give one of {string.Join(", ", options.Select(o => o.Option.Name))}, e.g. --cpf 390.533.447-05.");
        }

        return SubjectIdentifier.Parse(given[0].Kind, given[0].Value);
    }

    private static Command SubjectFind(TextWriter output)
    {
        List<(PiiKind Kind, Option<string?> Option)> ids = IdentifierOptions();
        Option<ReportFormat> format = CommonOptions.ReportFormat();
        Option<string> project = ProjectOption.Create();
        var command = new Command("find", "List every table and row holding the person.") { format, project };
        ids.ForEach(i => command.Add(i.Option));
        command.SetAction(async (parsed, cancellationToken) =>
        {
            SubjectIdentifier subject = Identifier(parsed, ids);
            await using Lakehouse lakehouse = await Lakehouse.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            SubjectSearch search = await lakehouse.FindSubjectAsync(subject, cancellationToken).ConfigureAwait(false);
            if (parsed.GetValue(format) == ReportFormat.Json)
            {
                JsonReport.Write(output, json => WriteSearch(json, search));
                return 0;
            }

            await output.WriteLineAsync($"{subject}: {search.Tables.Sum(t => t.Rows.Count)} row(s) in {search.Tables.Count} of {search.Searched.Count + search.SearchedElsewhere.Count} tables").ConfigureAwait(false);
            TextTable.Write(output, ["table", "rows", "found by", "on erasure"], [false, true, false, false],
                search.Tables.Select(t => new[] { t.DisplayName, t.Rows.Count.ToString(CultureInfo.InvariantCulture), string.Join(", ", t.MatchedColumns), t.Policy == ErasurePolicy.Anonymize ? "anonymize" : "delete" }).ToList());
            return 0;
        });
        return command;
    }

    private static Command SubjectExport(TextWriter output)
    {
        List<(PiiKind Kind, Option<string?> Option)> ids = IdentifierOptions();
        var format = new Option<string>("--format", "-f") { Description = "json or csv.", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "csv");
        var outDir = new Option<string?>("--out", "-o") { Description = "Write subject.json or subject.csv into this folder instead of printing." };
        Option<string> project = ProjectOption.Create();
        var command = new Command("export", "Everything held about the person, each value with its table, column and column description (LGPD Art. 19).") { format, outDir, project };
        ids.ForEach(i => command.Add(i.Option));
        command.SetAction(async (parsed, cancellationToken) =>
        {
            SubjectIdentifier subject = Identifier(parsed, ids);
            await using Lakehouse lakehouse = await Lakehouse.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            SubjectSearch search = await lakehouse.FindSubjectAsync(subject, cancellationToken).ConfigureAwait(false);
            bool csv = parsed.GetValue(format) == "csv";
            var text = new StringWriter(CultureInfo.InvariantCulture);
            if (csv)
            {
                WriteCsv(text, search);
            }
            else
            {
                JsonReport.Write(text, json => WriteSearch(json, search));
            }

            if (parsed.GetValue(outDir) is { } dir)
            {
                Directory.CreateDirectory(dir);
                string path = Path.Combine(dir, csv ? "subject.csv" : "subject.json");
                await File.WriteAllTextAsync(path, text.ToString(), cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"Exported {search.Tables.Sum(t => t.Rows.Count)} row(s) from {search.Tables.Count} table(s) to {path}").ConfigureAwait(false);
            }
            else
            {
                await output.WriteAsync(text.ToString()).ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    private static Command SubjectErase(TextWriter output)
    {
        List<(PiiKind Kind, Option<string?> Option)> ids = IdentifierOptions();
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be erased and which files removed; change nothing." };
        Option<ReportFormat> format = CommonOptions.ReportFormat();
        Option<string> project = ProjectOption.Create();
        var command = new Command("erase", "Delete (or anonymise) the person's rows in every table, along lineage, and remove the older files that still hold them.") { dryRun, format, project };
        ids.ForEach(i => command.Add(i.Option));
        command.SetAction(async (parsed, cancellationToken) =>
        {
            SubjectIdentifier subject = Identifier(parsed, ids);
            string directory = ProjectOption.Resolve(parsed, project);
            await using Lakehouse lakehouse = await Lakehouse.OpenAsync(directory, cancellationToken).ConfigureAwait(false);
            ErasureReport report = await lakehouse.EraseSubjectAsync(subject, Environment.UserName, parsed.GetValue(dryRun), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!report.DryRun)
            {
                // The erasure report in the audit, where no one can change or remove it through the platform.
                await CliAudit.RecordAsync(directory, "subject.erase", report.Id, JsonSerializer.Serialize(report, ErasureReportJson.Default.ErasureReport), cancellationToken).ConfigureAwait(false);
            }

            if (parsed.GetValue(format) == ReportFormat.Json)
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(report, ErasureReportJson.Default.ErasureReport)).ConfigureAwait(false);
                return 0;
            }

            await output.WriteLineAsync($"{(report.DryRun ? "Dry run of " : string.Empty)}{report.Id} for {report.Subject}: {report.Rows} row(s) in {report.Tables.Count} table(s)").ConfigureAwait(false);
            TextTable.Write(output, ["table", "action", "rows", "version", "old files removed", "versions unreadable"], [false, false, true, true, true, false],
                report.Tables.Select(t => new[]
                {
                    t.Table, t.Action, t.Rows.ToString(CultureInfo.InvariantCulture), t.CommittedVersion?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    t.RemovedFiles.Count.ToString(CultureInfo.InvariantCulture), t.UnreadableVersions is { } v ? $"{v.First}..{v.Last}" : "-",
                }).ToList());
            await output.WriteLineAsync(report.SavedTo is { } saved ? $"Report: {saved}" : "Nothing was changed (dry run).").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command Retention(TextWriter output)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Count the rows past their retention; delete nothing." };
        Option<string> project = ProjectOption.Create();
        var command = new Command("retention", "Delete the rows older than each model's retention (retention: {column, keep}).") { dryRun, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using Lakehouse lakehouse = await Lakehouse.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            IReadOnlyList<RetentionOutcome> outcomes = await lakehouse.ApplyRetentionAsync(DateTimeOffset.UtcNow, parsed.GetValue(dryRun), cancellationToken).ConfigureAwait(false);
            if (outcomes.Count == 0)
            {
                await output.WriteLineAsync("No built table has a retention.").ConfigureAwait(false);
                return 0;
            }

            TextTable.Write(output, ["table", "column", "keep", "before", parsed.GetValue(dryRun) ? "rows to delete" : "rows deleted", "version"], [false, false, false, false, true, true],
                outcomes.Select(o => new[]
                {
                    o.DisplayName, o.Column, o.Keep, JsonReport.FormatTime(o.Cutoff), o.Rows.ToString(CultureInfo.InvariantCulture), o.CommittedVersion?.ToString(CultureInfo.InvariantCulture) ?? "-",
                }).ToList());
            return 0;
        });
        return command;
    }

    private static void WriteSearch(Utf8JsonWriter json, SubjectSearch search)
    {
        json.WriteStartObject();
        JsonReport.String(json, "subject", search.Subject.ToString());
        json.WriteStartArray("tables");
        foreach (SubjectTableMatch table in search.Tables)
        {
            json.WriteStartObject();
            JsonReport.String(json, "table", table.Table.ToString());
            if (table.Environments.Count > 0)
            {
                // Another physical table than prod's: what points at it (an environment, a kept set, the janitor's wait).
                JsonReport.Strings(json, "environments", table.Environments);
            }

            JsonReport.Number(json, "version", table.Version);
            JsonReport.Strings(json, "matched_columns", table.MatchedColumns);
            json.WriteStartArray("rows");
            foreach (IReadOnlyList<SubjectValue> row in table.Rows)
            {
                json.WriteStartArray();
                foreach (SubjectValue value in row)
                {
                    json.WriteStartObject();
                    JsonReport.String(json, "column", value.Column);
                    JsonReport.String(json, "description", value.Description);
                    JsonReport.String(json, "classification", value.Classification);
                    json.WritePropertyName("value");
                    JsonValues.Write(json, value.Value);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>One line per value: table, row number, column, description, classification, value.</summary>
    private static void WriteCsv(TextWriter text, SubjectSearch search)
    {
        text.Write("table,row,column,description,classification,value\n");
        foreach (SubjectTableMatch table in search.Tables)
        {
            for (int r = 0; r < table.Rows.Count; r++)
            {
                foreach (SubjectValue value in table.Rows[r])
                {
                    text.Write(string.Join(",", new[]
                    {
                        table.DisplayName, (r + 1).ToString(CultureInfo.InvariantCulture), value.Column, value.Description ?? string.Empty,
                        value.Classification ?? string.Empty, value.Value is null ? string.Empty : Convert.ToString(value.Value, CultureInfo.InvariantCulture) ?? string.Empty,
                    }.Select(Csv)));
                    text.Write('\n');
                }
            }
        }
    }

    private static string Csv(string field) =>
        field.AsSpan().IndexOfAny(",\"\n\r") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
