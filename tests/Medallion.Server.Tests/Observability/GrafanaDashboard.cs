using System.Text.Json;

namespace Medallion.Server.Tests.Observability;

/// <summary>The Grafana dashboard shipped in deploy/grafana, read the way Grafana reads it.</summary>
public static class GrafanaDashboard
{
    public static JsonDocument Load()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "Medallion.slnx")))
        {
            directory = Path.GetDirectoryName(directory);
        }

        Assert.NotNull(directory);
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "deploy", "grafana", "medallion.json")));
    }

    /// <summary>Every query of every panel (rows' nested panels too), with the panel's title.</summary>
    public static List<(string Panel, string Expr)> Expressions(JsonDocument dashboard)
    {
        var found = new List<(string, string)>();
        Collect(dashboard.RootElement.GetProperty("panels"), found);
        return found;
    }

    /// <summary>Grafana's variables as Grafana fills them in for "All jobs" over the last hour.</summary>
    public static string Substitute(string expr) => expr
        .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
        .Replace("$__range", "1h", StringComparison.Ordinal)
        .Replace("$job", ".+", StringComparison.Ordinal);

    private static void Collect(JsonElement panels, List<(string, string)> found)
    {
        foreach (JsonElement panel in panels.EnumerateArray())
        {
            if (panel.TryGetProperty("panels", out JsonElement nested))
            {
                Collect(nested, found);
            }

            if (panel.TryGetProperty("targets", out JsonElement targets))
            {
                foreach (JsonElement target in targets.EnumerateArray())
                {
                    found.Add((panel.GetProperty("title").GetString()!, target.GetProperty("expr").GetString()!));
                }
            }
        }
    }
}
