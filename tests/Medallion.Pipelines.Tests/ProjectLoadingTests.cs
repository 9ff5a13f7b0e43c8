using Medallion.Catalog;

namespace Medallion.Pipelines.Tests;

public sealed class ProjectLoadingTests : IDisposable
{
    private readonly TestProject _project = new();

    public void Dispose() => _project.Dispose();

    private async Task<MedallionException> LoadFailsAsync(Func<string, string?>? environment = null) =>
        await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync(environment));

    [Fact]
    public async Task A_project_loads_its_settings_sources_and_models()
    {
        _project.Write("medallion.yml", "name: shop\nstorage: lake\ncatalog: meta/catalog.db\n")
            .WithSources("orders")
            .Write("models/silver/orders.sql", "SELECT * FROM bronze.orders\n");

        MedallionProject project = await _project.LoadAsync();

        Assert.Equal("shop", project.Name);
        Assert.Equal("lake", project.Storage);
        Assert.Equal(Path.Combine(_project.Directory, "meta", "catalog.db"), project.Resolve(project.Catalog));
        SourceDefinition source = Assert.Single(project.Sources);
        Assert.Equal(new TableName("bronze", "orders"), source.Target);
        Assert.Equal(SourceFormat.Csv, source.Format);
        Assert.Equal("data/orders/*.csv", source.Path);
        ModelDefinition model = Assert.Single(project.Models);
        Assert.Equal(new TableName("silver", "orders"), model.Name);
        Assert.Equal("models/silver/orders.sql", model.FilePath);
        Assert.Equal(Materialization.Table, model.Config.Materialized);
    }

    [Fact]
    public async Task Defaults_are_warehouse_storage_and_the_catalog_under_dot_medallion()
    {
        MedallionProject project = await _project.LoadAsync();

        Assert.Equal("warehouse", project.Storage);
        Assert.Equal(".medallion/catalog.db", project.Catalog);
    }

    [Fact]
    public async Task A_directory_without_medallion_yml_is_not_a_project()
    {
        File.Delete(Path.Combine(_project.Directory, "medallion.yml"));

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(ErrorCode.ProjectNotFound, error.Code);
        Assert.Equal($"No medallion.yml in '{_project.Directory}'.\nHelp: create a project there, or point at the folder that holds one.", error.Message);
    }

    [Fact]
    public async Task An_unknown_key_names_the_file_line_and_column_and_suggests_the_closest_key()
    {
        _project.Write("medallion.yml", "name: shop\nstorag: lake\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(
            "medallion.yml:2:1: unknown key 'storag' in medallion.yml. Did you mean 'storage'? Expected one of: name, description, storage, storage_options, catalog, connections, cache, jobs, server_url, alerts, access, audit, history, maintenance, pii_guard.",
            error.Message);
        Assert.Equal(new SourceLocation("medallion.yml", 2, 1), error.Location);
    }

    [Fact]
    public async Task Invalid_yaml_names_the_file_line_and_column()
    {
        _project.Write("medallion.yml", "name: shop\nconnections:\n  db: [unclosed\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(ErrorCode.ProjectFileInvalid, error.Code);
        Assert.StartsWith("medallion.yml:4:1: this is not valid YAML: ", error.Message);
        Assert.EndsWith("Expected indented 'key: value' lines, '- item' lists or [a, b] flow lists.", error.Message);
    }

    [Fact]
    public async Task A_missing_name_says_what_was_expected()
    {
        _project.Write("medallion.yml", "storage: lake\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal("medallion.yml:1:1: medallion.yml has no 'name'. Expected 'name: my_project'.", error.Message);
    }

    [Fact]
    public async Task Connections_resolve_environment_variables_and_defaults()
    {
        _project.Write("medallion.yml", "name: shop\nconnections:\n  shop_db:\n    type: postgres\n    host: ${DB_HOST:-localhost}\n    password: ${DB_PASSWORD}\n");

        MedallionProject project = await _project.LoadAsync(name => name == "DB_PASSWORD" ? "s3cret" : null);

        ConnectionDefinition connection = project.Connections["shop_db"];
        Assert.Equal("postgres", connection.Type);
        Assert.Equal("localhost", connection.Settings["host"]);
        Assert.Equal("s3cret", connection.Settings["password"]);
    }

    [Fact]
    public async Task A_missing_environment_variable_names_the_variable_and_where_it_is_used()
    {
        _project.Write("medallion.yml", "name: shop\nconnections:\n  shop_db:\n    type: postgres\n    password: ${DB_PASSWORD}\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(ErrorCode.ProjectEnvironmentVariableMissing, error.Code);
        Assert.Equal(
            "medallion.yml:5:15: the environment variable 'DB_PASSWORD' is not set.\nHelp: export DB_PASSWORD=... before running medallion, or write ${DB_PASSWORD:-default}.",
            error.Message);
    }

    [Fact]
    public async Task A_source_with_an_unknown_format_suggests_the_closest_format()
    {
        _project.Write("sources/files.yml", "sources:\n  - name: orders\n    format: cvs\n    path: data/*.csv\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal("sources/files.yml:3:13: 'format' cannot be 'cvs'. Did you mean 'csv'? Expected one of: csv, jsonl, parquet, debezium, xlsx, xls.", error.Message);
    }

    [Fact]
    public async Task A_spreadsheet_source_with_an_unknown_option_suggests_the_closest_option_at_its_line()
    {
        _project.Write("sources/files.yml", "sources:\n  - name: orders\n    format: xlsx\n    path: data/*.xlsx\n    options:\n      shet: Orders\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal("sources/files.yml:6:7: unknown key 'shet' in 'options'. Did you mean 'sheet'? Expected one of: sheet, header_row, all_varchar.", error.Message);
    }

    [Fact]
    public async Task A_spreadsheet_source_with_a_negative_header_row_is_refused_at_its_value()
    {
        _project.Write("sources/files.yml", "sources:\n  - name: orders\n    format: xls\n    path: data/*.xls\n    options:\n      header_row: -1\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal("sources/files.yml:6:19: 'header_row' must be the 1-based number of the row holding the column names, or 0 when the sheet has none, but found -1.", error.Message);
    }

    [Fact]
    public async Task A_source_with_neither_name_nor_target_is_refused_at_its_line()
    {
        _project.Write("sources/files.yml", "sources:\n  - format: csv\n    path: data/*.csv\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal("sources/files.yml:2:5: this source has neither 'name' nor 'target'. Expected e.g. 'name: orders' (it then lands in bronze.orders).", error.Message);
    }

    [Fact]
    public async Task A_source_target_without_a_namespace_is_refused_at_its_value()
    {
        _project.Write("sources/files.yml", "sources:\n  - format: csv\n    path: data/*.csv\n    target: orders\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal("sources/files.yml:4:13: 'target' must name a table as namespace.name, but found 'orders'. Expected e.g. 'target: bronze.orders'.", error.Message);
    }

    [Fact]
    public async Task A_source_without_target_lands_in_bronze_under_its_name_with_reader_options()
    {
        _project.Write("sources/files.yml", "sources:\n  - name: customers\n    format: jsonl\n    path: data/customers/*.jsonl\n    options:\n      ignore_errors: true\n");

        SourceDefinition source = Assert.Single((await _project.LoadAsync()).Sources);

        Assert.Equal(new TableName("bronze", "customers"), source.Target);
        Assert.Equal(SourceFormat.JsonLines, source.Format);
        Assert.Equal("true", source.Options["ignore_errors"]);
    }

    [Fact]
    public async Task A_model_config_block_in_the_leading_comment_is_read_with_all_its_keys()
    {
        _project.WithSources("orders").Write("models/silver/orders.sql", """
            /* ---
            description: Orders, one row per order
            owner: data-team
            tags: [sales, daily]
            materialized: merge
            unique_key: order_id
            delete_when: op = 'd'
            partition_by: [order_date]
            columns:
              order_id:
                description: The order
                expect: [not_null, unique]
              email:
                classification: pii
                tags: [pii:email]
            expectations:
              - row_count: {min: 1}
                severity: warn
            --- */
            SELECT * FROM bronze.orders
            """);

        ModelConfig config = Assert.Single((await _project.LoadAsync()).Models).Config;

        Assert.Equal("Orders, one row per order", config.Description);
        Assert.Equal("data-team", config.Owner);
        Assert.Equal(["sales", "daily"], config.Tags);
        Assert.Equal(Materialization.Merge, config.Materialized);
        Assert.Equal(["order_id"], config.UniqueKey);
        Assert.Equal("op = 'd'", config.DeleteWhen);
        Assert.Equal(["order_date"], config.PartitionBy);
        Assert.Equal([new ColumnDoc("order_id", "The order", null, []), new ColumnDoc("email", null, "pii", ["pii:email"])], config.Columns, new ColumnDocComparer());
        Assert.Equal(["row_count", "not_null(order_id)", "unique(order_id)"], config.Expectations.Select(e => e.Name));
        Assert.Equal(new SourceLocation("models/silver/orders.sql", 2, 1), config.Location);
    }

    [Fact]
    public async Task An_unknown_key_in_a_model_config_block_is_reported_at_its_line_in_the_sql_file()
    {
        _project.WithSources("orders").Write("models/silver/orders.sql", "\n/* ---\ndescription: x\nmaterialised: table\n--- */\nSELECT 1\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(new SourceLocation("models/silver/orders.sql", 4, 1), error.Location);
        Assert.StartsWith("models/silver/orders.sql:4:1: unknown key 'materialised' in the model config. Did you mean 'materialized'? Expected one of: description, owner,", error.Message);
    }

    [Fact]
    public async Task A_config_block_that_is_never_closed_is_reported_where_it_opens()
    {
        _project.Write("models/silver/orders.sql", "/* ---\ndescription: x\n*/\nSELECT 1\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal("models/silver/orders.sql:1:1: the config block opened here is not closed. Expected a line '--- */' after the YAML.", error.Message);
    }

    [Fact]
    public async Task A_nested_comment_opener_inside_the_config_block_is_refused()
    {
        _project.Write("models/silver/orders.sql", "/* ---\n# see /* here\ndescription: x\n--- */\nSELECT 1\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(
            "models/silver/orders.sql:2:7: '/*' inside the config block opens a nested SQL comment, so the block never ends for DuckDB. Expected no '/*' between '/* ---' and '--- */'.",
            error.Message);
    }

    [Fact]
    public async Task A_merge_model_without_a_unique_key_is_invalid()
    {
        _project.Write("models/silver/orders.sql", "/* ---\nmaterialized: merge\n--- */\nSELECT 1\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(ErrorCode.ModelConfigInvalid, error.Code);
        Assert.Equal("models/silver/orders.sql:2:15: 'materialized: merge' needs a unique key. Expected 'unique_key: <column>' or 'unique_key: [a, b]'.", error.Message);
    }

    [Fact]
    public async Task An_interval_column_on_a_merge_model_is_refused_at_its_line_and_column()
    {
        _project.Write("models/silver/orders.sql", "/* ---\nmaterialized: merge\nunique_key: id\ninterval_column: day\n--- */\nSELECT 1 AS id\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(ErrorCode.ModelConfigInvalid, error.Code);
        Assert.Equal(
            "models/silver/orders.sql:4:18: 'interval_column' applies only to 'materialized: table' or 'append' (merge writes rows by unique key, not by data interval). Expected no 'interval_column', or 'materialized: append'.",
            error.Message);
    }

    [Fact]
    public async Task An_append_model_keeps_its_interval_column()
    {
        _project.Write("models/silver/daily.sql", "/* ---\nmaterialized: append\ninterval_column: order_date\n--- */\nSELECT 1 AS id\n");

        ModelConfig config = Assert.Single((await _project.LoadAsync()).Models).Config;

        Assert.Equal("order_date", config.IntervalColumn);
    }

    [Fact]
    public async Task An_scd2_model_keeps_its_key_and_change_columns()
    {
        _project.Write("models/silver/customers.sql", "/* ---\nmaterialized: scd2\nunique_key: [cpf]\nchange_columns: [email, city]\n--- */\nSELECT 1 AS cpf\n");

        ModelConfig config = Assert.Single((await _project.LoadAsync()).Models).Config;

        Assert.Equal(Materialization.Scd2, config.Materialized);
        Assert.Equal(["cpf"], config.UniqueKey);
        Assert.Equal(["email", "city"], config.ChangeColumns);
    }

    [Fact]
    public async Task Every_expectation_kind_is_read_with_its_arguments_and_severity()
    {
        _project.WithSources("customers").Write("models/silver/orders.yml", "").Write("models/silver/orders.sql", """
            /* ---
            expectations:
              - not_null: [order_id, customer_id]
              - unique: [order_id, line]
                severity: warn
              - accepted_values: {column: status, values: [new, paid]}
              - range: {column: amount, min: 0, max: 100000}
              - regex: {column: email, pattern: '^[^@]+@[^@]+$'}
                severity: quarantine
              - relationships: {column: customer_id, to: bronze.customers, field: id}
              - row_count: {min: 1, max: 1000}
              - freshness: {column: updated_at, max_age: 24h}
              - expression: amount >= 0
              - schema: {columns: {order_id: BIGINT, amount: ''}}
            --- */
            SELECT 1
            """);

        IReadOnlyList<Expectation> rules = Assert.Single((await _project.LoadAsync()).Models).Config.Expectations;

        Assert.Equal(
            [
                "not_null(order_id, customer_id)", "unique(order_id, line)", "accepted_values(status)", "range(amount)", "regex(email)",
                "relationships(customer_id -> bronze.customers.id)", "row_count", "freshness(updated_at)", "expression(amount >= 0)", "schema",
            ],
            rules.Select(r => r.Name));
        Assert.Equal(ExpectationSeverity.Fail, rules[0].Severity);
        Assert.Equal(ExpectationSeverity.Warn, rules[1].Severity);
        Assert.Equal(ExpectationSeverity.Quarantine, rules[4].Severity);
        Assert.Equal(["new", "paid"], rules[2].Values);
        Assert.Equal(("0", "100000"), (rules[3].Min, rules[3].Max));
        Assert.Equal("^[^@]+@[^@]+$", rules[4].Pattern);
        Assert.Equal((new TableName("bronze", "customers"), "id"), (rules[5].To, rules[5].ToColumn));
        Assert.Equal(TimeSpan.FromHours(24), rules[7].MaxAge);
        Assert.Equal("amount >= 0", rules[8].Sql);
        Assert.Equal(new Dictionary<string, string> { ["order_id"] = "BIGINT", ["amount"] = string.Empty }, rules[9].SchemaColumns);
        Assert.Equal(new SourceLocation("models/silver/orders.sql", 3, 5), rules[0].Location);
    }

    [Fact]
    public async Task An_unknown_rule_suggests_the_closest_rule()
    {
        _project.Write("models/silver/orders.sql", "/* ---\ncolumns:\n  id:\n    expect: [not_nul]\n--- */\nSELECT 1 AS id\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(
            "models/silver/orders.sql:4:14: unknown rule 'not_nul'. Did you mean 'not_null'? Expected one of: not_null, unique, accepted_values, range, regex, relationships, row_count, freshness, expression, schema.",
            error.Message);
    }

    [Fact]
    public async Task A_rule_that_needs_a_column_says_how_to_give_one()
    {
        _project.Write("models/silver/orders.sql", "/* ---\nexpectations:\n  - range: {min: 0}\n--- */\nSELECT 1\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(
            "models/silver/orders.sql:3:5: the 'range' rule needs a column. Expected 'range: {column: <name>, ...}' or the rule under 'columns: <name>: expect:'.",
            error.Message);
    }

    [Fact]
    public async Task A_freshness_age_without_a_unit_is_refused_with_examples()
    {
        _project.Write("models/silver/orders.sql", "/* ---\ncolumns:\n  updated_at:\n    expect:\n      - freshness: {max_age: 24}\n--- */\nSELECT 1\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal("models/silver/orders.sql:5:30: 'max_age' cannot be '24'. Expected a number and a unit: 90s, 30m, 24h, 7d or 2w.", error.Message);
    }

    [Fact]
    public async Task A_bad_severity_suggests_the_closest_one()
    {
        _project.Write("models/silver/orders.sql", "/* ---\nexpectations:\n  - not_null: [id]\n    severity: quarantne\n--- */\nSELECT 1\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal("models/silver/orders.sql:4:15: 'severity' cannot be 'quarantne'. Did you mean 'quarantine'? Expected one of: warn, quarantine, fail.", error.Message);
    }

    [Fact]
    public async Task Two_rules_with_the_same_name_ask_for_a_distinct_name()
    {
        _project.Write("models/silver/orders.sql", "/* ---\nexpectations:\n  - not_null: [id]\ncolumns:\n  id:\n    expect: [not_null]\n--- */\nSELECT 1\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(ErrorCode.QualityRuleInvalid, error.Code);
        Assert.Equal("models/silver/orders.sql:6:14: a second rule is named 'not_null(id)'. Expected unique rule names; add 'name: <unique name>' to one of them.", error.Message);
    }

    [Fact]
    public async Task A_models_yml_configures_a_model_by_its_table_name()
    {
        _project.Write("models/silver/orders.sql", "SELECT 1 AS id\n")
            .Write("models/schema.yml", "models:\n  silver.orders:\n    description: From yml\n    tags: [core]\n");

        ModelConfig config = Assert.Single((await _project.LoadAsync()).Models).Config;

        Assert.Equal("From yml", config.Description);
        Assert.Equal(["core"], config.Tags);
    }

    [Fact]
    public async Task A_models_yml_entry_for_an_unknown_model_suggests_the_closest_model()
    {
        _project.Write("models/silver/orders.sql", "SELECT 1\n").Write("models/schema.yml", "models:\n  silver.order:\n    description: x\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(
            "models/schema.yml:2:3: no model is named 'silver.order'. Did you mean 'silver.orders'? Expected the name of a models/<namespace>/<name>.sql file as <namespace>.<name>.",
            error.Message);
    }

    [Fact]
    public async Task A_model_configured_in_both_its_comment_and_a_models_yml_is_refused()
    {
        _project.Write("models/silver/orders.sql", "/* ---\ndescription: a\n--- */\nSELECT 1\n").Write("models/schema.yml", "models:\n  silver.orders:\n    description: b\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(ErrorCode.ModelDuplicate, error.Code);
        Assert.Equal("models/schema.yml:2:3: model silver.orders is configured twice: here and in the leading comment of models/silver/orders.sql. Expected one place.", error.Message);
    }

    [Fact]
    public async Task A_model_outside_a_namespace_folder_is_refused_with_where_to_move_it()
    {
        _project.Write("models/orders.sql", "SELECT 1\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal("models/orders.sql: a model must sit at models/<namespace>/<name>.sql, so its table is <namespace>.<name>.\nHelp: move it, e.g. to models/silver/orders.sql.", error.Message);
    }

    [Fact]
    public async Task A_model_with_the_same_table_as_a_source_is_a_duplicate()
    {
        _project.WithSources("orders").Write("models/bronze/orders.sql", "SELECT 1\n");

        MedallionException error = await LoadFailsAsync();

        Assert.Equal(ErrorCode.ModelDuplicate, error.Code);
        Assert.Equal("models/bronze/orders.sql: table bronze.orders is defined twice (first at sources/files.yml:2:5).\nHelp: give one of them another name or target.", error.Message);
    }

    private sealed class ColumnDocComparer : IEqualityComparer<ColumnDoc>
    {
        public bool Equals(ColumnDoc? x, ColumnDoc? y) =>
            x is not null && y is not null && x.Name == y.Name && x.Description == y.Description && x.Classification == y.Classification && x.Tags.SequenceEqual(y.Tags);

        public int GetHashCode(ColumnDoc obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cache_setting_gives_the_folder_relative_to_the_project_and_the_size()
    {
        using var project = new TestProject("name: shop\nstorage: s3://lake/shop\ncache:\n  path: .cache\n  max_size: 2GB\n");

        MedallionProject loaded = await project.LoadAsync();

        Assert.Equal((Path.Combine(project.Directory, ".cache"), 2L << 30), (loaded.Cache!.Directory, loaded.Cache.MaxSizeBytes));
    }

    [Fact]
    public async Task A_cache_size_that_is_not_a_size_names_the_file_line_and_column()
    {
        using var project = new TestProject("name: shop\ncache:\n  max_size: lots\n");

        var e = await Assert.ThrowsAsync<MedallionException>(() => project.LoadAsync());

        Assert.Equal(ErrorCode.ProjectFileInvalid, e.Code);
        Assert.Equal("medallion.yml:3:13: cache.max_size: 'lots' is not a size. Expected a size such as 20GB or 512MB.", e.Message);
    }

    [Fact]
    public async Task Storage_options_resolve_their_env_references()
    {
        using var project = new TestProject("name: shop\nstorage: s3://lake/shop\nstorage_options:\n  AWS_ENDPOINT_URL: ${MINIO_URL}\n  AWS_REGION: sa-east-1\n");

        MedallionProject loaded = await project.LoadAsync(name => name == "MINIO_URL" ? "http://127.0.0.1:9000" : null);

        Assert.Equal([("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"), ("AWS_REGION", "sa-east-1")], loaded.StorageOptions.OrderBy(o => o.Key).Select(o => (o.Key, o.Value)));
    }

    [Fact]
    public async Task A_misspelt_storage_option_is_refused_with_a_suggestion_and_the_known_names()
    {
        using var project = new TestProject("name: shop\nstorage: s3://lake/shop\nstorage_options:\n  AWS_ACESS_KEY_ID: x\n");

        var e = await Assert.ThrowsAsync<MedallionException>(() => project.LoadAsync());

        Assert.StartsWith("medallion.yml:4:3: unknown key 'AWS_ACESS_KEY_ID' in 'storage_options'. Did you mean 'AWS_ACCESS_KEY_ID'? Expected one of: AWS_REGION,", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Storage_as_a_mapping_gives_namespaces_their_own_locations_and_the_rest_the_default()
    {
        using var project = new TestProject("name: shop\nstorage:\n  default: s3://lake/shop\n  bronze: ${RAW}\n");

        MedallionProject loaded = await project.LoadAsync(name => name == "RAW" ? "s3://raw/bronze" : null);

        Assert.Equal("s3://lake/shop", loaded.Storage);
        Assert.Equal("s3://raw/bronze/orders", ProjectCatalog.TableLocation(loaded, new TableName("bronze", "orders")));
        Assert.Equal("s3://lake/shop/silver/orders", ProjectCatalog.TableLocation(loaded, new TableName("silver", "orders")));
    }

    [Fact]
    public async Task A_storage_key_that_is_not_a_namespace_names_the_file_line_and_column()
    {
        using var project = new TestProject("name: shop\nstorage:\n  Bronze Tables: raw\n");

        var e = await Assert.ThrowsAsync<MedallionException>(() => project.LoadAsync());

        Assert.StartsWith("medallion.yml:3:3: 'storage' maps namespaces to locations, but 'Bronze Tables' is not a namespace name.", e.Message, StringComparison.Ordinal);
    }
}
