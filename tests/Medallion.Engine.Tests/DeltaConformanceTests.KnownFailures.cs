using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace Medallion.Engine.Tests;

public sealed partial class DeltaConformanceTests
{
    /// <summary>
    /// The one list of conformance checks expected to fail, with why, keyed <c>case/kind@detail</c>. A listed check
    /// that passes fails its test, so the list stays honest. test.sh prints this list (written by
    /// <see cref="Known_failures_and_parts_not_run_name_cases_of_the_suite_and_are_written_for_the_test_run_to_print"/>) after the tests.
    /// </summary>
    internal static readonly Dictionary<string, string> KnownFailures = new(StringComparer.Ordinal)
    {
    };

    /// <summary>Parts of a check this suite does not run, with why; printed with the known failures so nothing is left out silently.</summary>
    internal static readonly Dictionary<string, string> NotRunHere = new(StringComparer.Ordinal)
    {
        ["drs-checkpoints/writer_task (checkpoint-writing steps)"] =
            "the steps write checkpoints with a Delta writer, which is the write side's job; this suite checks only the read facts of the task (latest version 12, 12 active files)",
    };

    [Fact]
    public void Known_failures_and_parts_not_run_name_cases_of_the_suite_and_are_written_for_the_test_run_to_print()
    {
        string[] unknownCases = KnownFailures.Keys.Concat(NotRunHere.Keys)
            .Select(key => key.Split('/')[0])
            .Where(caseName => !Directory.Exists(Path.Combine(ConformanceTables.Root, caseName)))
            .ToArray();
        Assert.Empty(unknownCases);

        string file = Path.Combine(RepositoryRoot(), "artifacts", "test-results", "known-failures.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var lines = new List<string> { $"Delta conformance: {KnownFailures.Count} known failure(s)" };
        lines.AddRange(KnownFailures.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"  KNOWN FAILURE {p.Key}: {p.Value}"));
        lines.Add($"Delta conformance: {NotRunHere.Count} check part(s) not run by the read suite");
        lines.AddRange(NotRunHere.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"  NOT RUN {p.Key}: {p.Value}"));
        File.WriteAllLines(file, lines);
    }

    /// <summary>Runs one check, applying <see cref="KnownFailures"/>.</summary>
    private async Task RunAsync(string id, Func<Task> check)
    {
        Exception? failure = null;
        try
        {
            await check();
        }
        catch (Exception e) when (e is MedallionException or Xunit.Sdk.XunitException)
        {
            failure = e;
        }

        if (KnownFailures.TryGetValue(id, out string? reason))
        {
            output.WriteLine($"KNOWN FAILURE {id}: {reason}");
            Assert.True(failure is not null, $"{id} is listed as a known failure ({reason}) but now passes; remove it from the list.");
            return;
        }

        if (failure is not null)
        {
            throw new Xunit.Sdk.XunitException($"{id}: {failure.GetType().Name}: {failure.Message}");
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Medallion.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Medallion.slnx was not found above " + AppContext.BaseDirectory);
    }
}
