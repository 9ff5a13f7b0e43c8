using System;

namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>The server answered with an ERR packet.</summary>
internal sealed class BinlogServerException(int code, string message) : Exception(message)
{
    /// <summary>The server's error number (1045 access denied, 1227 missing privilege, 1236 binlog read failed, ...).</summary>
    public int Code { get; } = code;
}
