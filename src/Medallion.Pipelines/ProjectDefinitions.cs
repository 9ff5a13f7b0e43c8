using System.Collections.Generic;
using Medallion.Catalog;
using Medallion.Pipelines.Alerts;
using Medallion.Pipelines.Privacy;

namespace Medallion.Pipelines;

/// <summary>A named connection from <c>medallion.yml</c>, with <c>${ENV}</c> references already resolved.</summary>
/// <param name="Name">The connection's name, as sources refer to it.</param>
/// <param name="Type">The connector type, e.g. <c>postgres</c>, <c>mysql</c>, <c>http</c>.</param>
/// <param name="Settings">Every other key (host, port, user, password, ...). Values may be secrets: never log them.</param>
/// <param name="Location">Where the connection is defined.</param>
public sealed record ConnectionDefinition(string Name, string Type, IReadOnlyDictionary<string, string> Settings, SourceLocation Location);

/// <summary>The file format of a file source.</summary>
public enum SourceFormat
{
    /// <summary>Comma- (or otherwise) separated text with a header row.</summary>
    Csv,
    /// <summary>One JSON object per line.</summary>
    JsonLines,
    /// <summary>Parquet files.</summary>
    Parquet,
    /// <summary>
    /// Debezium change events, one JSON event per line (with or without the <c>schema</c>/<c>payload</c> envelope),
    /// landing with the columns of PostgreSQL CDC (<c>_op</c>, <c>_lsn</c>, <c>_seq</c>, <c>_commit_ts</c>,
    /// <c>_txid</c>, the row, <c>_before_&lt;column&gt;</c>).
    /// </summary>
    Debezium,
    /// <summary>
    /// Excel workbooks (Office Open XML, <c>.xlsx</c>): one sheet per file (option <c>sheet</c>, by name or 1-based
    /// number), column names from a header row (option <c>header_row</c>), cells typed as the sheet types them.
    /// </summary>
    Xlsx,
    /// <summary>Excel 97-2003 workbooks (BIFF8, <c>.xls</c>), read as <see cref="Xlsx"/> is.</summary>
    Xls,
}

/// <summary>A file source from <c>sources/*.yml</c>: files matching a glob, loaded into a bronze table.</summary>
/// <param name="Name">The source's name (defaults to the target table's name).</param>
/// <param name="Format">The files' format.</param>
/// <param name="Path">The glob, relative to the project directory (e.g. <c>data/orders/*.csv</c>).</param>
/// <param name="Target">The bronze table the rows land in.</param>
/// <param name="Options">Reader options: passed to DuckDB's reader (e.g. <c>delim</c>, <c>header</c>, <c>dateformat</c>), or for spreadsheets <c>sheet</c>, <c>header_row</c> and <c>all_varchar</c>.</param>
/// <param name="Description">What the source holds.</param>
/// <param name="Location">Where the source is defined.</param>
public sealed record SourceDefinition(
    string Name,
    SourceFormat Format,
    string Path,
    TableName Target,
    IReadOnlyDictionary<string, string> Options,
    string? Description,
    SourceLocation Location)
{
    /// <summary>How old the target table may get before an alert (<c>freshness:</c>); null for no threshold.</summary>
    public FreshnessPolicy? Freshness { get; init; }
}

/// <summary>How a model's result is written to its table.</summary>
public enum Materialization
{
    /// <summary>Overwrite the table with the model's result on every run.</summary>
    Table,
    /// <summary>Append the rows derived from what changed upstream since the last run.</summary>
    Append,
    /// <summary>Upsert on <see cref="ModelConfig.UniqueKey"/>; rows matching <see cref="ModelConfig.DeleteWhen"/> delete.</summary>
    Merge,
    /// <summary>Slowly changing dimension type 2: keep every version of a row, keyed by <see cref="ModelConfig.UniqueKey"/>.</summary>
    Scd2,
}

/// <summary>Documentation and classification of one output column of a model.</summary>
/// <param name="Name">The column name.</param>
/// <param name="Description">What the column holds.</param>
/// <param name="Classification">A data-protection class such as <c>pii</c>; null when none.</param>
/// <param name="Tags">Free-form tags.</param>
public sealed record ColumnDoc(string Name, string? Description, string? Classification, IReadOnlyList<string> Tags)
{
    /// <summary>The column's declared type (<c>data_type:</c>, a DuckDB type as written); null when undeclared.</summary>
    public string? DataType { get; init; }

    /// <summary>The column's declared constraints (<c>constraints:</c>); each also checks as an expectation of the model.</summary>
    public IReadOnlyList<ColumnConstraint> Constraints { get; init; } = [];
}

/// <summary>The kind of a declared constraint (dbt's names).</summary>
public enum ConstraintKind
{
    /// <summary>The column holds no nulls.</summary>
    NotNull,
    /// <summary>The columns' combination is unique.</summary>
    Unique,
    /// <summary>The columns are the table's key: not null and unique together.</summary>
    PrimaryKey,
    /// <summary>Every row satisfies <see cref="ColumnConstraint.Expression"/>.</summary>
    Check,
    /// <summary>Every value exists in <see cref="ColumnConstraint.To"/>.<see cref="ColumnConstraint.ToColumn"/>.</summary>
    ForeignKey,
}

