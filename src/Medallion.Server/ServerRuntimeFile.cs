using System;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Server;

/// <summary>
/// <c>.medallion/server.json</c>: how the CLI on this machine finds a running server and proves it may act (a token
/// that lives as long as the server, as Jupyter's runtime files do). Readable by its owner only; removed when the
/// server stops.
/// </summary>
/// <param name="Url">The REST API's base address.</param>
/// <param name="Token">The bearer token the server accepts from the local CLI.</param>
/// <param name="ProcessId">The server's process id.</param>
/// <param name="StartedAt">When the server started.</param>
public sealed record ServerRuntimeFile(
    [property: JsonPropertyName("url")] Uri Url,
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("pid")] int ProcessId,
    [property: JsonPropertyName("started_at")] DateTimeOffset StartedAt)
{
    /// <summary>The runtime file of the project in <paramref name="projectDirectory"/>.</summary>
    public static string PathFor(string projectDirectory) => Path.Combine(projectDirectory, ".medallion", "server.json");

    /// <summary>The running server's file, or null when none is written (no server has run, or it stopped cleanly).</summary>
    public static async Task<ServerRuntimeFile?> ReadAsync(string projectDirectory, CancellationToken cancellationToken = default)
    {
        string path = PathFor(projectDirectory);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            FileStream stream = File.OpenRead(path);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonSerializer.DeserializeAsync<ServerRuntimeFile>(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException)
        {
            return null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    internal async Task WriteAsync(string projectDirectory, CancellationToken cancellationToken)
    {
        string path = PathFor(projectDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // The token lets its holder trigger and cancel runs.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(temporary, options);
        await using (stream.ConfigureAwait(false))
        {
            await JsonSerializer.SerializeAsync(stream, this, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Removes the file when it is the server's own, told by its token: another server's (one that runs the jobs while this one was on standby, even in this very process) stays.</summary>
    internal static void Delete(string projectDirectory, Func<string, bool> isOwnToken)
    {
        string path = PathFor(projectDirectory);
        try
        {
            using FileStream stream = File.OpenRead(path);
            if (JsonSerializer.Deserialize<ServerRuntimeFile>(stream) is { } file && isOwnToken(file.Token))
            {
                stream.Dispose();
                File.Delete(path);
            }
        }
        catch (IOException)
        {
        }
        catch (JsonException)
        {
        }
    }
}
