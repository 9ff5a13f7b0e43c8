using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines.Planning;

namespace Medallion.Pipelines.Benchmarks;

/// <summary>
/// Issue 43's plan benchmark: a generated project of models in layers (each reads two models of the layer before), its
/// state recorded as a run records it, a few models changed (one breaking low in the graph, one non-breaking, one
/// metadata-only), then <c>medallion plan</c>'s work timed, against its floor measured in the same run: building the
/// model graph alone (DuckDB parsing every model), which any plan needs.
/// </summary>
internal static class PlanScenario
{
    private const int Layers = 5;
    private const int Rounds = 5;
    private static readonly TimeSpan s_goal = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(int models)
    {
        string root = Directory.CreateTempSubdirectory("medallion-plan-bench-").FullName;
        try
        {
            int width = Math.Max(1, models / Layers);
            Generate(root, width);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Plan benchmark: {width * Layers} models in {Layers} layers of {width}, {Environment.ProcessorCount} cores"));
            await using (ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(root))
            {
                await RecordStateAsync(environment);
            }

            // One breaking change in the first layer (its readers rebuild, layer by layer), one non-breaking, one of docs.
            Model(root, 0, 0, width, "SELECT id, v * 2 AS v FROM bronze.events WHERE id % 7 = 0");
            Model(root, 2, 1, width, null, extraColumn: true);
            Model(root, 3, 2, width, null, description: "the third layer's third model");
            var graphTimes = new List<double>();
            var planTimes = new List<double>();
            ProjectPlan? plan = null;
            for (int round = 0; round < Rounds; round++)
            {
                await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(root);
                await environment.GetCatalogAsync();
                Stopwatch graph = Stopwatch.StartNew();
                using (DuckDb.DuckDbConnection parser = environment.Engines.OpenScratch())
                {
                    await ModelGraph.BuildAsync(environment.Project, parser: parser);
                }

                graphTimes.Add(graph.Elapsed.TotalSeconds);
                Stopwatch timed = Stopwatch.StartNew();
                plan = await ProjectPlanner.PlanAsync(environment);
                planTimes.Add(timed.Elapsed.TotalSeconds);
            }

            double planSeconds = Median(planTimes), graphSeconds = Median(graphTimes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  changes: {string.Join(", ", plan!.Changes.GroupBy(c => c.Kind).Select(g => $"{g.Count()} {g.Key}"))}; {plan.Rebuilds.Count} to rebuild, {plan.UnchangedCount} unchanged"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  model graph alone (DuckDB parses every model): median {graphSeconds * 1000:N0} ms of {Rounds} rounds"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Plan of {width * Layers} models: median {planSeconds * 1000:N0} ms of {Rounds} rounds (min {planTimes.Min() * 1000:N0} ms, max {planTimes.Max() * 1000:N0} ms), {planSeconds / graphSeconds:0.00}x the graph alone; goal <= {s_goal.TotalSeconds:0} s: {(planSeconds <= s_goal.TotalSeconds ? "met" : "MISSED")}"));
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Records what a run of every model would: each model's fingerprint, SQL and columns, as prod's state.</summary>
    private static async Task RecordStateAsync(ProjectEnvironment environment)
    {
        CatalogStore catalog = await environment.GetCatalogAsync();
        using DuckDb.DuckDbConnection parser = environment.Engines.OpenScratch();
        ModelGraph graph = await ModelGraph.BuildAsync(environment.Project, parser: parser);
        IReadOnlyDictionary<TableName, ModelFingerprint> fingerprints = ModelFingerprints.Compute(graph);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        await catalog.Environments.SetModelStatesAsync(graph.Models.Select(m => new ModelStateRecord(
            ProjectPlanner.ProductionEnvironment,
            m.Name,
            fingerprints[m.Name].Fingerprint,
            fingerprints[m.Name].DefinitionHash,
            fingerprints[m.Name].MetadataHash,
            m.Sql,
            [new ModelColumnState("id", "BIGINT"), new ModelColumnState("v", "BIGINT")],
            "bench",
            now)).ToList());
    }

    private static void Generate(string root, int width)
    {
        Write(root, "medallion.yml", "name: plan_bench\nstorage: lake\n");
        Write(root, "sources/events.yml", "sources:\n  - name: events\n    format: csv\n    path: data/*.csv\n    target: bronze.events\n");
        for (int layer = 0; layer < Layers; layer++)
        {
            for (int i = 0; i < width; i++)
            {
                Model(root, layer, i, width, null);
            }
        }
    }

    private static void Model(string root, int layer, int index, int width, string? sql, bool extraColumn = false, string? description = null)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"m{layer}_{index:D3}");
        string extra = extraColumn ? ", a.v * 10 AS v10" : string.Empty;
        sql ??= layer == 0
            ? string.Create(CultureInfo.InvariantCulture, $"SELECT id, v + {index} AS v FROM bronze.events")
            : string.Create(CultureInfo.InvariantCulture,
                $"SELECT a.id, a.v + b.v AS v{extra}\nFROM layer{layer - 1}.m{layer - 1}_{index:D3} AS a\nJOIN layer{layer - 1}.m{layer - 1}_{(index + 1) % width:D3} AS b USING (id)\nWHERE a.v > {layer}");
        string config = description is null ? string.Empty : $"/* ---\ndescription: {description}\n--- */\n";
        Write(root, $"models/layer{layer}/{name}.sql", config + sql);
    }

    private static void Write(string root, string path, string text)
    {
        string full = Path.Combine(root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private static double Median(List<double> values)
    {
        List<double> sorted = [.. values.Order()];
        return sorted[sorted.Count / 2];
    }
}
