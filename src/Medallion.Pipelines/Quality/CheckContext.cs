using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Quality;

/// <summary>A column of a checked relation: its name as DuckDB spells it and its DuckDB type.</summary>
internal sealed record RelationColumn(string Name, string Type)
{
    public string Quoted => DuckDbConnection.QuoteIdentifier(Name);
}

/// <summary>
/// One check in progress: the connection, the relation and its columns, and the errors that name the model,
/// the rule and where the rule is written.
/// </summary>
internal sealed class CheckContext
{
    private CheckContext(DuckDbConnection connection, string relation, TableName model, IReadOnlyList<RelationColumn> columns)
    {
        Connection = connection;
        Relation = relation;
        Model = model;
        Columns = columns;
    }

    public DuckDbConnection Connection { get; }

    public string Relation { get; }

    public TableName Model { get; }

    public IReadOnlyList<RelationColumn> Columns { get; }

    public static async Task<CheckContext> OpenAsync(DuckDbConnection connection, string relation, TableName model, CancellationToken cancellationToken) =>
        new(connection, relation, model, await DescribeAsync(connection, relation, cancellationToken).ConfigureAwait(false));

    /// <summary>The columns of a relation, in order (DuckDB's own names and type names).</summary>
    public static async Task<IReadOnlyList<RelationColumn>> DescribeAsync(DuckDbConnection connection, string relation, CancellationToken cancellationToken)
    {
        var columns = new List<RelationColumn>();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"DESCRIBE SELECT * FROM {relation}";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add(new RelationColumn(reader.GetString(0), reader.GetString(1)));
            }
        }

        return columns;
    }

    public static RelationColumn? Find(IReadOnlyList<RelationColumn> columns, string name) =>
        columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The column a rule names, or an error listing the columns there are.</summary>
    public RelationColumn Column(Expectation rule, string name) =>
        Find(Columns, name) ?? throw Error(rule, ErrorCode.QualityColumnMissing,
            $"column '{name}' is not among the columns checked.{NameSuggester.DidYouMean(name, Columns.Select(c => c.Name))} Available columns: {string.Join(", ", Columns.Select(c => c.Name))}.",
            "fix the column name in the rule, or add the column to the model's SELECT.");

    public MedallionException Error(Expectation rule, ErrorCode code, string what, string help, Exception? inner = null) =>
        new(code, $"Model {Model}, rule '{rule.Name}' ({rule.Location}): {what}\nHelp: {help}", inner, location: rule.Location);

    public async Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        object? value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    /// <summary>
    /// A literal of the column's type, so bounds and accepted values compare as the column does (a date as a
    /// date, not as text or arithmetic); a text that does not convert is an error on the rule.
    /// </summary>
    public async Task<string> TypedLiteralAsync(Expectation rule, RelationColumn column, string text, string what, CancellationToken cancellationToken)
    {
        string literal = DuckDbConnection.QuoteLiteral(text);
        object? converts = await ScalarAsync($"SELECT TRY_CAST({literal} AS {column.Type}) IS NOT NULL", cancellationToken).ConfigureAwait(false);
        return converts is true
            ? $"CAST({literal} AS {column.Type})"
            : throw Error(rule, ErrorCode.QualityRuleInvalid,
                $"{what} '{text}' is not a valid {column.Type}, the type of column '{column.Name}'.",
                $"write the {what} as a {column.Type} value.");
    }
}
