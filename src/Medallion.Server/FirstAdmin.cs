using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Platform.Access;

namespace Medallion.Server;

/// <summary>
/// The first start of <c>medallion server</c> on a project nobody can sign in to (its catalog has no users): as
/// Airflow's <c>standalone</c> does, the server adds the operator and admin <c>admin</c> with a generated password through
/// the access service (one transaction, one audit event), keeps the password in <c>.medallion/admin-password</c> (readable
/// by the owner only) and the CLI prints it once. Later starts find a user and leave everything alone;
/// <c>medallion user add admin</c> changes the password.
/// </summary>
/// <remarks>See <see cref="MedallionServerOptions.FirstAdmin"/>.</remarks>
public static class FirstAdmin
{
    /// <summary>The name of the user created on the first start.</summary>
    public const string UserName = "admin";

    /// <summary>Where the generated password is kept: <c>.medallion/admin-password</c> in the project.</summary>
    /// <param name="projectDirectory">The project's directory.</param>
    public static string PasswordFile(string projectDirectory) => Path.Combine(projectDirectory, ".medallion", "admin-password");

    /// <summary>Adds <see cref="UserName"/> as an operator and admin when the project has no users.</summary>
    /// <param name="access">The project's access service.</param>
    /// <param name="projectDirectory">The project's directory, where a generated password's file goes.</param>
    /// <param name="given">
    /// The password to give the user (an operator's secret, <see cref="MedallionServerOptions.FirstAdminPassword"/>); it is
    /// written nowhere. Null to generate one and keep it in <see cref="PasswordFile"/>.
    /// </param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The user's password when it was added (a generated one to print once); null when the project already had users.</returns>
    internal static async Task<string?> EnsureAsync(AccessService access, string projectDirectory, string? given, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(access);
        ArgumentException.ThrowIfNullOrEmpty(projectDirectory);
        if ((await access.ListUsersAsync(cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            return null;
        }

        if (given is not null)
        {
            return await access.AddFirstAdminAsync(AccessActor.Server, UserName, given, cancellationToken).ConfigureAwait(false) ? given : null;
        }

        // 144 random bits, URL-safe so it survives copy and paste and shell quoting; never starting with '-' or '_',
        // which a command line could take for an option.
        string password;
        do
        {
            password = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(18));
        }
        while (!char.IsAsciiLetterOrDigit(password[0]));
        string path = PasswordFile(projectDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // The password is written (owner-only from its creation, never world-readable for an instant) before the user
        // exists, to a file of this start's own: two servers starting together each write theirs, and only the one whose
        // add wins moves its file into place, so the file always holds the password that works. A crash between the add
        // and the move leaves the password in that start's file beside where it belongs.
        string pending = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(pending, options);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(password + "\n"), cancellationToken).ConfigureAwait(false);
        }

        bool added;
        try
        {
            // One transaction: a crash never leaves an admin without its role, which nobody could sign in to fix.
            added = await access.AddFirstAdminAsync(AccessActor.Server, UserName, password, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            File.Delete(pending);
            throw;
        }

        if (!added)
        {
            File.Delete(pending);
            return null;
        }

        File.Move(pending, path, overwrite: true);
        return password;
    }
}
