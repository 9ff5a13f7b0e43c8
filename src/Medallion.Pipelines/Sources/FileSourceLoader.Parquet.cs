using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Sources;

public static partial class FileSourceLoader
{
    /// <summary>
    /// Parquet: typed already, so nothing is rejected and rows have no line (bronze gets no <c>_source_line</c>,
    /// <c>_raw_line</c> or <c>_parse_error</c>); each file is projected onto the load's columns.
    /// </summary>
    private static async Task<StagedLoad> StageParquetAsync(LoadContext context, List<SourceFile> files, CancellationToken cancellationToken)
    {
        var described = new List<(SourceFile File, List<FileColumn> Columns)>();
        foreach (SourceFile file in files)
        {
            file.Sha256 = await HashAsync(file.Absolute, cancellationToken).ConfigureAwait(false);
            try
            {
                described.Add((file, await SourceColumns.DescribeAsync(context.Connection, "SELECT * FROM " + ReaderCall("read_parquet", file.Absolute, context.Source.Options), cancellationToken).ConfigureAwait(false)));
            }
            catch (DuckDbException e)
            {
                throw ReadFailed(file, context.Source, e);
            }
        }

        List<FileColumn> unified = SourceColumns.Unify(described, context.Snapshot, context.Source);
        if (SharedReadSourceFile(described) is { } sourceFile)
        {
            string paths = "[" + string.Join(", ", files.Select(f => DuckDbConnection.QuoteLiteral(f.Absolute))) + "]";
            return new StagedLoad(
                $"SELECT {SourceColumns.Project(unified, described[0].Columns, "__r")}{context.TypedMetaColumns(sourceFile)} "
                + $"FROM {ReaderCallOn("read_parquet", paths, context.Source.Options, ("filename", "true"))} AS __r",
                0);
        }

        var branches = new List<string>();
        foreach ((SourceFile file, List<FileColumn> columns) in described)
        {
            branches.Add(
                $"SELECT {SourceColumns.Project(unified, columns, "__r")}{context.TypedMetaColumns(DuckDbConnection.QuoteLiteral(file.Relative))} "
                + $"FROM {ReaderCall("read_parquet", file.Absolute, context.Source.Options)} AS __r");
        }

        return new StagedLoad(string.Join("\nUNION ALL\n", branches), 0);
    }

    /// <summary>
    /// When every file has the same columns, they are read by one <c>read_parquet</c> over the list instead of one per
    /// file: one pipeline whose threads share all files, where a UNION ALL of many would buffer its branches to keep
    /// their order (about twice the memory). Returns the SQL of <c>_source_file</c> from DuckDB's <c>filename</c> (the
    /// absolute path given): the project-relative path, as a prefix swap every file shares; null when the files
    /// differ, a file has a column named <c>filename</c>, or no shared prefix swap exists.
    /// </summary>
    private static string? SharedReadSourceFile(List<(SourceFile File, List<FileColumn> Columns)> described)
    {
        List<FileColumn> first = described[0].Columns;
        if (described.Count < 2
            || first.Any(c => string.Equals(c.Name, "filename", StringComparison.OrdinalIgnoreCase))
            || !described.TrueForAll(d => d.Columns.SequenceEqual(first)))
        {
            return null;
        }

        (string AbsoluteHead, string RelativeHead)? swap = null;
        foreach ((SourceFile file, _) in described)
        {
            int common = 0;
            while (common < file.Absolute.Length && common < file.Relative.Length && file.Absolute[^(common + 1)] == file.Relative[^(common + 1)])
            {
                common++;
            }

            (string, string) heads = (file.Absolute[..^common], file.Relative[..^common]);
            if (swap is { } seen && seen != heads)
            {
                return null;
            }

            swap = heads;
        }

        (string absoluteHead, string relativeHead) = swap!.Value;
        // substr counts characters, C# counts UTF-16 units: they agree on ASCII.
        if (!absoluteHead.All(char.IsAscii))
        {
            return null;
        }

        return $"({DuckDbConnection.QuoteLiteral(relativeHead)} || substr(__r.filename, {(absoluteHead.Length + 1).ToString(CultureInfo.InvariantCulture)}))";
    }
}
