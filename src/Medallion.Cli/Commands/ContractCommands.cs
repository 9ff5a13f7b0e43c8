using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines.Contracts;
using Medallion.Platform;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion contract export|import</c>: a model's data contract as an Open Data Contract Standard v3 document, and
/// such a document kept in the project's <c>contracts/</c> folder, where builds enforce it.
/// </summary>
internal static class ContractCommands
{
    /// <summary>The contract formats; ODCS v3 is the one there is.</summary>
    internal enum ContractFormat
    {
        Odcs,
    }

    public static Command Create(TextWriter output)
    {
        var command = new Command("contract", "Export a model's data contract, or import one, as an Open Data Contract Standard (ODCS v3) document.");
        command.Subcommands.Add(CreateExport(output));
        command.Subcommands.Add(CreateImport(output));
        return command;
    }

    private static Option<ContractFormat> FormatOption() =>
        new("--format", "-f") { Description = "The document's standard: odcs (Open Data Contract Standard v3).", DefaultValueFactory = _ => ContractFormat.Odcs };

    private static Command CreateExport(TextWriter output)
    {
        var model = new Argument<string>("model") { Description = "The model, as namespace.name (e.g. gold.daily_revenue), or its bare name when only one namespace has it." };
        var file = new Option<string?>("--output", "-o") { Description = "Write the document to this file instead of standard output." };
        Option<ContractFormat> format = FormatOption();
        Option<string> project = ProjectOption.Create();
        var command = new Command("export", "Print a model's contract: columns with types (declared, else as built), keys, docs, classification, quality rules, owner and SLA; from the document the project keeps for it, when there is one.")
        {
            model, file, format, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using Lakehouse lakehouse = await Lakehouse.OpenAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            TableName name = lakehouse.ResolveTable(parsed.GetRequiredValue(model));
            string document = await lakehouse.ExportContractAsync(name, cancellationToken).ConfigureAwait(false);
            if (parsed.GetValue(file) is { } path)
            {
                await File.WriteAllTextAsync(path, document, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"Wrote the contract of {name} to {path}.").ConfigureAwait(false);
            }
            else
            {
                await output.WriteAsync(document).ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    private static Command CreateImport(TextWriter output)
    {
        var file = new Argument<string>("file") { Description = "The ODCS v3 document (YAML) to keep in the project's contracts/ folder." };
        Option<ContractFormat> format = FormatOption();
        Option<string> project = ProjectOption.Create();
        var command = new Command("import", "Keep a contract document in contracts/: the models it describes are then built to it (types enforced, keys and quality rules checked). The project must load with it, or nothing changes.")
        {
            file, format, project,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            string path = parsed.GetRequiredValue(file);
            if (!File.Exists(path))
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, $"{path} does not exist. Help: give the path of an ODCS v3 YAML document.");
            }

            OdcsImportResult result = await OdcsImport.ImportAsync(ProjectOption.Resolve(parsed, project), path, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(Render(result)).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static string Render(OdcsImportResult result)
    {
        var lines = new List<string> { $"{(result.Replaced ? "Replaced" : "Kept")} {result.Path}." };
        foreach (OdcsObject contract in result.Objects)
        {
            lines.Add($"  {contract.Model}: {contract.Columns.Count} columns, {contract.Columns.Count(c => c.DataType is not null)} typed (enforced at each build), {contract.Expectations.Count + contract.Columns.Sum(c => c.Constraints.Count) + contract.Constraints.Count} rules checked");
            lines.AddRange(contract.NotChecked.Select(rule => $"    kept, not checked: {rule}"));
        }

        return string.Join('\n', lines) + "\n";
    }
}
