using System.Collections.Generic;
using Medallion.Catalog;

namespace Medallion.Pipelines.Sources;

/// <summary>What one load of a file source did.</summary>
/// <param name="Target">The bronze table the rows landed in.</param>
/// <param name="CommittedVersion">The table version committed; null when there was nothing new to load (no commit was made).</param>
/// <param name="FilesLoaded">The files loaded by this commit, relative to the project (forward slashes), in load order.</param>
/// <param name="RowsLoaded">Rows committed, rejected rows included.</param>
/// <param name="RowsRejected">Rows that could not be parsed, committed with their raw text in <c>_raw_line</c> and the reason in <c>_parse_error</c>.</param>
/// <param name="Warnings">Things a user should see that did not fail the load: no matching files, files with rejected rows, changed files loaded again.</param>
public sealed record SourceLoadResult(
    TableName Target,
    long? CommittedVersion,
    IReadOnlyList<string> FilesLoaded,
    long RowsLoaded,
    long RowsRejected,
    IReadOnlyList<string> Warnings);
