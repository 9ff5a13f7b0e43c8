using System;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Medallion;

/// <summary>
/// The error table: for each <see cref="ErrorCode"/>, its kind, whether it is transient, and its SQLSTATE (the HTTP
/// status and the exit code follow from the kind). PgWire's ErrorResponse, the REST API's problem details, the CLI's
/// exit code and retries all read it, so a code is reported the same way at every edge.
/// </summary>
/// <remarks>
/// SQLSTATEs are PostgreSQL's own for the condition: <c>42P01</c> an unknown table, <c>42501</c> a refused privilege,
/// <c>25006</c> a read-only transaction, <c>57014</c> a cancelled or timed-out statement, <c>53xxx</c> exhausted
/// resources, <c>22xxx</c> bad data, <c>40001</c> a conflict worth retrying, <c>08xxx</c> a connection that failed,
/// <c>0A000</c> an unsupported feature, <c>F0000</c> a configuration file, <c>58xxx</c> the system, <c>XX001</c> damaged
/// data and <c>XX000</c> a bug.
/// </remarks>
public static class ErrorCodes
{
    private static readonly FrozenDictionary<ErrorCode, ErrorCodeInfo> s_table = new ErrorCodeInfo[]
    {
        new(ErrorCode.Unknown, ErrorKind.Internal, "XX000"),
        new(ErrorCode.InternalError, ErrorKind.Internal, "XX000"),

        new(ErrorCode.NativeLibraryMissing, ErrorKind.Unavailable, "58000"),
        new(ErrorCode.CommandLineInvalid, ErrorKind.Usage, "22023"),

        // DuckDB's own errors get a finer SQLSTATE from their error type (DuckDbException.SqlState).
        new(ErrorCode.DuckDbQueryFailed, ErrorKind.Input, "42000"),
        new(ErrorCode.DuckDbOpenFailed, ErrorKind.Unavailable, "58030"),
        new(ErrorCode.DuckDbValueOutOfRange, ErrorKind.Input, "22003"),
        new(ErrorCode.DuckDbAppendFailed, ErrorKind.Input, "22000"),
        new(ErrorCode.DuckDbPrepareFailed, ErrorKind.Input, "42000"),

        new(ErrorCode.EngineUnknownTable, ErrorKind.NotFound, "42P01"),
        new(ErrorCode.EngineInvalidTimeTravel, ErrorKind.Input, "22023"),
        new(ErrorCode.EngineReadOnly, ErrorKind.Denied, "25006"),
        new(ErrorCode.EngineFunctionNotAllowed, ErrorKind.Denied, "42501"),
        new(ErrorCode.EngineStatementTooLarge, ErrorKind.Input, "54000"),
        new(ErrorCode.EngineUnsupportedStatement, ErrorKind.Unsupported, "0A000"),
        new(ErrorCode.EngineAccessDenied, ErrorKind.Denied, "42501"),

        // Spark's own errors carry a finer SQLSTATE (SparkException.SqlState) when Spark sends one.
        new(ErrorCode.SparkRemoteInvalid, ErrorKind.Input, "22023"),
        new(ErrorCode.SparkUnavailable, ErrorKind.Unavailable, "08006", IsTransient: true),
        new(ErrorCode.SparkAuthenticationFailed, ErrorKind.Unauthenticated, "28000"),
        new(ErrorCode.SparkQueryFailed, ErrorKind.Input, "42000"),
        new(ErrorCode.SparkQueryTimedOut, ErrorKind.Unavailable, "57014"),
        new(ErrorCode.SparkProtocolViolation, ErrorKind.Unavailable, "08P01"),
        new(ErrorCode.SparkModelInvalid, ErrorKind.Input, "F0000"),
        new(ErrorCode.SparkWriteMissing, ErrorKind.Unavailable, "XX000"),

        new(ErrorCode.DeltaTableNotFound, ErrorKind.NotFound, "42P01"),
        new(ErrorCode.DeltaVersionNotFound, ErrorKind.Input, "22023"),
        new(ErrorCode.DeltaLogGap, ErrorKind.Corrupt, "XX001"),
        new(ErrorCode.DeltaCorruptLogFile, ErrorKind.Corrupt, "XX001"),
        new(ErrorCode.DeltaUnsupportedReaderFeature, ErrorKind.Unsupported, "0A000"),
        new(ErrorCode.DeltaMissingProtocolOrMetadata, ErrorKind.Corrupt, "XX001"),
        new(ErrorCode.DeltaInvalidSchema, ErrorKind.Corrupt, "XX001"),
        new(ErrorCode.DeltaInvalidPartitionValue, ErrorKind.Corrupt, "XX001"),
        new(ErrorCode.DeltaInvalidDeletionVector, ErrorKind.Corrupt, "XX001"),
        new(ErrorCode.DeltaTimestampOutOfRange, ErrorKind.Input, "22023"),
        new(ErrorCode.DeltaParquetReaderMissing, ErrorKind.Internal, "XX000"),
        new(ErrorCode.DeltaInvalidChangeRange, ErrorKind.Input, "22023"),
        new(ErrorCode.DeltaInvalidPredicate, ErrorKind.Input, "42804"),
        new(ErrorCode.DeltaFileErased, ErrorKind.NotFound, "58P01"),

        new(ErrorCode.DeltaConcurrentModification, ErrorKind.Conflict, "40001", IsTransient: true),
        new(ErrorCode.DeltaCommitRetriesExhausted, ErrorKind.Conflict, "40001", IsTransient: true),
        new(ErrorCode.DeltaUnsupportedWriterFeature, ErrorKind.Unsupported, "0A000"),
        new(ErrorCode.DeltaSchemaMismatch, ErrorKind.Input, "42804"),
        new(ErrorCode.DeltaConstraintViolation, ErrorKind.Input, "23000"),
        new(ErrorCode.DeltaTableAlreadyExists, ErrorKind.Conflict, "42P07"),
        new(ErrorCode.DeltaOperationNotAllowed, ErrorKind.Input, "55000"),
        new(ErrorCode.DeltaInvalidWriteArgument, ErrorKind.Input, "22023"),
        new(ErrorCode.DeltaRetentionTooShort, ErrorKind.Input, "22023"),
        new(ErrorCode.DeltaCheckpointFailed, ErrorKind.Unavailable, "58030"),
        new(ErrorCode.DeltaTableProtected, ErrorKind.Denied, "42501"),
        new(ErrorCode.DeltaValueOutOfRange, ErrorKind.Input, "22003"),
        new(ErrorCode.UniFormConfigurationInvalid, ErrorKind.Input, "22023"),
        new(ErrorCode.UniFormConversionFailed, ErrorKind.Unavailable, "58030", IsTransient: true),

        new(ErrorCode.StorageObjectNotFound, ErrorKind.NotFound, "58P01"),
        new(ErrorCode.StorageObjectAlreadyExists, ErrorKind.Conflict, "58P02"),
        new(ErrorCode.StorageIoFailed, ErrorKind.Unavailable, "58030", IsTransient: true),
        new(ErrorCode.StorageInvalidKey, ErrorKind.Input, "22023"),
        new(ErrorCode.StorageUnsupportedLocation, ErrorKind.Unsupported, "0A000"),
        new(ErrorCode.StorageAccessDenied, ErrorKind.Unavailable, "58000"),
        new(ErrorCode.StorageContainerNotFound, ErrorKind.Unavailable, "58000"),
        new(ErrorCode.StorageConditionalWritesUnsupported, ErrorKind.Unsupported, "0A000"),
        new(ErrorCode.StorageConfigurationInvalid, ErrorKind.Input, "F0000"),
        new(ErrorCode.StorageFull, ErrorKind.Unavailable, "53100"),

        new(ErrorCode.StorageCredentialsNotConfigured, ErrorKind.Unsupported, "0A000"),
        new(ErrorCode.StorageCredentialsUnsupported, ErrorKind.Unsupported, "0A000"),
        new(ErrorCode.StorageCredentialsFailed, ErrorKind.Unavailable, "58000", IsTransient: true),
        new(ErrorCode.TableCredentialsRestricted, ErrorKind.Denied, "42501"),
        new(ErrorCode.TableCredentialsWriteDenied, ErrorKind.Denied, "42501"),
        new(ErrorCode.TableCredentialsPathUnknown, ErrorKind.NotFound, "42P01"),

        new(ErrorCode.ProjectFileInvalid, ErrorKind.Input, "F0000"),
        new(ErrorCode.ProjectNotFound, ErrorKind.NotFound, "58P01"),
        new(ErrorCode.ProjectEnvironmentVariableMissing, ErrorKind.Input, "F0000"),
        new(ErrorCode.ModelDuplicate, ErrorKind.Input, "42710"),
        new(ErrorCode.ModelSqlInvalid, ErrorKind.Input, "42601"),
        new(ErrorCode.ModelUnknownTable, ErrorKind.NotFound, "42P01"),
        new(ErrorCode.ModelCycle, ErrorKind.Input, "42P17"),
        new(ErrorCode.ModelSelectionInvalid, ErrorKind.Input, "22023"),
        new(ErrorCode.ModelConfigInvalid, ErrorKind.Input, "F0000"),
        new(ErrorCode.ProjectAlreadyExists, ErrorKind.Conflict, "42710"),
        new(ErrorCode.JobDefinitionInvalid, ErrorKind.Input, "F0000"),
        new(ErrorCode.ProjectFileChanged, ErrorKind.Conflict, "55000"),
        new(ErrorCode.JobScheduleInvalid, ErrorKind.Input, "22023"),
        new(ErrorCode.TableNameInvalid, ErrorKind.Input, "42602"),
        new(ErrorCode.ModelPiiUnclassified, ErrorKind.Input, "23514"),
        new(ErrorCode.SubjectRequestInvalid, ErrorKind.Input, "22023"),
        new(ErrorCode.SubjectErasureUnconfirmed, ErrorKind.Conflict, "55006"),
        new(ErrorCode.RunModelFailed, ErrorKind.Input, "42000"),
        new(ErrorCode.RunUpstreamMissing, ErrorKind.NotFound, "42P01"),
        new(ErrorCode.RunResultInvalid, ErrorKind.Input, "23000"),
        new(ErrorCode.RunStorageUnsupported, ErrorKind.Unsupported, "0A000"),
        new(ErrorCode.RunTimedOut, ErrorKind.Unavailable, "57014"),
        new(ErrorCode.RunNeedsFullRefresh, ErrorKind.Input, "55000"),
        new(ErrorCode.SourceFileUnreadable, ErrorKind.Input, "22000"),
        new(ErrorCode.SourceSchemaIncompatible, ErrorKind.Input, "42804"),
        new(ErrorCode.SourceLoadStateInvalid, ErrorKind.Corrupt, "XX001"),
        new(ErrorCode.QuickstartRunFailed, ErrorKind.Unavailable, "58000"),
        new(ErrorCode.EnvironmentNameInvalid, ErrorKind.Input, "22023"),
        new(ErrorCode.PlanApplyInProgress, ErrorKind.Conflict, "55006"),
        new(ErrorCode.EnvironmentNotFound, ErrorKind.NotFound, "42704"),
        new(ErrorCode.EnvironmentTableNotOwn, ErrorKind.Conflict, "55000"),
        new(ErrorCode.EnvironmentProtected, ErrorKind.Input, "42809"),
        new(ErrorCode.EnvironmentInUse, ErrorKind.Conflict, "55006"),
        new(ErrorCode.JanitorApplyInProgress, ErrorKind.Conflict, "55006"),
        new(ErrorCode.JanitorTableNotRemoved, ErrorKind.Unavailable, "58030"),
        new(ErrorCode.JanitorRetentionInvalid, ErrorKind.Input, "22023"),
        new(ErrorCode.EnvironmentChangeInTransaction, ErrorKind.Conflict, "25001"),
        new(ErrorCode.CatalogOpenFailed, ErrorKind.Unavailable, "58030"),
        new(ErrorCode.CatalogSchemaTooNew, ErrorKind.Unsupported, "0A000"),
        new(ErrorCode.CatalogObjectNotFound, ErrorKind.NotFound, "42704"),
        new(ErrorCode.CatalogLeaseHeld, ErrorKind.Unavailable, "55006"),
        new(ErrorCode.CatalogAccessDeclared, ErrorKind.Conflict, "55000"),
        new(ErrorCode.CatalogAccessInvalid, ErrorKind.Input, "22023"),
        new(ErrorCode.CatalogWriteFailed, ErrorKind.Unavailable, "58030"),
        new(ErrorCode.CatalogBusy, ErrorKind.Unavailable, "55P03", IsTransient: true),
        new(ErrorCode.CatalogCorrupt, ErrorKind.Corrupt, "XX001"),
        new(ErrorCode.CatalogLocationInvalid, ErrorKind.Input, "22023"),
        new(ErrorCode.CatalogUnavailable, ErrorKind.Unavailable, "08006", IsTransient: true),
        new(ErrorCode.CatalogCopyRefused, ErrorKind.Conflict, "55000"),
        // Another server took the run over: not this one's to retry.
        new(ErrorCode.RunNoLongerHeld, ErrorKind.Conflict, "55000"),
        new(ErrorCode.SavedQueryInvalid, ErrorKind.Input, "22023"),

        new(ErrorCode.QualityRuleInvalid, ErrorKind.Input, "F0000"),
        new(ErrorCode.QualityCheckFailed, ErrorKind.Input, "23514"),
        new(ErrorCode.ContractViolated, ErrorKind.Input, "42804"),
        new(ErrorCode.ContractDocumentInvalid, ErrorKind.Input, "F0000"),
        new(ErrorCode.QualityColumnMissing, ErrorKind.Input, "42703"),
        new(ErrorCode.QualityRuleCannotRun, ErrorKind.Input, "42000"),

        new(ErrorCode.SourceUnavailable, ErrorKind.Unavailable, "08006", IsTransient: true),
        new(ErrorCode.SourceAuthenticationFailed, ErrorKind.Unavailable, "08004"),
        new(ErrorCode.SourceTableNotFound, ErrorKind.NotFound, "42P01"),
        new(ErrorCode.SourceColumnNotFound, ErrorKind.NotFound, "42703"),
        new(ErrorCode.SourceTypeNotSupported, ErrorKind.Unsupported, "0A000"),
        new(ErrorCode.SourceReadFailed, ErrorKind.Input, "22000"),
        new(ErrorCode.SourcePositionInvalid, ErrorKind.Input, "55000"),
        new(ErrorCode.SourceConcurrentIngestion, ErrorKind.Conflict, "55006"),
        new(ErrorCode.SourceUrlInvalid, ErrorKind.Input, "22023"),
        new(ErrorCode.SourceChangeLogUnavailable, ErrorKind.Unavailable, "55000"),
        new(ErrorCode.SourceChangeLogPurged, ErrorKind.NotFound, "58P01"),
        new(ErrorCode.SourceTableChanged, ErrorKind.Conflict, "55000"),
        new(ErrorCode.HttpSourceRequestFailed, ErrorKind.Unavailable, "08006", IsTransient: true),
        new(ErrorCode.HttpSourceAuthenticationFailed, ErrorKind.Unavailable, "08004"),
        new(ErrorCode.HttpSourceResponseInvalid, ErrorKind.Input, "22000"),
        new(ErrorCode.SourceSecretMissing, ErrorKind.Input, "F0000"),
        new(ErrorCode.DebeziumEventInvalid, ErrorKind.Input, "22000"),
        new(ErrorCode.HttpSourceOriginRefused, ErrorKind.Denied, "42501"),
        new(ErrorCode.KafkaConfigurationInvalid, ErrorKind.Input, "F0000"),
        new(ErrorCode.KafkaConsumeFailed, ErrorKind.Unavailable, "08006"),

        // A PgWireException carries the SQLSTATE of its own failure; these are the defaults of the codes.
        new(ErrorCode.PgWireStartFailed, ErrorKind.Unavailable, "58000"),
        new(ErrorCode.PgWireProtocolViolation, ErrorKind.Input, "08P01"),
        new(ErrorCode.PgWireAuthenticationFailed, ErrorKind.Unauthenticated, "28000"),
        new(ErrorCode.PgWireStatementFailed, ErrorKind.Input, "42000"),
        new(ErrorCode.PgWireTooManyConnections, ErrorKind.Unavailable, "53300", IsTransient: true),
        new(ErrorCode.LoginThrottled, ErrorKind.Unavailable, "53300", IsTransient: true),

        new(ErrorCode.ServerStartFailed, ErrorKind.Unavailable, "58000"),
        new(ErrorCode.ServerNotRunning, ErrorKind.Unavailable, "08001"),
        new(ErrorCode.ServerRequestFailed, ErrorKind.Unavailable, "58000"),
        new(ErrorCode.TelemetryConfigurationInvalid, ErrorKind.Input, "F0000"),
        new(ErrorCode.ApiRequestInvalid, ErrorKind.Input, "22023"),
        new(ErrorCode.ApiAuthenticationFailed, ErrorKind.Unauthenticated, "28000"),
        new(ErrorCode.ApiForbidden, ErrorKind.Denied, "42501"),
    }.ToFrozenDictionary(row => row.Code);

