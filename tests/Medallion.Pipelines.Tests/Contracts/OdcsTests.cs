using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Medallion.Pipelines.Contracts;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Tests.Running;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Medallion.Pipelines.Tests.Contracts;

/// <summary>Contracts as Open Data Contract Standard v3 documents: exported from a model, imported into a project, and round-tripped.</summary>
public sealed class OdcsTests : IDisposable
{
    private static readonly JsonSchema s_schema = JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, "Contracts", "odcs-v3.1.schema.json"));

    private static readonly JsonSerializerOptions s_json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private const string OrdersConfig = """
        description: One row per order
        owner: sales-data
        tags: [core]
        partition_by: [ordered_on]
        retention: {column: ordered_on, keep: 5y}
        freshness: {error_after: 6h}
        contract: {enforced: true}
        columns:
          order_id: {data_type: BIGINT, description: The order, constraints: [primary_key]}
          email: {data_type: VARCHAR, classification: pii, expect: [{regex: '^[^@]+@[^@]+$', severity: warn}]}
          status: {data_type: VARCHAR, expect: [{accepted_values: [new, paid]}]}
          amount: {data_type: 'DECIMAL(18,2)', expect: [{range: {min: 0}}]}
          ordered_on: {data_type: DATE}
        expectations:
          - row_count: {min: 1, max: 1000000}
        """;

    private const string OrdersSql = "SELECT 1::BIGINT AS order_id, 'a@b' AS email, 'new' AS status, 1.00::DECIMAL(18,2) AS amount, DATE '2026-11-01' AS ordered_on";

    private readonly RunProject _project = new();

    public void Dispose() => _project.Dispose();

    private async Task<ModelDefinition> LoadModelAsync(string name = "silver.orders") =>
        (await MedallionProject.LoadAsync(_project.Directory)).Models.Single(m => m.Name.ToString() == name);

    private string ImportFile(string text)
    {
        string path = Path.Combine(_project.Directory, "incoming.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task An_export_is_a_valid_odcs_document()
    {
        _project.Model("silver.orders", OrdersSql, OrdersConfig);

        string document = OdcsExport.Write("shop", await LoadModelAsync(), kept: null);

        EvaluationResults results = s_schema.Evaluate(JsonSerializer.SerializeToElement(ToJson(document)), new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(results.IsValid, string.Join("\n", (results.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    [Fact]
    public async Task An_export_carries_types_keys_partitions_classification_owner_and_sla()
    {
        _project.Model("silver.orders", OrdersSql, OrdersConfig);

        JsonNode document = ToJson(OdcsExport.Write("shop", await LoadModelAsync(), kept: null));

        Assert.Equal(("shop.silver.orders", "sales-data"), ((string)document["id"]!, (string)document["team"]!["members"]![0]!["username"]!));
        JsonNode table = document["schema"]![0]!;
        Assert.Equal("silver.orders", (string)table["physicalName"]!);
        JsonNode orderId = table["properties"]![0]!;
        Assert.Equal(("BIGINT", "integer", true, true, true, 1L), ((string)orderId["physicalType"]!, (string)orderId["logicalType"]!, (bool)orderId["required"]!, (bool)orderId["unique"]!, (bool)orderId["primaryKey"]!, (long)orderId["primaryKeyPosition"]!));
        Assert.Equal("pii", (string)table["properties"]![1]!["classification"]!);
        Assert.Equal((true, 1L), ((bool)table["properties"]![4]!["partitioned"]!, (long)table["properties"]![4]!["partitionKeyPosition"]!));
        Assert.Equal(
            """[{"property":"retention","value":5,"unit":"y","element":"orders.ordered_on"},{"property":"latency","value":6,"unit":"h","element":"orders"}]""",
            document["slaProperties"]!.ToJsonString(s_json));
    }

    [Fact]
    public async Task Rules_with_a_library_metric_export_as_that_metric_and_the_others_as_medallion_rules()
    {
        _project.Model("silver.orders", OrdersSql, OrdersConfig);

        JsonNode table = ToJson(OdcsExport.Write("shop", await LoadModelAsync(), kept: null))["schema"]![0]!;

        Assert.Equal("""[{"name":"regex(email)","type":"library","metric":"invalidValues","mustBe":0,"arguments":{"pattern":"^[^@]+@[^@]+$"},"severity":"warning"}]""", table["properties"]![1]!["quality"]!.ToJsonString(s_json));
        Assert.Equal("""[{"name":"range(amount)","type":"custom","engine":"medallion","implementation":"{range: {column: 'amount', min: '0'}, name: 'range(amount)'}","severity":"error"}]""", table["properties"]![3]!["quality"]!.ToJsonString(s_json));
        Assert.Equal("""[{"name":"row_count","type":"library","metric":"rowCount","mustBeBetween":[1,1000000],"severity":"error"}]""", table["quality"]!.ToJsonString(s_json));
    }

    [Fact]
    public async Task An_exported_contract_imported_into_a_project_without_config_gives_the_model_the_same_rules_and_types()
    {
        _project.Model("silver.orders", OrdersSql, OrdersConfig);
        ModelDefinition original = await LoadModelAsync();
        string document = OdcsExport.Write("shop", original, kept: null);
        _project.Model("silver.orders", OrdersSql);

        await OdcsImport.ImportAsync(_project.Directory, ImportFile(document));
        ModelDefinition imported = await LoadModelAsync();

        Assert.Equal(original.Config.Expectations.Select(e => (e.Name, e.Kind, e.Severity)).Order(), imported.Config.Expectations.Select(e => (e.Name, e.Kind, e.Severity)).Order());
        Assert.Equal(original.Config.Columns.Select(c => (c.Name, c.DataType, c.Classification)), imported.Config.Columns.Select(c => (c.Name, c.DataType, c.Classification)));
        Assert.Equal(("sales-data", true), (imported.Config.Owner, imported.Config.Contract!.Enforced));
    }

    [Fact]
    public async Task What_medallion_does_not_use_comes_back_unchanged_from_an_import_to_an_export()
    {
        _project.Model("silver.orders", "SELECT 1::BIGINT AS order_id, 'x' AS status");
        await OdcsImport.ImportAsync(_project.Directory, ImportFile(ForeignContract));

        string exported = OdcsExport.Write("shop", await LoadModelAsync(), File.ReadAllText(Path.Combine(_project.Directory, "contracts", "incoming.odcs.yaml")));

        JsonNode before = ToJson(ForeignContract), after = ToJson(exported);
        foreach (string section in (string[])["servers", "price", "customProperties", "support", "roles", "tenant", "domain", "version", "id"])
        {
            Assert.True(JsonNode.DeepEquals(before[section], after[section]), $"{section}: {before[section]?.ToJsonString(s_json)} became {after[section]?.ToJsonString(s_json)}");
        }

        JsonNode status = after["schema"]![0]!["properties"]![1]!;
        Assert.Equal("Order status", (string)status["businessName"]!);
        Assert.Equal(
            ["""{"type":"text","description":"Statuses follow the order lifecycle."}""", """{"type":"custom","engine":"soda","implementation":"type: duplicate_percent\n"}""", "accepted_values(status)"],
            status["quality"]!.AsArray().Select(r => r!["name"] is { } name ? (string)name! : r.ToJsonString(s_json)));
    }

    [Fact]
    public async Task An_imported_contract_makes_builds_enforce_its_types()
    {
        _project.Model("silver.orders", "SELECT 1::INTEGER AS order_id, 'x' AS status");
        await OdcsImport.ImportAsync(_project.Directory, ImportFile(ForeignContract));

        RunResult run = await _project.RunAsync();

        Assert.Equal(ErrorCode.ContractViolated, run[new Catalog.TableName("silver", "orders")].ErrorCode);
        Assert.Contains("column 'order_id' is INTEGER, the contract says BIGINT", run[new Catalog.TableName("silver", "orders")].Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Library_metrics_medallion_can_run_become_expectations_and_the_rest_are_kept_unchecked()
    {
        OdcsObject contract = Assert.Single(OdcsContract.Read("incoming.yaml", ForeignContract));

        Assert.Equal(
            [("not_null(order_id)", ExpectationKind.NotNull), ("accepted_values(status)", ExpectationKind.AcceptedValues), ("orders_row_count", ExpectationKind.RowCount)],
            contract.Expectations.Select(e => (e.Name, e.Kind)));
        Assert.Equal(("10", "100000"), (contract.Expectations[2].Min, contract.Expectations[2].Max));
        Assert.Equal(["incoming.yaml:42:13: text (text)", "incoming.yaml:44:13: custom (custom)", "incoming.yaml:49:9: late_orders (sql)"], contract.NotChecked);
    }

    [Fact]
    public async Task A_document_about_a_table_no_model_writes_is_refused_and_the_project_is_unchanged()
    {
        _project.Model("silver.customers", "SELECT 1 AS id");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => OdcsImport.ImportAsync(_project.Directory, ImportFile(ForeignContract)));

        Assert.Equal(ErrorCode.ContractDocumentInvalid, error.Code);
        Assert.StartsWith("contracts/incoming.odcs.yaml:24:5: the contract describes silver.orders, which no model writes.", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_project.Directory, "contracts")) && Directory.EnumerateFiles(Path.Combine(_project.Directory, "contracts")).Any());
    }

    [Fact]
    public async Task A_column_typed_one_way_in_the_document_and_another_in_the_config_is_refused_naming_both()
    {
        _project.Model("silver.orders", "SELECT 1 AS order_id, 'x' AS status", "columns:\n  order_id: {data_type: INTEGER}");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => OdcsImport.ImportAsync(_project.Directory, ImportFile(ForeignContract)));

        Assert.Contains("column 'order_id' of silver.orders is BIGINT here and INTEGER in the model's config (models/silver/orders.sql:2:1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_document_that_is_not_an_odcs_v3_contract_is_refused_at_its_line()
    {
        _project.Model("silver.orders", "SELECT 1 AS order_id");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => OdcsImport.ImportAsync(_project.Directory, ImportFile(ForeignContract.Replace("apiVersion: v3.1.0", "apiVersion: v2.2.2", StringComparison.Ordinal))));

        Assert.Equal(ErrorCode.ContractDocumentInvalid, error.Code);
        Assert.StartsWith($"{Path.Combine(_project.Directory, "incoming.yaml")}:2:13: 'apiVersion' is 'v2.2.2', a version Medallion does not read.", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A contract written elsewhere, with sections and rules Medallion does not use.</summary>
    private const string ForeignContract = """
        version: 2.1.0
        apiVersion: v3.1.0
        kind: DataContract
        id: 53581432-6c55-4ba2-a65f-72344a91553a
        name: orders
        status: active
        tenant: RetailCo
        domain: sales
        servers:
          - server: prod
            type: postgresql
            host: db.example.com
            port: 5432
            database: sales
            schema: public
        price:
          priceAmount: 9.95
          priceCurrency: USD
          priceUnit: megabyte
        support:
          - channel: '#sales-data'
            url: https://example.slack.com/archives/C1
        schema:
          - name: orders
            physicalName: silver.orders
            properties:
              - name: order_id
                physicalType: BIGINT
                required: true
                quality:
                  - metric: nullValues
                    mustBe: 0
                    unit: rows
              - name: status
                physicalType: VARCHAR
                businessName: Order status
                quality:
                  - metric: invalidValues
                    arguments:
                      validValues: [new, paid, shipped]
                    mustBe: 0
                  - type: text
                    description: Statuses follow the order lifecycle.
                  - type: custom
                    engine: soda
                    implementation: |
                      type: duplicate_percent
            quality:
              - name: late_orders
                type: sql
                query: SELECT COUNT(*) FROM {object} WHERE status = 'new'
                mustBeLessThan: 100
              - id: orders_row_count
                name: orders_row_count
                metric: rowCount
                mustBeBetween: [10, 100000]
        roles:
          - role: sales_reader
            access: read
        customProperties:
          - property: refRulesetName
            value: gcsc.ruleset.name
        """;

    /// <summary>A YAML document as JSON, with plain scalars typed as YAML's core schema types them.</summary>
    private static JsonNode ToJson(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return Convert(stream.Documents[0].RootNode)!;
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, Convert(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(Convert)]),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var v } when v is "true" or "false" => JsonValue.Create(v == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var v } when v is null or "null" or "~" => null,
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var v } when long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long whole) => JsonValue.Create(whole),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var v } when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) => JsonValue.Create(number),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidOperationException("an alias"),
    };
}
