namespace Medallion.TestSupport;

/// <summary>
/// A fault a <see cref="StoreProxy"/> injects. <see cref="AfterServer"/> says whether the request reaches the store
/// first: a fault after the server is the ambiguous one, where the store did apply a write whose answer the client
/// never got. <see cref="StoreFaultKind.ResetAfterHeaders"/> and <see cref="StoreFaultKind.TruncatedBody"/> need the
/// store's answer, so they are always after the server.
/// </summary>
public sealed record StoreFault(StoreFaultKind Kind, int StatusCode = 0, bool AfterServer = false)
{
    /// <summary>An error status (500 and 503 carry the codes the SDKs retry: <c>InternalError</c>, <c>SlowDown</c>/<c>ServerBusy</c>).</summary>
    public static StoreFault Status(int code, bool afterServer = false) => new(StoreFaultKind.Status, code, afterServer);

    /// <summary>A connection reset instead of the answer.</summary>
    public static StoreFault Reset(bool afterServer = false) => new(StoreFaultKind.Reset, 0, afterServer);

    /// <summary>The store's headers, then a connection reset.</summary>
    public static StoreFault ResetAfterHeaders { get; } = new(StoreFaultKind.ResetAfterHeaders, 0, AfterServer: true);

    /// <summary>No answer until the client gives up.</summary>
    public static StoreFault Stall(bool afterServer = false) => new(StoreFaultKind.Stall, 0, afterServer);

    /// <summary>The store's headers and half its body, then the connection closed.</summary>
    public static StoreFault TruncatedBody { get; } = new(StoreFaultKind.TruncatedBody, 0, AfterServer: true);
}
