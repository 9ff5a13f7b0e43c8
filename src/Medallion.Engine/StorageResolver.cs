using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.DuckDb;
using Medallion.Engine.Parquet;
using Medallion.Storage;
using Microsoft.Extensions.Logging;

namespace Medallion.Engine;

/// <summary>
/// Turns a table location (a local path or a URI) into the object store rooted at it and into its
/// <see cref="DeltaTable"/>. This is the one place that constructs stores: every command, model run, source load and SQL
/// session of a project opens its tables through the project's resolver, built once from its settings
/// (<c>storage_options</c>, <c>cache</c>); code without a project (a path given to <c>medallion delta</c>) uses
/// <see cref="Default"/>, which reads the environment only. Two projects in one process never see each other's settings.
/// </summary>
/// <remarks>
/// A location with a <c>scheme://</c> prefix is never taken as a local path: <c>file://</c> URIs map to the local
/// path they name; a scheme a registered <see cref="IObjectStoreProvider"/> serves (<c>s3://</c>, <c>az://</c>, ...)
/// opens its store, configured from the resolver's settings over the standard environment variables; every other scheme
/// is refused with <see cref="ErrorCode.StorageUnsupportedLocation"/>, so a URI can never end up in a local folder named
/// after its scheme. The engine ships no cloud SDK: the host registers the kinds of store it ships (<see cref="Register"/>).
/// Remote stores are read and written by DuckDB through <see cref="Cache"/>.
/// </remarks>
public sealed class StorageResolver
{
    private static readonly Lock s_registering = new();
    private static IReadOnlyList<IObjectStoreProvider> s_providers = [];
    private static readonly Lazy<ObjectCache> s_defaultCache = new(CacheFromEnvironment);
    private static readonly Lazy<StorageResolver> s_default = new(() => new StorageResolver());
    private readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> _settings;
    private readonly ObjectCache? _cache;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _warmed = new(StringComparer.Ordinal);

    /// <summary>Creates a resolver whose stores read through <paramref name="cache"/> and take <paramref name="settings"/> over the environment.</summary>
    /// <param name="cache">The local cache remote stores read data files through; <see cref="DefaultCache"/> when null.</param>
    /// <param name="settings">
    /// Settings by store root (a URI such as <c>s3://bucket/prefix</c>): the stores of every location under a root take its
    /// values (by <see cref="SettingNames"/> name) over the same variables in the environment; a location under several
    /// roots takes the longest.
    /// </param>
    public StorageResolver(ObjectCache? cache = null, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? settings = null)
    {
        _cache = cache;
        _settings = (settings ?? new Dictionary<string, IReadOnlyDictionary<string, string>>()).ToDictionary(s => s.Key.TrimEnd('/'), s => s.Value, StringComparer.Ordinal);
    }

    /// <summary>The resolver of code that has no project: stores configured from the environment only, through <see cref="DefaultCache"/>.</summary>
    public static StorageResolver Default => s_default.Value;

    /// <summary>
    /// The machine's cache for remote stores when a project names none: <see cref="ObjectCache.DefaultDirectory"/> bounded to
    /// <see cref="ObjectCache.DefaultMaxSizeBytes"/>, or what <c>MEDALLION_CACHE_DIR</c> and <c>MEDALLION_CACHE_MAX_SIZE</c> say
    /// when a remote store first needs it (a process that reads local tables only never makes it).
    /// </summary>
    public static ObjectCache DefaultCache => s_defaultCache.Value;

    /// <summary>The local cache this resolver's remote stores read data files through and write them to before uploading.</summary>
    public ObjectCache Cache => _cache ?? DefaultCache;

    /// <summary>
    /// The settings a project may give its stores (<c>storage_options</c> in <c>medallion.yml</c>): the standard
    /// variables' names, as delta-rs and the AWS, Azure and Google tools read them from the environment.
    /// </summary>
    public static IReadOnlyList<string> SettingNames { get; } =
    [
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN", "AWS_S3_ALLOW_UNSAFE_RENAME", "MEDALLION_S3_CONDITIONAL_PUT", "MEDALLION_SINGLE_WRITER", StoreRequestTimeout.SettingName,
        StoreUploadParts.ThresholdSettingName, StoreUploadParts.PartSizeSettingName,
        "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN",
        "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_SERVICE_ACCOUNT_KEY", "STORAGE_EMULATOR_HOST",
        // Temporary credentials other engines get for a table (IssueCredentialsAsync).
        CredentialLifetime.SettingName, "MEDALLION_CREDENTIAL_ROLE_ARN", "MEDALLION_CREDENTIAL_EXTERNAL_ID", "AWS_ENDPOINT_URL_STS", "MEDALLION_AZURE_SAS_SCOPE", "MEDALLION_GCS_STS_ENDPOINT",
    ];

