using System;

namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>The server sent something the binlog reader does not understand or cannot accept.</summary>
internal sealed class BinlogProtocolException(string message) : Exception(message);
