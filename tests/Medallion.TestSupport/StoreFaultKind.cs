namespace Medallion.TestSupport;

/// <summary>What a <see cref="StoreProxy"/> does to a request a <see cref="StoreFaultRule"/> picked.</summary>
public enum StoreFaultKind
{
    /// <summary>Answers an error status with the body the store's SDK parses (S3's or Azure's XML error), then closes the connection.</summary>
    Status,

    /// <summary>Resets the connection (TCP RST) without an answer.</summary>
    Reset,

    /// <summary>Sends the store's status line and headers, then resets the connection: the client saw an answer begin.</summary>
    ResetAfterHeaders,

    /// <summary>Answers nothing and keeps the connection open until the client gives up (its timeout) or the proxy stops.</summary>
    Stall,

    /// <summary>Sends the store's headers (its <c>Content-Length</c> included) and half of its body, then closes the connection.</summary>
    TruncatedBody,
}