    /// <summary>
    /// Makes the kinds of store <paramref name="providers"/> serve available to every resolver, by their schemes (registering
    /// a kind again replaces it). The host calls this once at start with the packages it ships: code, never settings, so
    /// what it registers is the same for every project in the process.
    /// </summary>
    public static void Register(params IObjectStoreProvider[] providers)
    {
        ArgumentNullException.ThrowIfNull(providers);
        lock (s_registering)
        {
            List<IObjectStoreProvider> registered = [.. s_providers];
            foreach (IObjectStoreProvider provider in providers)
            {
                ArgumentNullException.ThrowIfNull(provider);
                registered.RemoveAll(p => p.GetType() == provider.GetType());
                registered.Add(provider);
            }

            s_providers = registered;
        }
    }

    /// <summary>The registered kind of store serving <paramref name="scheme"/> (lower case), the latest registered first; null when none does.</summary>
    private static IObjectStoreProvider? ProviderOf(string scheme) =>
        s_providers.LastOrDefault(p => p.Schemes.Contains(scheme, StringComparer.OrdinalIgnoreCase));

    /// <summary>What a store at <paramref name="location"/> reads for a setting: the configured value of the longest root above it, else the environment.</summary>
    private Func<string, string?> SettingsFor(string location)
    {
        IReadOnlyDictionary<string, string>? settings = null;
        int longest = -1;
        foreach ((string root, IReadOnlyDictionary<string, string> values) in _settings)
        {
            if (root.Length > longest && (location == root || location.StartsWith(root + "/", StringComparison.Ordinal)))
            {
                (settings, longest) = (values, root.Length);
            }
        }

        return settings is null ? Environment.GetEnvironmentVariable : name => settings.TryGetValue(name, out string? value) ? value : Environment.GetEnvironmentVariable(name);
    }

    /// <summary>Opens the store rooted at <paramref name="location"/>: a local path (relative to the current directory unless absolute) or a URI.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageUnsupportedLocation"/> when the location is a URI no store supports;
    /// <see cref="ErrorCode.StorageConfigurationInvalid"/> when the settings of its store are missing or invalid.</exception>
    public IObjectStore OpenStore(string location) => OpenStore(location, null);

    /// <summary>Opens the store rooted at <paramref name="location"/>, logging a remote store's failed requests to <paramref name="loggerFactory"/>.</summary>
    /// <exception cref="MedallionException">As <see cref="OpenStore(string)"/>.</exception>
    public IObjectStore OpenStore(string location, ILoggerFactory? loggerFactory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        string scheme = location[..SchemeLength(location)].ToLowerInvariant();
        return scheme.Length > 0 && ProviderOf(scheme) is { } provider
            ? provider.Open(location, SettingsFor(location), Cache, loggerFactory)
            : new LocalObjectStore(LocalPath(location));
    }

    /// <summary>
    /// Issues short-lived credentials limited to the objects under <paramref name="location"/> (a table's root), for
    /// another engine that reads (or writes) its files itself, from the settings of its store: S3 through STS AssumeRole,
    /// Azure through a SAS, GCS a downscoped token, where the registered kind of store can (<see cref="IStorageCredentialIssuer"/>).
    /// </summary>
    /// <param name="location">A table's root: a local path or a URI.</param>
    /// <param name="access">What the credentials allow.</param>
    /// <param name="requester">Who they are for, named in the cloud's own logs where it keeps one.</param>
    /// <param name="cancellationToken">Stops the issuing.</param>
    /// <returns>The credentials; null for a local location, whose files need none.</returns>
    /// <exception cref="MedallionException">As <see cref="IStorageCredentialIssuer.IssueCredentialsAsync"/>; <see cref="ErrorCode.StorageCredentialsUnsupported"/>
    /// when the kind of store issues none; <see cref="ErrorCode.StorageUnsupportedLocation"/> when no store serves the URI.</exception>
    public async Task<StorageCredentials?> IssueCredentialsAsync(string location, StorageAccess access, string requester, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        ArgumentNullException.ThrowIfNull(requester);
        string scheme = location[..SchemeLength(location)].ToLowerInvariant();
        if (scheme.Length == 0 || scheme == "file")
        {
            return null;
        }

        return ProviderOf(scheme) switch
        {
            IStorageCredentialIssuer issuer => await issuer.IssueCredentialsAsync(location.TrimEnd('/'), access, requester, SettingsFor(location), cancellationToken).ConfigureAwait(false),
            null => throw new MedallionException(ErrorCode.StorageUnsupportedLocation, $"No object store serves '{location}': its scheme '{scheme}://' is not one this program reads."),
            _ => throw new MedallionException(ErrorCode.StorageCredentialsUnsupported, $"No temporary credentials can be issued for '{location}': its kind of store issues none."),
        };
    }

