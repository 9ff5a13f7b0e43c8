using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Platform;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion lineage &lt;table&gt;</c>: table- or column-level lineage from the project's parsed models, or, with
/// <c>--env</c>, as an environment built it (the edges the catalog recorded of the tables it reads).
/// </summary>
internal static class LineageCommand
{
    internal enum LineageFormat
    {
        Text,
        Mermaid,
        Dot,
        Json,
    }

    public static Command Create(TextWriter output)
    {
        var table = new Argument<string>("table") { Description = "The table, as namespace.name (e.g. gold.daily_revenue), or its bare name when only one namespace has it." };
        var column = new Option<string?>("--column", "-c") { Description = "Follow one column instead of the whole table." };
        var upstream = new Option<bool>("--upstream") { Description = "Only what the table is computed from." };
        var downstream = new Option<bool>("--downstream") { Description = "Only what is computed from the table." };
        var format = new Option<LineageFormat>("--format", "-f") { Description = "Output format: text, mermaid, dot or json.", DefaultValueFactory = _ => LineageFormat.Text };
        var environment = new Option<string?>("--env", "-e")
        {
            Description = "Show the lineage as this environment built it (prod, or one built with medallion apply --env): the edges recorded of the tables it reads, prod's for a model it did not build. Without it, the lineage the project's files say now.",
        };
        Option<string> project = ProjectOption.Create();
        var command = new Command("lineage", "Show where a table's (or column's) data comes from and where it goes.") { table, column, upstream, downstream, format, environment, project };
        command.SetAction((parsed, cancellationToken) =>
        {
            bool up = parsed.GetValue(upstream), down = parsed.GetValue(downstream);
            LineageDirection direction = up == down ? LineageDirection.Both : up ? LineageDirection.Upstream : LineageDirection.Downstream;
            return RunAsync(ProjectOption.Resolve(parsed, project), parsed.GetRequiredValue(table), parsed.GetValue(column), direction, parsed.GetValue(environment), parsed.GetValue(format), output, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(string directory, string tableText, string? column, LineageDirection direction, string? environment, LineageFormat format, TextWriter output, CancellationToken cancellationToken)
    {
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(directory, cancellationToken).ConfigureAwait(false);
        TableName table = lakehouse.ResolveTable(tableText);
        IReadOnlyList<LineageEdge> edges = await lakehouse.GetLineageAsync(table, column, direction, environment, cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(Render(edges, table, column, format)).ConfigureAwait(false);
        return 0;
    }

    /// <summary>The lineage edges of a table (or one of its columns) as the command prints them; the quickstart's summary shows them too.</summary>
    internal static string Render(IReadOnlyList<LineageEdge> edges, TableName table, string? column, LineageFormat format)
    {
        string root = column is null ? table.ToString() : $"{table}.{column}";
        List<(string From, string To)> pairs = edges.Select(e => (Node(e.Upstream, e.UpstreamColumn), Node(e.Downstream, e.DownstreamColumn))).ToList();
        return format switch
        {
            LineageFormat.Mermaid => Mermaid(pairs, root),
            LineageFormat.Dot => Dot(pairs, root),
            LineageFormat.Json => Json(pairs, table, column),
            _ => Text(pairs, root),
        };
    }

    private static string Node(TableName table, string? column) => column is null ? table.ToString() : $"{table}.{column}";

    private static string Text(List<(string From, string To)> pairs, string root)
    {
        var text = new StringBuilder();
        text.Append(root).Append('\n');
        if (pairs.Count == 0)
        {
            text.Append("  (no lineage: nothing reads it and it reads nothing)\n");
        }

        foreach ((string from, string to) in pairs)
        {
            text.Append("  ").Append(from).Append(" -> ").Append(to).Append('\n');
        }

        return text.ToString();
    }

    private static string Mermaid(List<(string From, string To)> pairs, string root)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        string Id(string node)
        {
            if (!ids.TryGetValue(node, out string? id))
            {
                id = "n" + ids.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                ids[node] = id;
            }

            return id;
        }

        var text = new StringBuilder("flowchart LR\n");
        text.Append("  ").Append(Id(root)).Append("[\"").Append(root).Append("\"]\n");
        foreach ((string from, string to) in pairs)
        {
            text.Append("  ").Append(Id(from)).Append("[\"").Append(from).Append("\"] --> ").Append(Id(to)).Append("[\"").Append(to).Append("\"]\n");
        }

        text.Append("  style ").Append(Id(root)).Append(" stroke-width:3px\n");
        return text.ToString();
    }

    private static string Dot(List<(string From, string To)> pairs, string root)
    {
        var text = new StringBuilder("digraph lineage {\n  rankdir=LR;\n  node [shape=box];\n");
        text.Append("  \"").Append(root).Append("\" [style=bold];\n");
        foreach ((string from, string to) in pairs)
        {
            text.Append("  \"").Append(from).Append("\" -> \"").Append(to).Append("\";\n");
        }

        return text.Append("}\n").ToString();
    }

    private static string Json(List<(string From, string To)> pairs, TableName table, string? column)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("table", table.ToString());
            if (column is null)
            {
                writer.WriteNull("column");
            }
            else
            {
                writer.WriteString("column", column);
            }

            writer.WriteStartArray("edges");
            foreach ((string from, string to) in pairs)
            {
                writer.WriteStartObject();
                writer.WriteString("from", from);
                writer.WriteString("to", to);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
