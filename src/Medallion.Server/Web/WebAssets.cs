using System;
using System.Collections.Frozen;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Medallion.Server.Web;

/// <summary>The UI's stylesheet and script, embedded in the assembly: nothing is fetched from elsewhere, at build or run time.</summary>
internal static class WebAssets
{
    private const string Prefix = "Medallion.Server.Web.Assets.";

    private static readonly FrozenDictionary<string, Asset> s_assets = typeof(WebAssets).Assembly.GetManifestResourceNames()
        .Where(name => name.StartsWith(Prefix, StringComparison.Ordinal))
        .ToFrozenDictionary(name => name[Prefix.Length..], Load, StringComparer.Ordinal);

    /// <summary>The address of an asset, with its content hash so a new build is never served from an old cache.</summary>
    public static string Url(string file) => "/assets/" + file + "?v=" + s_assets[file].ETag.Trim('"');

    public static IResult Serve(string file, HttpContext http)
    {
        if (!s_assets.TryGetValue(file, out Asset? asset))
        {
            return Results.NotFound();
        }

        http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        return Results.Bytes(asset.Content, asset.ContentType, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue(asset.ETag));
    }

    private static Asset Load(string resource)
    {
        using Stream stream = typeof(WebAssets).Assembly.GetManifestResourceStream(resource)!;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        byte[] content = memory.ToArray();
        string type = Path.GetExtension(resource) switch
        {
            ".css" => "text/css; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".svg" => "image/svg+xml",
            _ => "application/octet-stream",
        };
        return new Asset(content, type, "\"" + Convert.ToHexStringLower(SHA256.HashData(content))[..16] + "\"");
    }

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}