    /// <summary>
    /// Opens the remote stores at <paramref name="locations"/> in the background and warms each up
    /// (<see cref="RemoteObjectStore.WarmUpAsync"/>), once per location and resolver: a command calls this as soon as it
    /// knows where its tables live, so the stores' clients are ready by the time it reads its first table. Local
    /// locations are skipped; nothing here fails or waits.
    /// </summary>
    /// <param name="locations">Store roots, such as a project's storage and its namespaces' storage.</param>
    public void WarmUp(IEnumerable<string> locations)
    {
        ArgumentNullException.ThrowIfNull(locations);
        List<string> remote = [.. locations.Where(l => IsUri(l) && _warmed.TryAdd(l, true))];
        if (remote.Count == 0)
        {
            return;
        }

        // Opening a store loads its SDK, which is part of what is warmed: all of it runs off the caller's thread.
        _ = Task.Run(async () =>
        {
            foreach (string location in remote)
            {
                try
                {
                    if (OpenStore(location) is RemoteObjectStore store)
                    {
                        await store.WarmUpAsync().ConfigureAwait(false);
                    }
                }
                catch (MedallionException)
                {
                    // Settings a store refuses are reported, with where they came from, when the command opens the store itself.
                }
            }
        });
    }

    private static ObjectCache CacheFromEnvironment()
    {
        string? directory = Environment.GetEnvironmentVariable("MEDALLION_CACHE_DIR");
        string? size = Environment.GetEnvironmentVariable("MEDALLION_CACHE_MAX_SIZE");
        return new ObjectCache(
            string.IsNullOrWhiteSpace(directory) ? ObjectCache.DefaultDirectory : directory,
            string.IsNullOrWhiteSpace(size) ? ObjectCache.DefaultMaxSizeBytes : ByteSize.Parse(size, "MEDALLION_CACHE_MAX_SIZE"));
    }

    /// <summary>Opens the Delta table at <paramref name="location"/>, reading its Parquet checkpoints with DuckDB on <paramref name="connection"/> (open, owned by the caller).</summary>
    /// <exception cref="MedallionException">As <see cref="OpenStore(string)"/>.</exception>
    public DeltaTable OpenTable(string location, DuckDbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return OpenTable(location, new DuckDbParquetHandler(connection));
    }

    /// <summary>Opens the Delta table at <paramref name="location"/>, reading its Parquet checkpoints with <paramref name="parquet"/>.</summary>
    /// <exception cref="MedallionException">As <see cref="OpenStore(string)"/>.</exception>
    public DeltaTable OpenTable(string location, IParquetHandler parquet) => OpenTable(location, parquet, null);

    /// <summary>Opens the Delta table at <paramref name="location"/>, logging its kernel's and its store's events to <paramref name="loggerFactory"/>.</summary>
    /// <exception cref="MedallionException">As <see cref="OpenStore(string)"/>.</exception>
    public DeltaTable OpenTable(string location, IParquetHandler parquet, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(parquet);
        return new DeltaTable(OpenStore(location, loggerFactory), parquet) { LoggerFactory = loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance };
    }

    /// <summary>Opens the Delta table rooted at <paramref name="store"/> (one <see cref="OpenStore(string)"/> returned), reading its Parquet checkpoints with DuckDB on <paramref name="connection"/>.</summary>
    public static DeltaTable OpenTable(IObjectStore store, DuckDbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(connection);
        return new DeltaTable(store, new DuckDbParquetHandler(connection));
    }

