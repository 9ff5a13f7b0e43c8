using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Engine;
using Medallion.Pipelines.Running;
using Medallion.Storage;

namespace Medallion.Pipelines.Environments;

/// <summary>
/// The janitor (<c>medallion janitor</c>, and a step of the server's housekeeping): removes the physical tables of model
/// versions (<c>&lt;namespace storage&gt;/_versions/&lt;model&gt;/&lt;fingerprint&gt;</c>, see <see cref="ModelTables"/>) that no
/// environment has pointed at for longer than a retention.
/// </summary>
/// <remarks>
/// <para>What it guarantees: a table an environment points at, or a set kept for <c>medallion rollback</c> holds, is never
/// removed; nor is one that lost its last pointer less than the retention ago (the catalog records when, see
/// <see cref="EnvironmentStore.ListTablesAsync"/>); nor one whose files a live shallow clone reads
/// (<see cref="CloneReferences"/>). A table found in the lake that the catalog never knew (an apply stopped before it
/// recorded its pointer) is recorded as unpointed when first found, so its retention starts then. A clone's own folder
/// holds only its log and the files it wrote: removing it never touches the files of the table it was cloned from.</para>
/// <para>A pass removes nothing while an apply, promotion or rollback is under way (its new tables have no pointer yet;
/// <see cref="ErrorCode.JanitorApplyInProgress"/>), and checks again that a table is unpointed just before deleting it.
/// Files are deleted through the lake's store, the log last, so a pass stopped halfway leaves a table no reader mistakes
/// for whole and the next pass finishes it.</para>
/// </remarks>
public static class EnvironmentJanitor
{
    /// <summary>Looks at every unpointed physical table of the project and removes those unpointed past <paramref name="retention"/>.</summary>
    /// <param name="environment">The project, its catalog and its clock.</param>
    /// <param name="retention">How long a table stays unpointed before it goes.</param>
    /// <param name="dryRun">Say what would go, and change nothing (in the lake or the catalog).</param>
    /// <param name="cancellationToken">Stops between tables; what was removed stays removed.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.JanitorApplyInProgress"/> while an apply holds an environment's apply lock;
    /// <see cref="ErrorCode.JanitorRetentionInvalid"/> for a retention that is not positive.
    /// </exception>
    public static async Task<JanitorReport> SweepAsync(ProjectEnvironment environment, TimeSpan retention, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        CheckRetention(retention, "the janitor's retention");
        CatalogStore catalog = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
        await EnsureNoApplyAsync(catalog, cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = environment.Time.GetUtcNow();
        var pointed = (await catalog.Environments.ListAllModelStatesAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => s.Location is not null)
            .Select(s => (Key(s.Model), s.Location!))
            .ToHashSet();
        Dictionary<(string, string), EnvironmentTableRecord> known = (await catalog.Environments.ListTablesAsync(cancellationToken).ConfigureAwait(false))
            .ToDictionary(t => (Key(t.Model), t.Location));
        IEnumerable<string> namespaces = environment.Project.Models.Select(m => m.Name.Namespace)
            .Concat(known.Values.Select(t => t.Model.Namespace))
            .Select(n => n.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal);
        List<FoundTable> found = [];
        foreach (string ns in namespaces)
        {
            found.AddRange(await FindTablesAsync(environment.Project, ns, cancellationToken).ConfigureAwait(false));
        }

        // Where each unpointed table stands, the unknown ones recorded from now.
        var candidates = new List<(FoundTable Table, DateTimeOffset UnpointedAt, bool New)>();
        foreach (FoundTable table in found.Where(t => !pointed.Contains((Key(t.Model), t.Pointer))))
        {
            if (known.TryGetValue((Key(table.Model), table.Pointer), out EnvironmentTableRecord? record) && record.UnpointedAt is { } at)
            {
                candidates.Add((table, at, false));
            }
            else
            {
                if (!dryRun)
                {
                    await catalog.Environments.RecordUnpointedAsync(table.Model, table.Pointer, now, cancellationToken).ConfigureAwait(false);
                }

                candidates.Add((table, now, true));
            }
        }

        // The records of unpointed tables no longer in the lake (removed by hand) are forgotten.
        if (!dryRun)
        {
            var inLake = found.Select(t => (Key(t.Model), t.Pointer)).ToHashSet();
            foreach (EnvironmentTableRecord gone in known.Values.Where(t => t.UnpointedAt is not null && !inLake.Contains((Key(t.Model), t.Location))))
            {
                await catalog.Environments.ForgetTableAsync(gone.Model, gone.Location, cancellationToken).ConfigureAwait(false);
            }
        }

        CloneReferences clones = await CloneReferences.FindAsync(
            environment,
            pointed.Select(p => (TableName.Parse(p.Item1), p.Item2)).Concat(candidates.Where(c => now - c.UnpointedAt < retention).Select(c => (c.Table.Model, c.Table.Pointer))),
            cancellationToken).ConfigureAwait(false);
        var tables = new List<JanitorTable>();
        foreach ((FoundTable table, DateTimeOffset unpointedAt, bool isNew) in candidates.OrderBy(c => Key(c.Table.Model), StringComparer.Ordinal).ThenBy(c => c.Table.Pointer, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            JanitorTable Outcome(JanitorOutcome outcome, string? reason) =>
                new(table.Model, table.Pointer, table.Location, table.Files.Count, table.Files.Sum(f => f.SizeBytes), unpointedAt, outcome, reason);
            if (isNew)
            {
                tables.Add(Outcome(JanitorOutcome.Kept, $"found without a pointer the catalog knew of; its retention starts now and it may go after {Time(now + retention)}"));
                continue;
            }

            if (now - unpointedAt < retention)
            {
                tables.Add(Outcome(JanitorOutcome.Kept, $"unpointed since {Time(unpointedAt)}; it may go after {Time(unpointedAt + retention)}"));
                continue;
            }

            int read = clones.KeysUnder(table.Location).Count;
            if (read > 0)
            {
                tables.Add(Outcome(JanitorOutcome.Kept, $"a shallow clone still reads {read} of its files"));
                continue;
            }

            if (dryRun)
            {
                tables.Add(Outcome(JanitorOutcome.WouldRemove, null));
                continue;
            }

            tables.Add(await RemoveAsync(environment, catalog, table, Outcome, cancellationToken).ConfigureAwait(false));
        }

        return new JanitorReport(retention, dryRun, tables);
    }

    /// <summary>Refuses a retention that is not positive, naming where it was given.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.JanitorRetentionInvalid"/>.</exception>
    public static void CheckRetention(TimeSpan retention, string where)
    {
        if (retention <= TimeSpan.Zero)
        {
            throw new MedallionException(
                ErrorCode.JanitorRetentionInvalid,
                $"{char.ToUpperInvariant(where[0]) + where[1..]} is {retention}, which is not a positive duration: a table that just lost its pointer (an apply under way, a promotion to roll back) would go at once.\nHelp: give a duration such as 7d or 36h.");
        }
    }

    private static async Task EnsureNoApplyAsync(CatalogStore catalog, CancellationToken cancellationToken)
    {
        List<string> applying = await catalog.Environments.ListApplyingAsync(cancellationToken).ConfigureAwait(false);
        if (applying.Count > 0)
        {
            throw new MedallionException(
                ErrorCode.JanitorApplyInProgress,
                $"An apply, promotion or rollback to {string.Join(", ", applying.Select(a => $"'{a}'"))} is under way, and the tables it builds have no pointer yet: the janitor removed nothing.\nHelp: run it again once that is done.");
        }
    }

    private static async Task<JanitorTable> RemoveAsync(ProjectEnvironment environment, CatalogStore catalog, FoundTable table, Func<JanitorOutcome, string?, JanitorTable> outcome, CancellationToken cancellationToken)
    {
        // Pointed at again, or an apply started, since the pass looked.
        if (await catalog.Environments.IsPointedAsync(table.Model, table.Pointer, cancellationToken).ConfigureAwait(false))
        {
            return outcome(JanitorOutcome.Kept, "an environment points at it again");
        }

        await EnsureNoApplyAsync(catalog, cancellationToken).ConfigureAwait(false);
        try
        {
            IObjectStore store = environment.Project.Stores.OpenStore(table.VersionsRoot);
            // The data first, the log last: a table stopped halfway has a log naming missing files, never files without a log.
            foreach (ObjectInfo file in table.Files.OrderBy(f => f.Key.Contains("/_delta_log/", StringComparison.Ordinal) ? 1 : 0))
            {
                await store.DeleteAsync(file.Key, cancellationToken).ConfigureAwait(false);
            }

            if (!StorageResolver.IsUri(table.Location))
            {
                RemoveEmptyFolders(table.Location);
                RemoveEmptyFolders(table.Location + "_quarantine");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MedallionException { IsTransient: true })
        {
            return outcome(
                JanitorOutcome.Failed,
                new MedallionException(ErrorCode.JanitorTableNotRemoved, $"Not every file of {table.Location} could be deleted: {e.Message}\nHelp: the next pass tries again; check the lake's permissions.", e).Message);
        }

        await catalog.Environments.ForgetTableAsync(table.Model, table.Pointer, cancellationToken).ConfigureAwait(false);
        PipelineMeter.RecordTableRemoved();
        return outcome(JanitorOutcome.Removed, null);
    }

    private static void RemoveEmptyFolders(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (string child in Directory.GetDirectories(folder))
        {
            RemoveEmptyFolders(child);
        }

        if (!Directory.EnumerateFileSystemEntries(folder).Any())
        {
            Directory.Delete(folder);
        }
    }

    /// <summary>The physical tables under a namespace's <c>_versions/</c>, each with its files and its quarantine's.</summary>
    private static async Task<List<FoundTable>> FindTablesAsync(MedallionProject project, string ns, CancellationToken cancellationToken)
    {
        string root = ProjectCatalog.Under(ProjectCatalog.NamespaceLocation(project, ns), ModelTables.VersionsFolder);
        IObjectStore store = project.Stores.OpenStore(root);
        var byTable = new Dictionary<(string Name, string Fingerprint), List<ObjectInfo>>();
        await foreach (ObjectInfo info in store.ListAsync(string.Empty, null, cancellationToken).ConfigureAwait(false))
        {
            string[] segments = info.Key.Split('/');
            if (segments.Length < 3)
            {
                continue; // Not inside a table's folder.
            }

            string fingerprint = segments[1].EndsWith("_quarantine", StringComparison.Ordinal) ? segments[1][..^"_quarantine".Length] : segments[1];
            (string, string) key = (segments[0], fingerprint);
            if (!byTable.TryGetValue(key, out List<ObjectInfo>? files))
            {
                byTable[key] = files = [];
            }

            files.Add(info);
        }

        var tables = new List<FoundTable>();
        foreach (((string name, string fingerprint), List<ObjectInfo> files) in byTable)
        {
            var model = new TableName(ns, name);
            string pointer = $"{ModelTables.VersionsFolder}/{name}/{fingerprint}";
            string location;
            try
            {
                location = ModelTables.Resolve(project, model, pointer);
            }
            catch (MedallionException e) when (e.Code == ErrorCode.CatalogCorrupt)
            {
                continue; // A folder of a name no model version has: not the janitor's.
            }

            tables.Add(new FoundTable(model, pointer, location, root, files));
        }

        return tables;
    }

    private static string Key(TableName model) => model.ToString().ToLowerInvariant();

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A physical table found under <c>_versions/</c>: its files' keys are relative to <paramref name="VersionsRoot"/>.</summary>
    private sealed record FoundTable(TableName Model, string Pointer, string Location, string VersionsRoot, List<ObjectInfo> Files);
}
