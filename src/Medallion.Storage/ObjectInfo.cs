using System;

namespace Medallion.Storage;

/// <summary>What a store knows about one object: its key, size and last modification time.</summary>
/// <param name="Key">The key relative to the store root, segments separated by <c>/</c>.</param>
/// <param name="SizeBytes">The object's size in bytes.</param>
/// <param name="LastModified">When the object was last written, as the store reports it (UTC).</param>
public sealed record ObjectInfo(string Key, long SizeBytes, DateTimeOffset LastModified);
