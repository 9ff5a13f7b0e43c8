using System.Net;
using Medallion.Server.Tests;
using Medallion.Server.Web;
using Microsoft.Extensions.Logging;

namespace Medallion.Web.Tests;

/// <summary>The keys behind the session and anti-forgery cookies: kept in the project for its owner only, so a restart signs nobody out.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SessionKeyTests : IAsyncLifetime
{
    private readonly RecordingLog _log = new();
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync(options => options with { Logs = _log });

    public async Task DisposeAsync()
    {
        await _served.DisposeAsync();
        _log.Dispose();
    }

    [Fact]
    public void The_first_start_of_a_project_logs_no_warning()
    {
        Assert.Empty(_log.Events.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message));
    }

    [Fact]
    public void The_keys_are_kept_in_the_project_readable_by_the_server_user_only()
    {
        string folder = SessionKeyStore.FolderOf(_served.Directory);
        string[] keys = Directory.GetFiles(folder, "*.xml");

        Assert.NotEmpty(keys);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.All(keys, key => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key)));
    }

    [Fact]
    public async Task A_signed_in_session_stays_signed_in_and_its_form_token_valid_across_a_restart()
    {
        using var session = new WebSession(_served);
        await session.SignInOrFailAsync("ana", ServedProject.OperatorPassword);

        await _served.RestartAsync();
        // The token read before the restart, posted after it.
        using HttpResponseMessage language = await session.PostFormAsync("/language", [new("lang", "pt-BR"), new("return", "/jobs")]);
        (HttpStatusCode home, string html) = await session.GetAsync("/");

        Assert.Equal((HttpStatusCode.Redirect, "/jobs"), (language.StatusCode, language.Headers.Location?.OriginalString));
        Assert.Equal(HttpStatusCode.OK, home);
        Assert.Contains("<strong>ana</strong>", html, StringComparison.Ordinal);
        Assert.Empty(_log.Events.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message));
    }
}
