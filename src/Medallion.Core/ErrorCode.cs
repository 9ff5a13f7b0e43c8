namespace Medallion;

/// <summary>
/// Stable error codes, one numeric range per subsystem (in the style of dbt's error codes).
/// A code never changes meaning once shipped; new errors take new numbers.
/// </summary>
/// <remarks>
/// Ranges: 0100 internal errors (a bug in Medallion, never the user's input), 1000 build, set-up and command-line input, 2000 DuckDB engine, 3000 Delta read, 4000 Delta write and
/// transactions, 5000 storage, 6000 projects, models and pipelines, 7000 quality, 8000 ingestion,
/// 9000 PgWire and serving. What each code is (its kind, whether it is transient, its SQLSTATE, HTTP status and exit
/// code) is in one table, <see cref="ErrorCodes.Describe"/>, which every edge reads.
/// </remarks>
public enum ErrorCode
{
    /// <summary>An error with no more specific code.</summary>
    Unknown = 0,

    /// <summary>An unexpected failure inside Medallion: a bug, not a problem with the input. The CLI says so and what a report needs.</summary>
    InternalError = 100,

    /// <summary>The native DuckDB library could not be found or loaded.</summary>
    NativeLibraryMissing = 1001,
    /// <summary>A command line is refused: an argument or option value is invalid (a malformed duration, key=value pair, count or timestamp), options do not go together, or one the command needs is missing.</summary>
    CommandLineInvalid = 1101,

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

    /// <summary>A query names a lakehouse table that does not exist.</summary>
    EngineUnknownTable = 2101,
    /// <summary>A time-travel clause (<c>AT (VERSION => ...)</c>) cannot be evaluated or names no version of the table.</summary>
    EngineInvalidTimeTravel = 2102,
    /// <summary>A statement would change data through a read-only session.</summary>
    EngineReadOnly = 2103,
    /// <summary>A statement calls a function, or reads a relation, that the session does not allow (a side effect on the server, or a file read).</summary>
    EngineFunctionNotAllowed = 2104,
    /// <summary>A query is larger or more complex than a session accepts (SQL text size, statement count, set-operation branches).</summary>
    EngineStatementTooLarge = 2105,
    /// <summary>A statement uses a form the session does not support (an EXPLAIN option, a parameter in place of checked SQL).</summary>
    EngineUnsupportedStatement = 2106,
    /// <summary>A query reads a table or column the session's user has no grant for (SQLSTATE 42501 on the wire).</summary>
    EngineAccessDenied = 2107,

    /// <summary>A Spark Connect address (<c>remote: sc://host:port/;param=value</c>) is malformed, or would send a token without TLS to a remote host.</summary>
    SparkRemoteInvalid = 2201,
    /// <summary>The Spark Connect server cannot be reached, or the connection broke and could not be resumed.</summary>
    SparkUnavailable = 2202,
    /// <summary>Spark refused the credentials (token) of a Spark Connect connection.</summary>
    SparkAuthenticationFailed = 2203,
    /// <summary>Spark failed a query or command; the message carries Spark's error class, SQLSTATE and message.</summary>
    SparkQueryFailed = 2204,
    /// <summary>A Spark query ran past its timeout and was interrupted on the server.</summary>
    SparkQueryTimedOut = 2205,
    /// <summary>The Spark Connect server answered something the protocol does not allow (an unreadable Arrow batch, a row count that does not match).</summary>
    SparkProtocolViolation = 2206,
    /// <summary>A model or job asks for <c>engine: spark</c> in a way Spark cannot run: no <c>spark_connect</c> connection to run on, or a setting only DuckDB runs.</summary>
    SparkModelInvalid = 2207,
    /// <summary>Spark reported success for a model's write, but the model's Delta table shows no new version of it.</summary>
    SparkWriteMissing = 2208,

