using System.Net;
using Medallion.Server.Tests;

namespace Medallion.Web.Tests;

/// <summary>
/// Password guessing through the web UI's sign-in form (issue #35, item 5), as the SQL endpoint and REST Basic are guarded:
/// guesses posted in parallel from one address are checked a few at a time with a growing delay, the ones past the limit are
/// refused whatever the password (so a flood cannot find it), the account's owner gets in from another address meanwhile,
/// and every refused sign-in is audited as a login over the web with its user and address.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SignInAttackTests : IAsyncLifetime
{
    private const int Guesses = 40;
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task Parallel_sign_in_guesses_past_the_limit_are_refused_even_with_the_right_password_and_audited()
    {
        using var attacker = new WebSession(_served, from: IPAddress.Parse("127.0.0.2"));
        attacker.Http.Timeout = TimeSpan.FromMinutes(2);
        await attacker.GetAsync("/login");
        Task<HttpResponseMessage>[] wrong = [.. Enumerable.Range(0, Guesses - 1).Select(i => attacker.PostFormAsync("/login", [new("user", "ana"), new("password", "guess-" + i), new("returnUrl", "/")]))];
        // Every guess is at the server once some have been answered: the right one then queues behind them.
        await WhenAnsweredAsync(wrong, 6);
        Task<HttpResponseMessage> right = attacker.PostFormAsync("/login", [new("user", "ana"), new("password", ServedProject.OperatorPassword), new("returnUrl", "/")]);

        // The owner, from 127.0.0.1, while the guesses from 127.0.0.2 are under way.
        using var owner = new WebSession(_served);
        using HttpResponseMessage ownerAnswer = await owner.SignInAsync("ana", ServedProject.OperatorPassword);
        HttpResponseMessage[] answers = await Task.WhenAll(wrong);
        using HttpResponseMessage rightAnswer = await right;

        Assert.Equal(HttpStatusCode.Redirect, ownerAnswer.StatusCode);
        Assert.All(answers, answer => Assert.Contains(answer.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        // 3 free failures, then 4 places held 0.5, 1, 2, 4, 8, 16, 30 s...: about a dozen checks before the rest wait too long.
        Assert.InRange(answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized), 4, 16);
        Assert.Equal(HttpStatusCode.TooManyRequests, rightAnswer.StatusCode);
        Assert.Contains("Too many sign-ins are in progress for this user or from this address.", await rightAnswer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(rightAnswer.Headers.TryGetValues("Set-Cookie", out IEnumerable<string>? cookies) ? cookies : [], c => c.StartsWith(Server.Web.WebUi.SessionCookie + "=", StringComparison.Ordinal));
        Assert.Equal(Guesses.ToString(System.Globalization.CultureInfo.InvariantCulture), await _served.WaitForSqlAsync(
            "SELECT count(*) FROM medallion_audit.events WHERE kind = 'login' AND channel = 'web' AND \"user\" = 'ana' AND outcome = 'error' AND client LIKE '127.0.0.2:%'",
            Guesses.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        foreach (HttpResponseMessage answer in answers)
        {
            answer.Dispose();
        }
    }

    /// <summary>Waits until <paramref name="count"/> of <paramref name="requests"/> have their answer (at most two minutes).</summary>
    private static async Task WhenAnsweredAsync(Task<HttpResponseMessage>[] requests, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (requests.Count(r => r.IsCompleted) < count)
        {
            await Task.WhenAny(requests.Where(r => !r.IsCompleted)).WaitAsync(timeout.Token);
        }
    }
}
