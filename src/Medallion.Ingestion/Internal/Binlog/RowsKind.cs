namespace Medallion.Ingestion.Internal.Binlog;

internal enum RowsKind
{
    Insert,
    Update,
    Delete,
}
