using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Pipelines.Contracts;

/// <summary>What an import kept, and what of it Medallion checks.</summary>
/// <param name="Path">The document in the project, relative to it.</param>
/// <param name="Replaced">Whether it replaced a document of the same name.</param>
/// <param name="Objects">Each model the document describes, with the rules Medallion checks and those it keeps only.</param>
public sealed record OdcsImportResult(string Path, bool Replaced, IReadOnlyList<OdcsObject> Objects);

/// <summary>
/// Imports an Open Data Contract Standard document into a project: the document is kept whole in <c>contracts/</c>
/// (so an export gives back what Medallion does not use), and the project must load with it, or nothing changes.
/// </summary>
public static class OdcsImport
{
    /// <summary>Checks <paramref name="documentPath"/> against the project and keeps it in <c>contracts/</c>.</summary>
    /// <param name="projectDirectory">The project's folder.</param>
    /// <param name="documentPath">The ODCS document (YAML) to import.</param>
    /// <param name="cancellationToken">Cancels the import; the project is left as it was.</param>
    /// <exception cref="MedallionException">The document is malformed, or names a model the project does not have, or contradicts a model's config; the project is unchanged.</exception>
    public static async Task<OdcsImportResult> ImportAsync(string projectDirectory, string documentPath, CancellationToken cancellationToken = default)
    {
        string text = await File.ReadAllTextAsync(documentPath, cancellationToken).ConfigureAwait(false);
        // Checked where it is first, so errors name the file the user gave.
        IReadOnlyList<OdcsObject> objects = OdcsContract.Read(documentPath, text);
        string name = System.IO.Path.GetFileName(documentPath);
        if (!OdcsContract.IsDocument(name))
        {
            name = System.IO.Path.GetFileNameWithoutExtension(name) + ".odcs.yaml";
        }

        string folder = System.IO.Path.Combine(projectDirectory, OdcsContract.Folder);
        string target = System.IO.Path.Combine(folder, name);
        string? previous = File.Exists(target) ? await File.ReadAllTextAsync(target, cancellationToken).ConfigureAwait(false) : null;
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(target, text, cancellationToken).ConfigureAwait(false);
        try
        {
            await MedallionProject.LoadAsync(projectDirectory, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (previous is null)
            {
                File.Delete(target);
            }
            else
            {
                await File.WriteAllTextAsync(target, previous, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }

        return new OdcsImportResult($"{OdcsContract.Folder}/{name}", previous is not null, objects);
    }
}