    /// <summary>The path holds no Delta table: there is no <c>_delta_log</c> or it has no commits.</summary>
    DeltaTableNotFound = 3001,
    /// <summary>The requested table version does not exist (before the oldest reconstructable version or after the newest).</summary>
    DeltaVersionNotFound = 3002,
    /// <summary>The log has a gap: a commit file between the checkpoint and the requested version is missing.</summary>
    DeltaLogGap = 3003,
    /// <summary>A commit, checkpoint or <c>_last_checkpoint</c> file could not be parsed.</summary>
    DeltaCorruptLogFile = 3004,
    /// <summary>The table needs a reader protocol version or reader feature this reader does not support.</summary>
    DeltaUnsupportedReaderFeature = 3005,
    /// <summary>Log replay found no <c>protocol</c> or no <c>metaData</c> action.</summary>
    DeltaMissingProtocolOrMetadata = 3006,
    /// <summary>The table schema (<c>schemaString</c>) is not valid Delta schema JSON.</summary>
    DeltaInvalidSchema = 3007,
    /// <summary>A partition value cannot be parsed as its column's type.</summary>
    DeltaInvalidPartitionValue = 3008,
    /// <summary>A deletion vector is malformed, fails its checksum, or its file is missing.</summary>
    DeltaInvalidDeletionVector = 3009,
    /// <summary>A timestamp for time travel is before the first commit of the table.</summary>
    DeltaTimestampOutOfRange = 3010,
    /// <summary>A checkpoint needs a Parquet reader and none was provided.</summary>
    DeltaParquetReaderMissing = 3011,
    /// <summary>A change data feed range is invalid (start after end, or past the newest version).</summary>
    DeltaInvalidChangeRange = 3012,
    /// <summary>A scan predicate refers to a column the table does not have, or compares it with a literal of the wrong type.</summary>
    DeltaInvalidPredicate = 3013,
    /// <summary>A version cannot be read: a data file it references was removed by a data subject erasure (LGPD Art. 18), so the version is no longer complete.</summary>
    DeltaFileErased = 3014,

    /// <summary>A concurrent commit conflicts with this transaction (it removed files this one read or removed, or changed data this one read); retrying the whole operation may succeed.</summary>
    DeltaConcurrentModification = 4001,
    /// <summary>The commit was retried as often as allowed and other writers kept winning.</summary>
    DeltaCommitRetriesExhausted = 4002,
    /// <summary>The table needs a writer protocol version or writer feature this writer does not support.</summary>
    DeltaUnsupportedWriterFeature = 4003,
    /// <summary>The data written does not match the table schema (missing column, incompatible type, or a schema change without mergeSchema).</summary>
    DeltaSchemaMismatch = 4004,
    /// <summary>A NOT NULL or CHECK constraint is violated by the data written.</summary>
    DeltaConstraintViolation = 4005,
    /// <summary>A table already exists where a new one is to be created.</summary>
    DeltaTableAlreadyExists = 4006,
    /// <summary>The operation is not allowed on this table (e.g. a delete on an append-only table).</summary>
    DeltaOperationNotAllowed = 4007,
    /// <summary>A table property, schema or option given to a write operation is invalid.</summary>
    DeltaInvalidWriteArgument = 4008,
    /// <summary>VACUUM was asked to keep less history than the table's retention and was not forced.</summary>
    DeltaRetentionTooShort = 4009,
    /// <summary>A checkpoint could not be written.</summary>
    DeltaCheckpointFailed = 4010,
    /// <summary>The table is protected (the audit): no command, model or query may write, delete from, vacuum or restore it.</summary>
    DeltaTableProtected = 4011,
    /// <summary>A value written (by a write, UPDATE or MERGE) does not fit its column's type: a number out of the column's range, as Spark's ANSI store assignment refuses it.</summary>
    DeltaValueOutOfRange = 4012,