    /// <summary>The table's row for <paramref name="code"/>; a number no row has (one from a newer Medallion) is an internal error.</summary>
    public static ErrorCodeInfo Describe(ErrorCode code) =>
        s_table.TryGetValue(code, out ErrorCodeInfo info) ? info : new ErrorCodeInfo(code, ErrorKind.Internal, "XX000");

    /// <summary>
    /// How an unexpected exception (a bug) is recorded where a failure's text is kept (a run's error): <c>MDL0100</c>,
    /// that it is a bug, and the exception with its type, message, stack and inner exceptions, which a report needs.
    /// </summary>
    public static string Unexpected(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return $"{Format(ErrorCode.InternalError)}: an unexpected error inside Medallion (a bug, not a problem with the data or the definitions); report it with these details: {error}";
    }

    /// <summary>Formats a code as users see it, e.g. <c>MDL2001</c>.</summary>
    public static string Format(ErrorCode code) => "MDL" + ((int)code).ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>The code <c>MDL</c> and four digits name, or null when the text is no code of this table.</summary>
    public static ErrorCode? Parse(string? text) =>
        text is { Length: 7 } && text.StartsWith("MDL", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int number)
            && s_table.ContainsKey((ErrorCode)number)
            ? (ErrorCode)number
            : null;

    /// <summary>Names that stay whole in a title, where the enum spells them as words.</summary>
    private static readonly (string Words, string Name)[] s_names =
    [
        (" duck db ", " DuckDB "), (" pg wire ", " PgWire "), (" sql ", " SQL "), (" http ", " HTTP "), (" api ", " API "), (" pii ", " PII "), (" io ", " I/O "),
    ];

    /// <summary>A code's name as words, the title of its kind of problem: <c>CatalogObjectNotFound</c> is "Catalog object not found".</summary>
    public static string Title(ErrorCode code)
    {
        var words = new StringBuilder(" ");
        foreach (char c in code.ToString())
        {
            if (char.IsUpper(c) && words.Length > 1)
            {
                words.Append(' ');
            }

            words.Append(char.ToLowerInvariant(c));
        }

        string title = words.Append(' ').ToString();
        foreach ((string from, string to) in s_names)
        {
            title = title.Replace(from, to, StringComparison.Ordinal);
        }

        title = title.Trim();
        return char.ToUpperInvariant(title[0]) + title[1..];
    }
}
