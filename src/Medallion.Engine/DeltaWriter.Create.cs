using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Actions;
using Medallion.Delta.Checkpoints;
using Medallion.Delta.Iceberg;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.Delta.Transactions;
using Medallion.DuckDb;
using Medallion.Engine.Writing;

namespace Medallion.Engine;

public sealed partial class DeltaWriter
{
    private static readonly IReadOnlyDictionary<string, JsonElement> s_noMetadata = new Dictionary<string, JsonElement>();

    private static readonly HashSet<string> s_knownProperties = new(StringComparer.Ordinal)
    {
        "delta.appendOnly", "delta.checkpointInterval", "delta.logRetentionDuration", "delta.deletedFileRetentionDuration",
        "delta.enableChangeDataFeed", "delta.enableDeletionVectors", "delta.columnMapping.mode", "delta.columnMapping.maxColumnId",
        "delta.dataSkippingNumIndexedCols", "delta.checkpoint.writeStatsAsJson", "delta.checkpoint.writeStatsAsStruct",
        UniForm.EnabledFormatsProperty, UniForm.IcebergCompatV2Property, AutoCompactProperty,
    };

    /// <summary>Creates an empty Delta table at <paramref name="path"/> (version 0: protocol and metadata).</summary>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.DeltaTableAlreadyExists"/> when a table is already there; <see cref="ErrorCode.DeltaInvalidWriteArgument"/>
    /// for an invalid schema, partition column or property.
    /// </exception>
    public async Task<DeltaOperationResult> CreateTableAsync(string path, DeltaTableDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(definition);
        await PrepareSessionAsync(cancellationToken).ConfigureAwait(false);
        DeltaTable table = OpenTable(path);
        if (await TryLatestAsync(table, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            throw AlreadyExists(table, existing);
        }

        StructType schema = await ParseSchemaAsync(definition.Schema, table.Location, cancellationToken).ConfigureAwait(false);
        Metadata metadata = await NewMetadataAsync(table, schema, definition.PartitionBy, definition.Properties, definition.Name, definition.Description, cancellationToken).ConfigureAwait(false);
        var tx = new Transaction(table, null);
        tx.UpdateMetadata(metadata);
        CommitResult commit = await CommitAsync(tx, "CREATE TABLE", CreateParameters(metadata), new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        return await FinishAsync(table, commit, new DeltaOperationResult("CREATE TABLE", table.Location, commit.Version, true), cancellationToken).ConfigureAwait(false);
    }

    private static MedallionException AlreadyExists(DeltaTable table, Snapshot existing) =>
        new(ErrorCode.DeltaTableAlreadyExists,
            $"A Delta table already exists at '{table.Location}' (version {existing.Version}).\nHelp: write to it instead, or choose another path.");

    internal static Dictionary<string, string> CreateParameters(Metadata metadata) => Parameters(
        ("isManaged", "false"),
        ("description", metadata.Description),
        ("partitionBy", JsonText.StringArray(metadata.PartitionColumns)),
        ("properties", JsonText.StringMap(metadata.Configuration)));

    /// <summary>Builds the metadata of a new table, validating partition columns, properties and constraints.</summary>
    internal async Task<Metadata> NewMetadataAsync(
        DeltaTable table, StructType schema, IReadOnlyList<string> partitionBy, IReadOnlyDictionary<string, string> properties,
        string? name, string? description, CancellationToken cancellationToken)
    {
        var configuration = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach ((string key, string value) in properties)
        {
            configuration[key] = value;
        }

        ValidateProperties(configuration, table.Location);
        var partitions = new List<string>();
        foreach (string column in partitionBy)
        {
            StructField field = schema.Find(column) ?? throw Invalid(table, $"the partition column '{column}' is not in the schema ({string.Join(", ", Names(schema))})", "partition by columns of the table");
            if (field.Type is StructType or ArrayType or MapType || field.Type is PrimitiveType { Name: "binary" })
            {
                throw Invalid(table, $"the partition column '{column}' has type {field.Type}, which cannot be a partition column", "partition by a column of a primitive type");
            }

            partitions.Add(field.Name);
        }

        if (partitions.Count == schema.Fields.Count && partitions.Count > 0)
        {
            throw Invalid(table, "every column is a partition column, so data files would have no columns", "keep at least one column out of the partition columns");
        }

        if (WriterFeatures.IsTrue(configuration, UniForm.IcebergCompatV2Property) && !configuration.ContainsKey("delta.columnMapping.mode"))
        {
            // IcebergCompatV2 needs column mapping; name mode is what Spark and Databricks choose when UniForm is enabled.
            configuration["delta.columnMapping.mode"] = "name";
        }

        if (configuration.TryGetValue("delta.columnMapping.mode", out string? mode) && mode is not null
            && (string.Equals(mode, "name", StringComparison.OrdinalIgnoreCase) || string.Equals(mode, "id", StringComparison.OrdinalIgnoreCase)))
        {
            (schema, int maxId) = AssignColumnMapping(schema, 0);
            configuration["delta.columnMapping.maxColumnId"] = maxId.ToString(CultureInfo.InvariantCulture);
        }

        UniForm.Validate(configuration, schema, partitions, $"the Delta table at '{table.Location}'");
        await ValidateConstraintsAsync(schema, configuration, table.Location, cancellationToken).ConfigureAwait(false);
        return new Metadata(Guid.NewGuid().ToString(), name, description, "parquet", SchemaSerializer.Serialize(schema), partitions, configuration, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    private static IEnumerable<string> Names(StructType schema)
    {
        foreach (StructField f in schema.Fields)
        {
            yield return f.Name;
        }
    }

    private static MedallionException Invalid(DeltaTable table, string what, string help) =>
        new(ErrorCode.DeltaInvalidWriteArgument, $"Cannot write the Delta table at '{table.Location}': {what}.\nHelp: {help}.");

    internal static void ValidateProperties(IReadOnlyDictionary<string, string?> configuration, string location)
    {
        foreach ((string key, string? value) in configuration)
        {
            string v = value ?? string.Empty;
            string? problem = key switch
            {
                "delta.appendOnly" or "delta.enableChangeDataFeed" or "delta.enableDeletionVectors" or "delta.checkpoint.writeStatsAsJson" or "delta.checkpoint.writeStatsAsStruct"
                    or UniForm.IcebergCompatV2Property or AutoCompactProperty
                    => v is "true" or "false" ? null : "must be true or false",
                "delta.checkpointInterval" => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? null : "must be a positive whole number of commits",
                "delta.logRetentionDuration" or "delta.deletedFileRetentionDuration"
                    => RetentionDuration.TryParse(v, out _) ? null : "must be a duration such as 'interval 30 days' or '168h'",
                "delta.columnMapping.mode" => v switch
                {
                    "none" or "name" or "id" => null,
                    _ => "must be none, name or id",
                },
                _ when key.StartsWith("delta.constraints.", StringComparison.Ordinal) => v.Length == 0 ? "needs a SQL expression" : null,
                _ when key.StartsWith("delta.", StringComparison.Ordinal) && !s_knownProperties.Contains(key) => "is not a table property this writer knows",
                _ => null,
            };
            if (problem is not null)
            {
                throw new MedallionException(ErrorCode.DeltaInvalidWriteArgument,
                    $"Table property '{key}' = '{v}' for the Delta table at '{location}' {problem}.\nHelp: supported properties: {string.Join(", ", s_knownProperties)}, delta.constraints.<name>; other keys without the 'delta.' prefix are kept as they are.");
            }
        }
    }

    /// <summary>
    /// Gives every field a column-mapping id and a physical name (<c>col-&lt;uuid&gt;</c>): columns, and struct fields at any
    /// depth, inside structs, list elements and map keys and values (PROTOCOL.md, Column Mapping). Fields that have them
    /// keep them; <paramref name="maxId"/> grows past every id given.
    /// </summary>
    internal static (StructType Schema, int MaxId) AssignColumnMapping(StructType schema, int maxId)
    {
        StructType mapped = (StructType)Mapped(schema, ref maxId);
        return (mapped, maxId);
    }

    private static DeltaType Mapped(DeltaType type, ref int maxId)
    {
        switch (type)
        {
            case StructType s:
                var fields = new List<StructField>(s.Fields.Count);
                foreach (StructField f in s.Fields)
                {
                    StructField field = f;
                    if (!field.Metadata.ContainsKey(StructField.PhysicalNameKey))
                    {
                        // A field's id comes before its children's, as Spark numbers them.
                        field = field with
                        {
                            Metadata = new Dictionary<string, JsonElement>(field.Metadata, StringComparer.Ordinal)
                            {
                                [StructField.ColumnIdKey] = JsonText.Element((++maxId).ToString(CultureInfo.InvariantCulture)),
                                [StructField.PhysicalNameKey] = JsonText.String("col-" + Guid.NewGuid().ToString()),
                            },
                        };
                    }

                    fields.Add(field with { Type = Mapped(field.Type, ref maxId) });
                }

                return new StructType(fields);
            case ArrayType a:
                return a with { ElementType = Mapped(a.ElementType, ref maxId) };
            case MapType m:
                return m with { KeyType = Mapped(m.KeyType, ref maxId), ValueType = Mapped(m.ValueType, ref maxId) };
            default:
                return type;
        }
    }

    private async Task ValidateConstraintsAsync(StructType schema, IReadOnlyDictionary<string, string?> configuration, string location, CancellationToken cancellationToken)
    {
        var select = new StringBuilder();
        foreach (StructField f in schema.Fields)
        {
            select.Append(select.Length == 0 ? string.Empty : ", ").Append("CAST(NULL AS ").Append(DuckDbTypes.ToDuckDb(f.Type)).Append(") AS ").Append(DuckDbConnection.QuoteIdentifier(f.Name));
        }

        foreach ((string key, string? expression) in configuration)
        {
            if (!key.StartsWith("delta.constraints.", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                await ExecuteAsync($"SELECT ({expression}) FROM (SELECT {select}) AS __row LIMIT 0", cancellationToken).ConfigureAwait(false);
            }
            catch (DuckDbException e)
            {
                throw new MedallionException(ErrorCode.DeltaInvalidWriteArgument,
                    $"CHECK constraint '{key["delta.constraints.".Length..]}' ({expression}) of the Delta table at '{location}' is not a valid SQL expression over its columns: {e.Message}\nHelp: write a boolean expression over the table's columns, e.g. amount > 0.", e);
            }
        }
    }

    /// <summary>
    /// Parses a column list such as <c>id long NOT NULL, name string, day date GENERATED ALWAYS AS (CAST(ts AS DATE))</c>
    /// with DuckDB, accepting Delta type names. A generated column's expression is kept as written in its
    /// <c>delta.generationExpression</c> and checked by evaluating it over the other columns.
    /// </summary>
    internal async Task<StructType> ParseSchemaAsync(string ddl, string location, CancellationToken cancellationToken)
    {
        string temp = "__medallion_schema_" + Guid.NewGuid().ToString("N");
        (string columnsDdl, Dictionary<string, string> generated) = ExtractGenerated(ddl);
        try
        {
            await ExecuteAsync($"CREATE TEMP TABLE {temp} ({NormalizeTypeNames(columnsDdl)})", cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDbException e)
        {
            throw new MedallionException(ErrorCode.DeltaInvalidWriteArgument,
                $"The schema '{ddl}' for the Delta table at '{location}' is not a valid column list: {e.Message}\nHelp: write columns as 'name type [NOT NULL], ...', e.g. \"id long NOT NULL, name string, ts timestamp\".", e);
        }

        try
        {
            var fields = new List<StructField>();
            using DuckDbCommand command = Connection.CreateCommand();
            command.CommandText = $"SELECT column_name, column_type, \"null\" FROM (DESCRIBE {temp})";
            DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    string name = reader.GetString(0), type = reader.GetString(1);
                    DeltaType delta = DuckDbTypes.FromDuckDb(type, out string? reason)
                        ?? throw new MedallionException(ErrorCode.DeltaInvalidWriteArgument, $"Column '{name}' of the schema for the Delta table at '{location}': {reason}.\nHelp: use a type Delta can store.");
                    IReadOnlyDictionary<string, JsonElement> metadata = s_noMetadata;
                    if (generated.Remove(name, out string? expression))
                    {
                        metadata = new Dictionary<string, JsonElement> { [GenerationExpressionKey] = JsonDocument.Parse("\"" + JsonEncodedText.Encode(expression).ToString() + "\"").RootElement.Clone() };
                    }

                    fields.Add(new StructField(name, delta, !string.Equals(reader.GetString(2), "NO", StringComparison.OrdinalIgnoreCase), metadata));
                }
            }

            foreach (StructField f in fields)
            {
                if (SchemaAlignment.GenerationExpression(f) is { } expression)
                {
                    await ValidateGenerationExpressionAsync(temp, f, expression, fields, location, cancellationToken).ConfigureAwait(false);
                }
            }

            return new StructType(fields);
        }
        finally
        {
            await ExecuteAsync($"DROP TABLE IF EXISTS {temp}", cancellationToken).ConfigureAwait(false);
        }
    }

    private const string GenerationExpressionKey = "delta.generationExpression";

    private async Task ValidateGenerationExpressionAsync(string temp, StructField field, string expression, List<StructField> fields, string location, CancellationToken cancellationToken)
    {
        if (fields.Exists(f => f != field && SchemaAlignment.GenerationExpression(f) is not null && ReferencesColumn(expression, f.Name)))
        {
            throw new MedallionException(ErrorCode.DeltaInvalidWriteArgument,
                $"The generated column '{field.Name}' of the Delta table at '{location}' refers to another generated column in ({expression}).\nHelp: compute it from the columns that are written.");
        }

        try
        {
            await ExecuteAsync($"SELECT CAST(({expression}) AS {DuckDbTypes.ToDuckDb(field.Type)}) FROM {temp} LIMIT 0", cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDbException e)
        {
            throw new MedallionException(ErrorCode.DeltaInvalidWriteArgument,
                $"The expression of the generated column '{field.Name}' ({expression}) for the Delta table at '{location}' is not a valid {field.Type} expression over its columns: {e.Message}\nHelp: write a SQL expression over the other columns, e.g. CAST(ts AS DATE).", e);
        }
    }

    private static bool ReferencesColumn(string expression, string column) =>
        System.Text.RegularExpressions.Regex.IsMatch(expression, $@"(?<![\w""]){System.Text.RegularExpressions.Regex.Escape(column)}(?![\w""])", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// Takes <c>GENERATED ALWAYS AS (expression)</c> off each column of a column list: DuckDB parses the rest, and the
    /// expressions (by column name) become <c>delta.generationExpression</c>, as Spark's DDL writes them.
    /// </summary>
    internal static (string Ddl, Dictionary<string, string> Generated) ExtractGenerated(string ddl)
    {
        List<string> columns = SplitColumns(ddl);
        var generated = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < columns.Count; i++)
        {
            string column = columns[i];
            System.Text.RegularExpressions.Match m = System.Text.RegularExpressions.Regex.Match(column, @"\bGENERATED\s+ALWAYS\s+AS\s*\(", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);
            if (!m.Success)
            {
                continue;
            }

            int open = m.Index + m.Length - 1, depth = 0, close = -1;
            for (int j = open; j < column.Length && close < 0; j++)
            {
                depth += column[j] == '(' ? 1 : column[j] == ')' ? -1 : 0;
                close = depth == 0 ? j : -1;
            }

            if (close < 0)
            {
                continue;
            }

            string trimmed = column.Trim();
            string name = trimmed.StartsWith('"') ? trimmed[1..trimmed.IndexOf('"', 1)] : trimmed[..trimmed.IndexOfAny([' ', '\t'])];
            generated[name] = column[(open + 1)..close].Trim();
            columns[i] = column[..m.Index] + column[(close + 1)..];
        }

        return (string.Join(", ", columns), generated);
    }

    /// <summary>
    /// Splits a column list at its top-level commas. Angle brackets (<c>struct&lt;a int, b int&gt;</c>) nest only outside
    /// parentheses, where types are; inside them, in expressions, <c>&lt;</c> and <c>&gt;</c> are comparisons.
    /// </summary>
    private static List<string> SplitColumns(string text)
    {
        var parts = new List<string>();
        int parens = 0, angles = 0, start = 0;
        char quote = '\0';
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c is '(' or ')')
            {
                parens += c == '(' ? 1 : -1;
            }
            else if (parens == 0 && c is '<' or '>')
            {
                angles += c == '<' ? 1 : -1;
            }
            else if (parens == 0 && angles == 0 && c == ',')
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }

    /// <summary>Replaces Delta type names by DuckDB's in each column's type (not in column names).</summary>
    internal static string NormalizeTypeNames(string ddl)
    {
        var columns = SplitTopLevel(ddl);
        for (int i = 0; i < columns.Count; i++)
        {
            string column = columns[i].Trim();
            int nameEnd = column.StartsWith('"') ? column.IndexOf('"', 1) + 1 : column.IndexOfAny([' ', '\t']);
            if (nameEnd <= 0)
            {
                continue;
            }

            string type = column[nameEnd..];
            var sb = new StringBuilder();
            int pos = 0;
            while (pos < type.Length)
            {
                if (char.IsLetter(type[pos]) || type[pos] == '_')
                {
                    int start = pos;
                    while (pos < type.Length && (char.IsLetterOrDigit(type[pos]) || type[pos] == '_'))
                    {
                        pos++;
                    }

                    string word = type[start..pos];
                    bool followedByWith = type.AsSpan(pos).TrimStart().StartsWith("with", StringComparison.OrdinalIgnoreCase);
                    sb.Append(word.ToLowerInvariant() switch
                    {
                        "timestamp" when !followedByWith => "TIMESTAMPTZ",
                        "timestamp_ntz" => "TIMESTAMP",
                        "long" => "BIGINT",
                        "short" => "SMALLINT",
                        "byte" => "TINYINT",
                        "binary" => "BLOB",
                        "string" => "VARCHAR",
                        _ => word,
                    });
                }
                else
                {
                    sb.Append(type[pos++]);
                }
            }

            columns[i] = column[..nameEnd] + sb;
        }

        return string.Join(", ", columns);
    }

    private static List<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && c is '(' or '<')
            {
                depth++;
            }
            else if (!quoted && c is ')' or '>')
            {
                depth--;
            }
            else if (!quoted && depth == 0 && c == ',')
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }
}