    /// <summary>
    /// Delta UniForm (Iceberg metadata beside the Delta log) cannot be enabled as configured: IcebergCompatV2 is not
    /// enabled with it, deletion vectors are, the table has no column mapping, or its schema or partitioning uses what
    /// the conversion does not support.
    /// </summary>
    UniFormConfigurationInvalid = 4101,
    /// <summary>
    /// The Iceberg metadata of a Delta UniForm table could not be written for a version; the Delta commit stands, and the
    /// next commit (or a catch-up) converts again from the newest converted version.
    /// </summary>
    UniFormConversionFailed = 4102,

    /// <summary>An object does not exist in the store.</summary>
    StorageObjectNotFound = 5001,
    /// <summary>A conditional put found the object already there (someone else wrote it first).</summary>
    StorageObjectAlreadyExists = 5002,
    /// <summary>The store failed to read, write, list or delete an object.</summary>
    StorageIoFailed = 5003,
    /// <summary>An object key is not a valid relative key (absolute, empty segment, or <c>..</c>).</summary>
    StorageInvalidKey = 5004,
    /// <summary>A table location is a URI whose scheme no object store supports yet (e.g. <c>s3://</c> before the S3 store exists).</summary>
    StorageUnsupportedLocation = 5005,
    /// <summary>An object store refused the credentials, or found none (wrong key, expired token, no permission); or the local file system refused the lake's files to the process (permission denied).</summary>
    StorageAccessDenied = 5006,
    /// <summary>The bucket or container a table location names does not exist.</summary>
    StorageContainerNotFound = 5007,
    /// <summary>The store cannot write conditionally (put-if-absent), so concurrent commits could overwrite each other; committing needs the single-writer opt-in.</summary>
    StorageConditionalWritesUnsupported = 5008,
    /// <summary>The settings of an object store (endpoint, region, account, credentials, cache) are missing or invalid.</summary>
    StorageConfigurationInvalid = 5009,
    /// <summary>The disk a table's files are written to (the lake, or a remote store's local cache) has no space left; nothing was committed.</summary>
    StorageFull = 5010,