    /// <summary>
    /// True when a Delta table exists at <paramref name="location"/>: its log holds a commit or a checkpoint
    /// (<see cref="DeltaTable.IsVersionFile"/>). A <c>_delta_log</c> folder without one is a table still being created.
    /// </summary>
    /// <exception cref="MedallionException">As <see cref="OpenStore(string)"/>, or when the store cannot be listed.</exception>
    public async Task<bool> IsDeltaTableAsync(string location, CancellationToken cancellationToken = default)
    {
        IObjectStore store = OpenStore(location);
        if (store is LocalObjectStore local)
        {
            return IsLocalDeltaTable(local.Location);
        }

        return await HoldsTableAsync(store, string.Empty, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How many keys of a log a look for a table asks for at a time.</summary>
    private const int FirstLogKeys = 10;

    /// <summary>True when the folder <paramref name="tablePrefix"/> of <paramref name="store"/> (empty for its root, else ending with <c>/</c>) holds a Delta table: see <see cref="IsDeltaTableAsync"/>.</summary>
    internal static async Task<bool> HoldsTableAsync(IObjectStore store, string tablePrefix, CancellationToken cancellationToken)
    {
        // A log's first keys are its oldest version files: a page of a few keys answers, where a page of a long log is a
        // thousand keys, asked for on every query that names the table. A log that starts otherwise is listed on, page by page.
        await foreach (ObjectInfo info in store.ListAsync(tablePrefix + "_delta_log/", null, FirstLogKeys, cancellationToken).ConfigureAwait(false))
        {
            if (DeltaTable.IsVersionFile(info.Key[tablePrefix.Length..]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the folder <paramref name="tableDirectory"/> holds a Delta table: see <see cref="IsDeltaTableAsync"/>.</summary>
    internal static bool IsLocalDeltaTable(string tableDirectory)
    {
        string log = Path.Combine(tableDirectory, "_delta_log");
        return Directory.Exists(log) && Directory.EnumerateFiles(log).Any(file => DeltaTable.IsVersionFile("_delta_log/" + Path.GetFileName(file)));
    }

    /// <summary>True when <paramref name="location"/> starts with a URI scheme (<c>s3://</c>, <c>file://</c>, ...) rather than being a path.</summary>
    public static bool IsUri(string location) => SchemeLength(location) > 0;

    /// <summary>
    /// <paramref name="location"/> as a URI another engine opens: a store's URI as written (<c>s3://</c>, <c>az://</c>,
    /// <c>abfss://</c>, <c>gs://</c>, <c>file://</c>), a local path as its absolute <c>file:///</c> URI.
    /// </summary>
    public static string ToUri(string location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        return IsUri(location) ? location : new Uri(Path.GetFullPath(location)).AbsoluteUri;
    }

    /// <summary>
    /// <paramref name="location"/> as Spark's Hadoop file systems open it, for a location written into Spark SQL
    /// (<c>delta.`...`</c>): <c>s3://</c> becomes <c>s3a://</c>, the S3 file system open-source Spark ships (Databricks
    /// reads both); <c>az://container/path</c> (and <c>azure://</c>) becomes
    /// <c>abfss://container@account.dfs.core.windows.net/path</c>, ADLS's URI, with the account the location's settings
    /// name (<c>AZURE_STORAGE_ACCOUNT</c>, else the <c>AccountName</c> of <c>AZURE_STORAGE_CONNECTION_STRING</c>); every
    /// other location (<c>s3a://</c>, <c>abfss://</c>, <c>gs://</c>, a local path) is given as written.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageConfigurationInvalid"/> for an <c>az://</c>
    /// location whose settings name no account; <see cref="ErrorCode.StorageUnsupportedLocation"/> for one without a container.</exception>
    public string ToSparkUri(string location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        int schemeLength = SchemeLength(location);
        return location[..schemeLength].Equals("s3", StringComparison.OrdinalIgnoreCase) ? "s3a" + location[schemeLength..] : AdlsUri(location, required: true)!;
    }

    /// <summary>
    /// <paramref name="location"/> as engines outside Medallion open it from a catalog (Unity Catalog's
    /// <c>storage_location</c>, the file paths of Iceberg metadata): <see cref="ToUri"/>, except that an <c>az://</c>
    /// location becomes <c>abfss://container@account.dfs.core.windows.net/path</c>, the only name Hadoop's and Iceberg's
    /// file systems know ADLS by, when its settings name the account (see <see cref="ToSparkUri"/>); without one it stays
    /// <c>az://</c>, which DuckDB reads.
    /// </summary>
    public string ToEngineUri(string location) => AdlsUri(ToUri(location), required: false) ?? ToUri(location);

    /// <summary>An <c>az://</c> location as its <c>abfss://</c> URI; any other location as written. Without an account: an error when <paramref name="required"/>, else null.</summary>
    private string? AdlsUri(string location, bool required)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        int schemeLength = SchemeLength(location);
        string scheme = location[..schemeLength].ToLowerInvariant();
        if (scheme is not ("az" or "azure"))
        {
            return location;
        }

        if (!StoreUri.TrySplit(location, out _, out string container, out string path) || container.Contains('@', StringComparison.Ordinal))
        {
            return required
                ? throw new MedallionException(ErrorCode.StorageUnsupportedLocation,
                    $"The table location '{location}' is not a valid Azure Blob URI.\nHelp: write az://container/path/to/table or abfss://container@account.dfs.core.windows.net/path/to/table.")
                : null;
        }

        Func<string, string?> settings = SettingsFor(location.TrimEnd('/'));
        string? account = NonEmpty(settings("AZURE_STORAGE_ACCOUNT")) ?? ConnectionStringValue(settings("AZURE_STORAGE_CONNECTION_STRING"), "AccountName");
        if (account is null || !account.All(char.IsAsciiLetterOrDigit))
        {
            return required
                ? throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                    $"Spark reads ADLS as abfss://container@account.dfs.core.windows.net/..., but no storage account is set for '{location}'{(account is null ? string.Empty : $" ('{account}' is not an account name)")}.\nHelp: set AZURE_STORAGE_ACCOUNT (in storage_options or the environment), or write the storage as abfss://{container}@<account>.dfs.core.windows.net/{path}.")
                : null;
        }

        return $"abfss://{container}@{account.ToLowerInvariant()}.dfs.core.windows.net" + (path.Length == 0 ? string.Empty : "/" + path);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>The value of <paramref name="key"/> in an Azure connection string (<c>Key=value;...</c>); null when absent.</summary>
    private static string? ConnectionStringValue(string? connectionString, string key) =>
        connectionString?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2))
            .Where(pair => pair.Length == 2 && string.Equals(pair[0].Trim(), key, StringComparison.OrdinalIgnoreCase))
            .Select(pair => NonEmpty(pair[1]))
            .FirstOrDefault(value => value is not null);

    private static string LocalPath(string location)
    {
        int schemeLength = SchemeLength(location);
        if (schemeLength == 0)
        {
            return Path.GetFullPath(location);
        }

        string scheme = location[..schemeLength].ToLowerInvariant();
        if (scheme == "file" && Uri.TryCreate(location, UriKind.Absolute, out Uri? uri) && uri.IsFile
            && (uri.Host.Length == 0 || string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)))
        {
            return uri.LocalPath;
        }

        if (scheme == "file")
        {
            throw new MedallionException(ErrorCode.StorageUnsupportedLocation,
                $"The table location '{location}' is not a local file URI.\nHelp: write file:///absolute/path (three slashes, no host), or give the path itself.");
        }

        throw new MedallionException(ErrorCode.StorageUnsupportedLocation,
            $"The table location '{location}' uses the scheme '{scheme}://', which no store supports.\nHelp: give a local path (or a file:/// URI){SupportedUris()}.");
    }

    /// <summary>The URIs the registered stores open, for a help text: <c>, or an s3://, s3a://, az:// ... URI</c>; empty when none is registered.</summary>
    private static string SupportedUris()
    {
        List<string> schemes = [.. s_providers.SelectMany(p => p.Schemes).Select(s => s + "://")];
        return schemes.Count == 0 ? string.Empty : $", or a URI of a store: {string.Join(", ", schemes)}";
    }

    /// <summary>The length of the URI scheme before <c>://</c> (RFC 3986: a letter, then letters, digits, <c>+</c>, <c>-</c>, <c>.</c>), or 0 when there is none.</summary>
    private static int SchemeLength(string location)
    {
        int end = location.IndexOf("://", StringComparison.Ordinal);
        if (end <= 0 || !char.IsAsciiLetter(location[0]))
        {
            return 0;
        }

        for (int i = 1; i < end; i++)
        {
            char c = location[i];
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return 0;
            }
        }

        return end;
    }
}
