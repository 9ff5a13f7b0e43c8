using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Medallion.Pipelines;

namespace Medallion.Server;

/// <summary>
/// The project's <c>jobs/*.yml</c> files as the web UI and the REST API edit them: read with a version, checked as a load
/// would check them (with the line diff the save would make), and saved only when still at the version read, checked
/// and whole, after which the project is reloaded.
/// </summary>
internal static class JobFiles
{
    /// <summary>One save at a time, so two editors cannot both pass the version check before either writes.</summary>
    private static readonly SemaphoreSlim s_saving = new(1, 1);

    /// <summary>Reads a jobs file; a file that does not exist yet reads as empty, at version <see cref="JobFileText.Missing"/>.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.JobDefinitionInvalid"/> for a path that is not <c>jobs/&lt;name&gt;.yml</c>.</exception>
    public static async Task<JobFileText> ReadAsync(MedallionProject project, string path, CancellationToken cancellationToken)
    {
        MedallionProject.CheckJobsFilePath(path);
        string full = Path.Combine(project.Directory, path);
        if (!File.Exists(full))
        {
            return new JobFileText(path, string.Empty, JobFileText.Missing);
        }

        byte[] bytes = await File.ReadAllBytesAsync(full, cancellationToken).ConfigureAwait(false);
        return new JobFileText(path, Encoding.UTF8.GetString(bytes), Version(bytes));
    }

    /// <summary>The jobs the file would define with <paramref name="text"/> and the lines that would change; nothing is written.</summary>
    /// <exception cref="MedallionException">What loading the project would report for that text, located in the file.</exception>
    public static async Task<JobFileCheck> CheckAsync(MedallionProject project, string path, string text, CancellationToken cancellationToken)
    {
        JobFileText current = await ReadAsync(project, path, cancellationToken).ConfigureAwait(false);
        List<JobDefinition> jobs = await project.ReadJobsFileAsync(path, Normalize(text), cancellationToken).ConfigureAwait(false);
        return new JobFileCheck(path, current.Version, [.. jobs.Select(j => j.Name)], Diff(current.Text, Normalize(text)));
    }

    /// <summary>
    /// Writes the file when it is still at <paramref name="baseVersion"/> and its text checks, then reloads the project.
    /// The file is written whole (a temporary file renamed over it), so a server or editor never reads half of it.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.ProjectFileChanged"/> when the file is no longer at that version
    /// (nothing is written); what a load would report for the text (nothing is written).</exception>
    public static async Task<JobFileSaved> SaveAsync(ServerContext server, string path, string text, string baseVersion, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(baseVersion);
        string normalized = Normalize(text);
        await s_saving.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            JobFileCheck check = await CheckAsync(server.Project, path, normalized, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(check.Version, baseVersion, StringComparison.Ordinal))
            {
                throw new MedallionException(
                    ErrorCode.ProjectFileChanged,
                    $"{path} changed since it was opened for this edit, so the edit was not saved.\nHelp: open the file again to see its new text, and make the edit there.");
            }

            string full = Path.Combine(server.Project.Directory, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            string temporary = full + ".saving-" + Guid.NewGuid().ToString("N");
            byte[] bytes = Encoding.UTF8.GetBytes(normalized);
            await File.WriteAllBytesAsync(temporary, bytes, cancellationToken).ConfigureAwait(false);
            File.Move(temporary, full, overwrite: true);
            ReloadStatus reload = await server.Reloader!.ReloadAsync(reason, cancellationToken).ConfigureAwait(false);
            return new JobFileSaved(path, Version(bytes), check.Jobs, reload);
        }
        finally
        {
            s_saving.Release();
        }
    }

    /// <summary>Line endings as the project's files have them, and a last line that ends.</summary>
    private static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        return lines.Length == 0 || lines.EndsWith('\n') ? lines : lines + "\n";
    }

    private static string Version(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];

    private static IReadOnlyList<JobFileDiffLine> Diff(string before, string after) =>
        // Without the last line's end, which would read as one more, empty line.
        [.. InlineDiffBuilder.Diff(before.TrimEnd('\n'), after.TrimEnd('\n'), ignoreWhiteSpace: false).Lines
            .Select(line => new JobFileDiffLine(
                line.Type switch { ChangeType.Inserted => "added", ChangeType.Deleted => "removed", _ => "same" },
                line.Text))];
}

/// <summary>A jobs file's text and version (a hash of its bytes) as read for an edit.</summary>
/// <param name="Path">The file, relative to the project (<c>jobs/nightly.yml</c>).</param>
/// <param name="Text">Its text; empty for a file that does not exist yet.</param>
/// <param name="Version">The version to save against: a hash of the bytes, or <see cref="Missing"/>.</param>
public sealed record JobFileText(string Path, string Text, string Version)
{
    /// <summary>The version of a file that does not exist yet: a save against it creates the file, and fails if it appeared meanwhile.</summary>
    public const string Missing = "new";
}

/// <summary>What saving a text to a jobs file would do.</summary>
/// <param name="Path">The file.</param>
/// <param name="Version">The file's version now (to save against).</param>
/// <param name="Jobs">The jobs the file would define.</param>
/// <param name="Diff">Every line of the file before and after, each marked <c>same</c>, <c>removed</c> or <c>added</c>.</param>
public sealed record JobFileCheck(string Path, string Version, IReadOnlyList<string> Jobs, IReadOnlyList<JobFileDiffLine> Diff);

/// <summary>One line of a jobs file's diff.</summary>
/// <param name="Change"><c>same</c>, <c>removed</c> or <c>added</c>.</param>
/// <param name="Text">The line, without its end.</param>
public sealed record JobFileDiffLine(string Change, string Text);

/// <summary>A saved jobs file: its new version, its jobs, and how the reload that followed went.</summary>
/// <param name="Path">The file.</param>
/// <param name="Version">Its new version.</param>
/// <param name="Jobs">The jobs it defines.</param>
/// <param name="Reload">The reload of the project after the save.</param>
public sealed record JobFileSaved(string Path, string Version, IReadOnlyList<string> Jobs, ReloadStatus Reload);