    // 57xx: temporary credentials other engines get for a table's files (Unity Catalog, Iceberg REST).
    /// <summary>A store's settings name nothing temporary credentials could be issued from (no role to assume, no key to sign a SAS with).</summary>
    StorageCredentialsNotConfigured = 5701,
    /// <summary>This kind of store (or location) cannot have credentials limited to it issued here.</summary>
    StorageCredentialsUnsupported = 5702,
    /// <summary>The cloud refused to issue temporary credentials or did not answer (STS, the blob service).</summary>
    StorageCredentialsFailed = 5703,
    /// <summary>Credentials for a table's files are refused to a user who reads it only through masks, a row filter or some of its columns: the files hold every row and value.</summary>
    TableCredentialsRestricted = 5704,
    /// <summary>Credentials that write a table's files are refused to a user who may not write it.</summary>
    TableCredentialsWriteDenied = 5705,
    /// <summary>A path asked credentials for is not a table of the project, or not one the user may read.</summary>
    TableCredentialsPathUnknown = 5706,

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
    /// <summary>A job definition is invalid: an unknown key, table, source or job, or a cycle of <c>after:</c> jobs.</summary>
    JobDefinitionInvalid = 6011,
    /// <summary>A job's schedule is invalid: a cron expression, alias, period or time zone that cannot be read.</summary>
    JobScheduleInvalid = 6012,
    /// <summary>Text that should name a table is not <c>namespace.name</c>.</summary>
    TableNameInvalid = 6013,
    /// <summary>A silver or gold model writes personal data (found by sampling its result) into a column without a classification, and the project's <c>pii_guard</c> is <c>fail</c>.</summary>
    ModelPiiUnclassified = 6014,
    /// <summary>A data subject request is malformed: no identifier, or one that is not valid for its kind (a CPF with wrong check digits).</summary>
    SubjectRequestInvalid = 6015,
    /// <summary>
    /// An erasure could not be confirmed: runs that started before it were still running when it gave up waiting (they may
    /// write the person back), or the person came back after every pass (a source still holds them).
    /// </summary>
    SubjectErasureUnconfirmed = 6016,
    /// <summary>A project file changed on disk since it was read for an edit (someone else saved it, or a deploy replaced it); the edit was not written.</summary>
    ProjectFileChanged = 6017,
    /// <summary>A model failed during a run (its SQL failed in DuckDB, or its result could not be written); its table is unchanged.</summary>
    RunModelFailed = 6101,
    /// <summary>A model reads a table that has no data yet (a source never loaded, or a model never built).</summary>
    RunUpstreamMissing = 6102,
    /// <summary>A model's result breaks what its materialization needs (e.g. a duplicate or null unique key, a reserved column name).</summary>
    RunResultInvalid = 6103,
    /// <summary>The project's storage or catalog is of a kind <c>medallion run</c> cannot write yet.</summary>
    RunStorageUnsupported = 6104,
    /// <summary>A model or a run attempt ran longer than its job's timeout and was interrupted; nothing of the interrupted model was committed.</summary>
    RunTimedOut = 6105,
    /// <summary>A model's result no longer fits its existing table (e.g. an scd2 history gaining columns); only a full refresh, which rebuilds the table, can write it.</summary>
    RunNeedsFullRefresh = 6106,
    /// <summary>A file of a file source cannot be opened or read by its format's reader.</summary>
    SourceFileUnreadable = 6201,
    /// <summary>A column of a source file has a type the bronze table's column cannot hold.</summary>
    SourceSchemaIncompatible = 6202,
    /// <summary>The record of loaded files kept in a bronze table cannot be read.</summary>
    SourceLoadStateInvalid = 6203,
    /// <summary>A run of <c>medallion quickstart</c> did not succeed, so the demo stopped before its summary.</summary>
    QuickstartRunFailed = 6301,
    /// <summary>An environment's name is not one (lowercase letters, digits, <c>_</c> and <c>-</c>, starting with a letter, at most 63 characters).</summary>
    EnvironmentNameInvalid = 6401,
    /// <summary>Another <c>medallion apply</c> holds the environment's apply lock; applies to one environment never interleave.</summary>
    PlanApplyInProgress = 6402,
    /// <summary><c>medallion promote</c> named an environment that has built nothing, or <c>medallion rollback</c> one that has no earlier set of tables to go back to.</summary>
    EnvironmentNotFound = 6403,
    /// <summary>A run in an environment other than <c>prod</c> would write a model's table the environment reads from <c>prod</c>; it writes only tables of its own.</summary>
    EnvironmentTableNotOwn = 6404,
    /// <summary><c>medallion env drop</c> named <c>prod</c>, whose pointers are what every reader reads: it is never dropped.</summary>
    EnvironmentProtected = 6405,
    /// <summary><c>medallion env drop</c> named an environment an apply, promotion or rollback holds the apply lock of; it waits for none.</summary>
    EnvironmentInUse = 6406,
    /// <summary>The janitor found an apply under way, whose new tables have no pointer yet, so it removed nothing this time.</summary>
    JanitorApplyInProgress = 6407,
    /// <summary>The janitor could not delete every file of an unpointed table; what is left is tried again at its next pass.</summary>
    JanitorTableNotRemoved = 6408,
    /// <summary>The janitor's retention is not a positive duration (<c>--retention</c>, or <c>maintenance.janitor_retention</c> in <c>medallion.yml</c>).</summary>
    JanitorRetentionInvalid = 6409,
    /// <summary><c>SET medallion.environment</c> (or its <c>RESET</c>) was sent inside a transaction block: a session changes environment between transactions only, as PostgreSQL's own settings that cannot change inside one.</summary>
    EnvironmentChangeInTransaction = 6410,
    /// <summary>The catalog database could not be opened or migrated.</summary>
    CatalogOpenFailed = 6901,
    /// <summary>The catalog was written by a newer Medallion whose schema this one does not know.</summary>
    CatalogSchemaTooNew = 6902,
    /// <summary>A catalog operation named a table, run or namespace that does not exist.</summary>
    CatalogObjectNotFound = 6903,
    /// <summary>Another scheduler holds the catalog's scheduler lease, so this one may not schedule runs.</summary>
    CatalogLeaseHeld = 6904,
    /// <summary>A role, grant, masking policy or row filter is declared in the project's files, so only those files change it.</summary>
    CatalogAccessDeclared = 6905,
    /// <summary>A role, grant, masking policy or row filter is malformed or names something that does not exist.</summary>
    CatalogAccessInvalid = 6906,
    /// <summary>The catalog file could not be written (its disk is full or failing); that write was not recorded, and the file is unchanged.</summary>
    CatalogWriteFailed = 6907,
    /// <summary>Another process held the catalog file locked for longer than a catalog operation waits; nothing was written, and trying again may succeed.</summary>
    CatalogBusy = 6908,
    /// <summary>The catalog file is damaged or is not a SQLite database; the operation read or wrote nothing.</summary>
    CatalogCorrupt = 6909,
    /// <summary>The catalog's location (a file path or a <c>postgres://</c> URL) cannot be read or names an engine the catalog cannot live on.</summary>
    CatalogLocationInvalid = 6910,
    /// <summary>The catalog's database server could not be reached, or dropped the connection; nothing of the operation was recorded, and trying again may succeed.</summary>
    CatalogUnavailable = 6911,
    /// <summary>A catalog cannot be copied to a database that already holds a catalog with records.</summary>
    CatalogCopyRefused = 6912,
    /// <summary>
    /// This server no longer holds the run: its scheduler lease lapsed (the process was stopped, paused or cut off past its
    /// heartbeats) and another server may have taken the run over, so nothing more of it is committed or recorded here.
    /// </summary>
    RunNoLongerHeld = 6913,
    /// <summary>A saved query's name, SQL or description is past its limits, or its owner already keeps as many as one may.</summary>
    SavedQueryInvalid = 6914,

