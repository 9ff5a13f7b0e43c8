using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;

namespace Medallion.Server.Web;

/// <summary>
/// Where the keys that sign and encrypt the web UI's session and anti-forgery cookies are kept: the project's
/// <c>.medallion/keys/</c>, one XML file per key, the folder 0700 and each file 0600 (readable by the server's user
/// only), so a signed-in session survives a restart of the server.
/// </summary>
/// <remarks>
/// The keys are stored unencrypted and protected at rest by their file mode, as the catalog (which holds the SQL
/// users' SCRAM verifiers) and <c>.medallion/admin-password</c> are. DPAPI exists on Windows only, and encrypting the
/// keys with a certificate needs one whose private key outlives every key it protects: the HTTPS certificate is
/// renewed every few months, after which each key it encrypted, and every session, could not be read again. Whoever
/// can read this folder can read the catalog beside it, so an encryptor would guard nothing more.
/// </remarks>
internal sealed class SessionKeyStore : IXmlRepository
{
    private const UnixFileMode OwnerFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _folder;

    private SessionKeyStore(string folder) => _folder = folder;

    /// <summary>The key folder of the project in <paramref name="projectDirectory"/>.</summary>
    public static string FolderOf(string projectDirectory) => Path.Combine(projectDirectory, ".medallion", "keys");

    /// <summary>Keeps the data-protection keys of the web UI in the project's key folder, unencrypted by intent (see the remarks).</summary>
    public static void AddTo(IServiceCollection services, string projectDirectory)
    {
        var store = new SessionKeyStore(FolderOf(projectDirectory));
        // One application name for every start (and every server of the project): the keys' purpose strings derive from it.
        services.AddDataProtection().SetApplicationName("medallion");
        services.Configure<KeyManagementOptions>(keys =>
        {
            keys.XmlRepository = store;
            // The keys are not encrypted on purpose; saying so keeps the key manager from warning at each new key.
            keys.XmlEncryptor = new NullXmlEncryptor();
        });
    }

    /// <inheritdoc/>
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        if (!Directory.Exists(_folder))
        {
            return [];
        }

        return [.. Directory.EnumerateFiles(_folder, "*.xml").Order(StringComparer.Ordinal).Select(file => XElement.Load(file))];
    }

    /// <inheritdoc/>
    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        CreateFolder();
        string name = string.Concat(friendlyName.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_'));
        string path = Path.Combine(_folder, name + ".xml");
        // Written whole under a temporary name and then renamed: a reader at the same moment sees the key or nothing.
        string pending = Path.Combine(_folder, "." + name + "." + Guid.NewGuid().ToString("N") + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerFile;
        }

        try
        {
            using (var file = new FileStream(pending, options))
            {
                element.Save(file);
            }

            File.Move(pending, path, overwrite: true);
        }
        catch
        {
            File.Delete(pending);
            throw;
        }
    }

    private void CreateFolder()
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_folder);
            return;
        }

        if (!Directory.Exists(_folder))
        {
            Directory.CreateDirectory(_folder, OwnerFolder);
        }

        // An existing folder made looser by hand (or by a copy) is brought back to its owner.
        if (File.GetUnixFileMode(_folder) != OwnerFolder)
        {
            File.SetUnixFileMode(_folder, OwnerFolder);
        }
    }
}