/// <summary>A constraint declared on columns of a model (a column's <c>constraints:</c>, or the model's for several columns).</summary>
/// <param name="Kind">What it requires.</param>
/// <param name="Columns">The columns it constrains, in key order.</param>
/// <param name="Expression">For <see cref="ConstraintKind.Check"/>: a SQL boolean over the model's columns.</param>
/// <param name="To">For <see cref="ConstraintKind.ForeignKey"/>: the referenced table.</param>
/// <param name="ToColumn">For <see cref="ConstraintKind.ForeignKey"/>: the referenced column.</param>
/// <param name="Location">Where it is declared.</param>
public sealed record ColumnConstraint(ConstraintKind Kind, IReadOnlyList<string> Columns, string? Expression, TableName? To, string? ToColumn, SourceLocation Location);

/// <summary>
/// A model's data contract (<c>contract: {enforced: true}</c>): its declared columns and their <see cref="ColumnDoc.DataType"/>
/// are the shape of every build's result, checked before anything runs or commits.
/// </summary>
/// <param name="Enforced">Whether builds check the result's columns and types against the declared ones.</param>
/// <param name="Location">Where the contract is declared.</param>
public sealed record ModelContract(bool Enforced, SourceLocation Location);

/// <summary>A model's configuration, from the leading comment of its .sql file or from <c>models/*.yml</c>.</summary>
/// <param name="Description">What the table holds.</param>
/// <param name="Owner">Who to ask about it.</param>
/// <param name="Tags">Tags, usable in <c>--select tag:x</c>.</param>
/// <param name="Materialized">How results are written.</param>
/// <param name="UniqueKey">The key columns for <c>merge</c> and <c>scd2</c>.</param>
/// <param name="DeleteWhen">For <c>merge</c>: a SQL condition on the model's rows that deletes the matching target row (CDC deletes).</param>
/// <param name="ChangeColumns">For <c>scd2</c>: the columns whose change opens a new version; all non-key columns when empty.</param>
/// <param name="PartitionBy">Partition columns of the table.</param>
/// <param name="Columns">Column docs.</param>
/// <param name="Expectations">Quality rules checked before each commit.</param>
/// <param name="Location">Where the configuration starts (the .sql file when it has none).</param>
public sealed record ModelConfig(
    string? Description,
    string? Owner,
    IReadOnlyList<string> Tags,
    Materialization Materialized,
    IReadOnlyList<string> UniqueKey,
    string? DeleteWhen,
    IReadOnlyList<string> ChangeColumns,
    IReadOnlyList<string> PartitionBy,
    IReadOnlyList<ColumnDoc> Columns,
    IReadOnlyList<Expectation> Expectations,
    SourceLocation Location)
{
    /// <summary>
    /// For <c>table</c> and <c>append</c>: the column (DATE, TIMESTAMP or TIMESTAMPTZ) that places a row in a data
    /// interval. A run that carries an interval (a scheduled or backfill run: <c>interval_start</c>,
    /// <c>interval_end</c>) then replaces the table's rows with <c>interval_start &lt;= column &lt; interval_end</c> by
    /// the model's rows in one Delta commit (Delta's replaceWhere, dbt's insert_overwrite), so re-running an interval
    /// never counts its rows twice; a row of the result outside the interval fails the model and commits nothing. A run
    /// without an interval writes as the materialization says. Null: no interval replacement.
    /// </summary>
    public string? IntervalColumn { get; init; }

    /// <summary>How old the model's table may get before an alert (<c>freshness:</c>); null for no threshold.</summary>
    public FreshnessPolicy? Freshness { get; init; }

    /// <summary>How long the table keeps rows (<c>retention: {column, keep}</c>); null to keep them for ever.</summary>
    public RetentionPolicy? Retention { get; init; }

    /// <summary>
    /// <c>forward_only: true</c>: a change of the model applies to new data only. <c>medallion apply</c> does not rebuild
    /// the table's history for it (nor what is downstream); the next runs write with the new definition.
    /// </summary>
    public bool ForwardOnly { get; init; }

    /// <summary>What a data subject erasure does to the person's rows in this table (<c>erasure: delete | anonymize</c>).</summary>
    public ErasurePolicy Erasure { get; init; }

    /// <summary>The model's data contract; null when it declares none.</summary>
    public ModelContract? Contract { get; init; }

    /// <summary>The constraints declared for the model as a whole (several columns, e.g. a composite primary key).</summary>
    public IReadOnlyList<ColumnConstraint> Constraints { get; init; } = [];

    /// <summary>
    /// <c>engine:</c> (with <c>connection:</c>): where the model's SQL runs; null when the config names none, and the
    /// model runs on DuckDB unless its job says otherwise (see <see cref="JobDefinition.Engine"/>).
    /// </summary>
    public EngineChoice? Engine { get; init; }

    /// <summary>
    /// Delta table properties the model's table is created with (<c>table_properties:</c>), e.g.
    /// <c>delta.universalFormat.enabledFormats: iceberg</c> with <c>delta.enableIcebergCompatV2: true</c> for Iceberg
    /// metadata beside the log (UniForm). They apply when the table is created; an existing table keeps its own.
    /// </summary>
    public IReadOnlyDictionary<string, string> TableProperties { get; init; } = new Dictionary<string, string>();
}

/// <summary>A SQL model: <c>models/&lt;namespace&gt;/&lt;name&gt;.sql</c>, a single SELECT.</summary>
/// <param name="Name">The table the model writes, from its path.</param>
/// <param name="FilePath">The .sql file, relative to the project (forward slashes).</param>
/// <param name="Sql">The whole file text (the leading config comment is valid SQL and kept so DuckDB's positions match the file).</param>
/// <param name="Config">The model's configuration.</param>
public sealed record ModelDefinition(TableName Name, string FilePath, string Sql, ModelConfig Config);