    /// <summary>An expectation is declared with missing or invalid arguments.</summary>
    QualityRuleInvalid = 7001,
    /// <summary>A <c>fail</c>-severity expectation did not hold, so nothing was committed.</summary>
    QualityCheckFailed = 7002,
    /// <summary>An expectation names a column that the checked table does not have.</summary>
    QualityColumnMissing = 7003,
    /// <summary>An expectation cannot run on the data: its referenced table or column is missing, its expression or pattern does not compile, or a bound or value does not fit the column's type.</summary>
    QualityRuleCannotRun = 7004,
    /// <summary>A model's result does not have the columns and types its enforced contract declares, so nothing was computed or committed.</summary>
    ContractViolated = 7005,
    /// <summary>A data contract document (Open Data Contract Standard) is malformed or names no model of the project.</summary>
    ContractDocumentInvalid = 7006,
    /// <summary>A source server could not be reached (down, refused, timed out), after the configured retries.</summary>
    SourceUnavailable = 8001,
    /// <summary>A source server rejected the login (wrong user or password, or no access to the database).</summary>
    SourceAuthenticationFailed = 8002,
    /// <summary>The table to ingest does not exist in the source (or the login cannot see it).</summary>
    SourceTableNotFound = 8003,
    /// <summary>A column named in the source settings (cursor or key) does not exist in the table.</summary>
    SourceColumnNotFound = 8004,
    /// <summary>No longer raised: a column of a type without a DuckDB equivalent lands as its text (the number stays reserved).</summary>
    SourceTypeNotSupported = 8005,
    /// <summary>Reading or converting rows from the source failed.</summary>
    SourceReadFailed = 8006,
    /// <summary>A stored source position cannot be used with this source (other mode or cursor columns, or damaged).</summary>
    SourcePositionInvalid = 8007,
    /// <summary>Another process committed the same batch of a source to its bronze table: one source must have one running ingestion.</summary>
    SourceConcurrentIngestion = 8008,
    /// <summary>A database source given as a URL (<c>medallion ingest --source postgres://...</c>) is malformed, or its table, mode or cursor are.</summary>
    SourceUrlInvalid = 8009,
    /// <summary>Change data capture cannot read the source's change log: MySQL/MariaDB without a binlog, not in ROW format or FULL row image, or a login without the replication privileges.</summary>
    SourceChangeLogUnavailable = 8010,
    /// <summary>The change log position stored with bronze is gone from the source (the binlog file was purged): the changes since cannot be read.</summary>
    SourceChangeLogPurged = 8011,
    /// <summary>The captured table's definition changed (columns altered, table truncated, dropped or renamed) while its changes were streamed.</summary>
    SourceTableChanged = 8012,
    /// <summary>An HTTP API source kept failing (429, 5xx, timeouts, refused connections) after the configured retries, or answered with another unexpected status.</summary>
    HttpSourceRequestFailed = 8101,
    /// <summary>An HTTP API rejected the source's credentials (401 or 403).</summary>
    HttpSourceAuthenticationFailed = 8102,
    /// <summary>An HTTP API answered with something that is not the expected JSON (invalid JSON, records path missing or not an array).</summary>
    HttpSourceResponseInvalid = 8103,
    /// <summary>A source setting refers to an environment variable (<c>${NAME}</c>) that is not set.</summary>
    SourceSecretMissing = 8104,
    /// <summary>A Debezium change event is malformed (not JSON, no or unknown <c>op</c>, missing <c>after</c>/<c>before</c>).</summary>
    DebeziumEventInvalid = 8105,
    /// <summary>An HTTP API redirected or linked a next page to another origin than the one the source's credentials are for, or from https to plain http; nothing was sent there.</summary>
    HttpSourceOriginRefused = 8106,
    /// <summary>A Kafka connection or source setting is refused (an unknown or malformed client property, no topic, a bad topic pattern).</summary>
    KafkaConfigurationInvalid = 8201,
    /// <summary>The Kafka consumer hit an error it cannot recover from (authentication or authorization refused, a fatal client error); what was committed stays committed.</summary>
    KafkaConsumeFailed = 8202,
    /// <summary>The PostgreSQL wire protocol server could not start (address in use, bad certificate).</summary>
    PgWireStartFailed = 9001,
    /// <summary>A client broke the PostgreSQL protocol (malformed or oversized message, unknown version).</summary>
    PgWireProtocolViolation = 9002,
    /// <summary>A client could not be authenticated.</summary>
    PgWireAuthenticationFailed = 9003,
    /// <summary>A statement was refused or failed while serving a client; the SQLSTATE says why.</summary>
    PgWireStatementFailed = 9004,
    /// <summary>A client was refused because the server serves as many clients as it may (max connections).</summary>
    PgWireTooManyConnections = 9005,
    /// <summary>A login was refused before its password was checked: too many logins from its address or for its account were in progress (parallel guessing); a retry later may succeed.</summary>
    LoginThrottled = 9006,

    // 95xx: the server (medallion server) and its REST API.
    /// <summary>The server could not start: a port is taken, or the project cannot be served.</summary>
    ServerStartFailed = 9501,
    /// <summary>A command meant for a running server found none (no runtime file, or nothing answers at its address).</summary>
    ServerNotRunning = 9502,
    /// <summary>The server refused or failed a request of the CLI.</summary>
    ServerRequestFailed = 9503,
    /// <summary>An OpenTelemetry setting (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL) cannot be used.</summary>
    TelemetryConfigurationInvalid = 9504,
    /// <summary>A REST request is refused: a query parameter or body value is invalid.</summary>
    ApiRequestInvalid = 9505,
    /// <summary>A REST request carries no credentials the server accepts (a wrong password, an unknown, expired or revoked token).</summary>
    ApiAuthenticationFailed = 9506,
    /// <summary>A REST request is refused to its user (an action that needs the operator role) or to how it came (HTTP Basic from another site's page).</summary>
    ApiForbidden = 9507,
}
