using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Sources;

public static partial class FileSourceLoader
{
    /// <summary>Parquet: typed already, so nothing is rejected and rows have no line; each file is projected onto the load's columns.</summary>
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
        var branches = new List<string>();
        foreach ((SourceFile file, List<FileColumn> columns) in described)
        {
            branches.Add(
                $"SELECT {SourceColumns.Project(unified, columns, "__r")}{context.MetaColumns(DuckDbConnection.QuoteLiteral(file.Relative), "NULL", "NULL", "NULL")} "
                + $"FROM {ReaderCall("read_parquet", file.Absolute, context.Source.Options)} AS __r");
        }

        return new StagedLoad(string.Join("\nUNION ALL\n", branches), 0);
    }
}
