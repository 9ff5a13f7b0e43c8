using System.Globalization;

namespace Medallion;

/// <summary>
/// Stable error codes, one numeric range per subsystem (in the style of dbt's error codes).
/// A code never changes meaning once shipped; new errors take new numbers.
/// </summary>
/// <remarks>
/// Ranges: 1000 build and set-up, 2000 DuckDB engine, 3000 Delta read, 4000 Delta write and
/// transactions, 5000 storage, 6000 projects, models and pipelines, 7000 quality, 8000 ingestion,
/// 9000 PgWire and serving.
/// </remarks>
public enum ErrorCode
{
    /// <summary>An error with no more specific code.</summary>
    Unknown = 0,

    /// <summary>The native DuckDB library could not be found or loaded.</summary>
    NativeLibraryMissing = 1001,

    /// <summary>DuckDB reported an error while running a statement.</summary>
    DuckDbQueryFailed = 2001,
    /// <summary>DuckDB could not open a database or connection.</summary>
    DuckDbOpenFailed = 2002,
    /// <summary>A value cannot be represented in the requested .NET type.</summary>
    DuckDbValueOutOfRange = 2003,
    /// <summary>An appender could not append or flush rows.</summary>
    DuckDbAppendFailed = 2004,
    /// <summary>A statement could not be prepared or bound.</summary>
    DuckDbPrepareFailed = 2005,

    /// <summary>A project file (<c>medallion.yml</c>, a source or a model config) is not valid YAML or has the wrong shape.</summary>
    ProjectFileInvalid = 6001,
    /// <summary>No <c>medallion.yml</c> was found where a project was expected.</summary>
    ProjectNotFound = 6002,
    /// <summary>A <c>${NAME}</c> reference in a project file names an environment variable that is not set.</summary>
    ProjectEnvironmentVariableMissing = 6003,
    /// <summary>Two models or sources define the same table.</summary>
    ModelDuplicate = 6004,
    /// <summary>A model's SQL does not parse or is not a single SELECT.</summary>
    ModelSqlInvalid = 6005,
    /// <summary>A model refers to a table that no model or source defines.</summary>
    ModelUnknownTable = 6006,
    /// <summary>Models depend on each other in a cycle.</summary>
    ModelCycle = 6007,
    /// <summary>A <c>--select</c> expression matches no model or does not parse.</summary>
    ModelSelectionInvalid = 6008,
    /// <summary>A model's configuration is inconsistent (e.g. <c>merge</c> without a unique key).</summary>
    ModelConfigInvalid = 6009,
    /// <summary>The directory given to <c>medallion init</c> already holds a project.</summary>
    ProjectAlreadyExists = 6010,
    /// <summary>The catalog database could not be opened or migrated.</summary>
    CatalogOpenFailed = 6901,
    /// <summary>The catalog was written by a newer Medallion whose schema this one does not know.</summary>
    CatalogSchemaTooNew = 6902,
    /// <summary>A catalog operation named a table, run or namespace that does not exist.</summary>
    CatalogObjectNotFound = 6903,

    /// <summary>An expectation is declared with missing or invalid arguments.</summary>
    QualityRuleInvalid = 7001,
    /// <summary>A <c>fail</c>-severity expectation did not hold, so nothing was committed.</summary>
    QualityCheckFailed = 7002,
}

/// <summary>Formatting helpers for <see cref="ErrorCode"/>.</summary>
public static class ErrorCodes
{
    /// <summary>Formats a code as users see it, e.g. <c>MDL2001</c>.</summary>
    public static string Format(ErrorCode code) => "MDL" + ((int)code).ToString("D4", CultureInfo.InvariantCulture);
}
