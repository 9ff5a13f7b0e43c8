namespace Medallion.PgWire.Protocol;

/// <summary>The SQLSTATE codes we send (https://www.postgresql.org/docs/current/errcodes-appendix.html).</summary>
internal static class SqlState
{
    public const string SuccessfulCompletion = "00000";
    public const string Warning = "01000";
    public const string ConnectionException = "08000";
    public const string ProtocolViolation = "08P01";
    public const string FeatureNotSupported = "0A000";
    public const string InvalidParameterValue = "22023";
    public const string DataException = "22000";
    public const string NumericValueOutOfRange = "22003";
    public const string InvalidDatetimeFormat = "22007";
    public const string DivisionByZero = "22012";
    public const string InvalidTextRepresentation = "22P02";
    public const string InvalidBinaryRepresentation = "22P03";
    public const string IntegrityConstraintViolation = "23000";
    public const string ActiveSqlTransaction = "25001";
    public const string ReadOnlySqlTransaction = "25006";
    public const string NoActiveSqlTransaction = "25P01";
    public const string InFailedSqlTransaction = "25P02";
    public const string InvalidTransactionState = "25000";
    public const string InvalidAuthorizationSpecification = "28000";
    public const string InvalidPassword = "28P01";
    public const string InvalidCatalogName = "3D000";
    public const string InvalidSavepointSpecification = "3B001";
    public const string InvalidCursorName = "34000";
    public const string InvalidSqlStatementName = "26000";
    public const string InvalidSchemaName = "3F000";
    public const string CantChangeRuntimeParam = "55P02";
    public const string SerializationFailure = "40001";
    public const string SyntaxError = "42601";
    public const string InsufficientPrivilege = "42501";
    public const string UndefinedColumn = "42703";
    public const string UndefinedFunction = "42883";
    public const string UndefinedTable = "42P01";
    public const string UndefinedObject = "42704";
    public const string UndefinedParameter = "42P02";
    public const string DatatypeMismatch = "42804";
    public const string DuplicatePreparedStatement = "42P05";
    public const string DuplicateCursor = "42P03";
    public const string InvalidPreparedStatementDefinition = "42P14";
    public const string SyntaxErrorOrAccessRuleViolation = "42000";
    public const string ProgramLimitExceeded = "54000";
    public const string OutOfMemory = "53200";
    public const string TooManyConnections = "53300";
    public const string QueryCanceled = "57014";
    public const string AdminShutdown = "57P01";
    public const string SystemError = "58000";
    public const string IoError = "58030";
    public const string InternalError = "XX000";
}
