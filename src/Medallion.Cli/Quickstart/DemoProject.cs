using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Cli.Quickstart;

/// <summary>
/// The project files the quickstart writes next to <see cref="DemoData"/>'s raw files: five file sources into
/// bronze, silver models that clean and conform them, gold models that answer business questions, with
/// docs, owners, tags, PII classes and expectations of every severity.
/// </summary>
/// <remarks>
/// What the data makes the expectations do (seed 20260101): about 4% of CPFs have wrong check digits, so
/// <c>silver.customers</c> quarantines those accounts; about one account in ten has no usable e-mail and
/// about 2% of orders name customers that do not exist (plus the orders of quarantined accounts), which
/// are recorded as warnings; the <c>fail</c> rules (keys unique and present, statuses known) hold.
/// </remarks>
internal static class DemoProject
{
    /// <summary>The project name in <c>medallion.yml</c>; the quickstart recognises its own demo by it.</summary>
    public const string Name = "medallion_demo";

    /// <summary>The gold table whose lineage the quickstart shows.</summary>
    public const string LineageTable = "gold.daily_revenue";

    /// <summary>The question the quickstart asks the gold layer at the end.</summary>
    public const string SampleQuery = """
        SELECT category, sum(orders) AS orders, sum(revenue) AS revenue
        FROM gold.daily_revenue
        GROUP BY category
        ORDER BY revenue DESC
        LIMIT 3
        """;

    /// <summary>Writes the project files into <paramref name="directory"/>, replacing any that exist; the tables go to <paramref name="storage"/> (default <c>warehouse</c>).</summary>
    /// <returns>The files written, relative to the directory.</returns>
    public static async Task<IReadOnlyList<string>> WriteAsync(string directory, string? storage, CancellationToken cancellationToken)
    {
        var written = new List<string>();
        foreach ((string path, string text) in Files(storage ?? "warehouse"))
        {
            string full = Path.Combine(directory, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, text, cancellationToken).ConfigureAwait(false);
            written.Add(path);
        }

        return written;
    }

    /// <summary>Brazilian money text (<c>R$ 1.234,56</c>) to a decimal; DuckDB has no locale-aware cast, so the separators are swapped by hand.</summary>
    private static string Reais(string column) =>
        $"CAST(replace(replace(replace(trim(CAST({column} AS VARCHAR)), 'R$ ', ''), '.', ''), ',', '.') AS DECIMAL(12, 2))";

    private static IEnumerable<(string Path, string Text)> Files(string storage)
    {
        yield return ("medallion.yml", $$"""
            # The quickstart's demo project: a small Brazilian online shop.
            # Raw exports land in data/, sources/ load them into bronze, models/ build silver and gold.
            name: {{Name}}
            description: "Quickstart demo: customers, products, orders, items and payments of a Brazilian online shop."
            storage: {{JsonSerializer.Serialize(storage)}}
            catalog: .medallion/catalog.db

            """);

        yield return (".gitignore", """
            .medallion/
            warehouse/

            """);

        yield return ("sources/shop.yml", """
            # Each file matching 'path' is loaded once into its bronze table, as it is (text stays text),
            # with _source_file, _source_line and _ingested_at. Rows that do not parse are kept too, with
            # their text in _raw_line and the reason in _parse_error; the silver models skip them.
            sources:
              - name: customers
                description: Customer sign-ups and profile updates exported by the CRM, one CSV per batch. Dirty on purpose (see silver.customers).
                format: csv
                path: data/customers/*.csv
                target: bronze.customers

              - name: products
                description: The product catalog with prices as Brazilian text (R$ 1.234,56).
                format: csv
                path: data/products/*.csv
                target: bronze.products

              - name: orders
                description: Order status events (created, paid, shipped, delivered, canceled), one JSON object per line.
                format: jsonl
                path: data/orders/*.jsonl
                target: bronze.orders

              - name: order_items
                description: The lines of each order, with unit prices as Brazilian text.
                format: csv
                path: data/order_items/*.csv
                target: bronze.order_items

              - name: payments
                description: One payment per order, with the amount as Brazilian text.
                format: csv
                path: data/payments/*.csv
                target: bronze.payments

            """);

        yield return ("models/silver/customers.sql", """
            /* ---
            description: One row per customer account, its latest version, with the CPF reduced to its 11 digits and checked, and the e-mail normalised.
            owner: crm-team
            tags: [customers, pii]
            # merge: each run reads only the bronze rows loaded since the last one and upserts them by key.
            materialized: merge
            unique_key: customer_id
            columns:
              customer_id:
                description: The shop's account id. One person may hold several accounts (see gold.customer_lifetime_value).
                expect: [not_null, unique]
              name:
                description: Full name as typed at sign-up.
                classification: pii
              cpf:
                description: CPF (Brazilian taxpayer id), 11 digits without punctuation.
                classification: pii
              cpf_is_valid:
                description: Whether both CPF check digits are right.
              email:
                description: Lower-cased e-mail; null when missing or malformed.
                classification: pii
                expect:
                  # About one account in ten has no usable e-mail: worth knowing, not worth stopping for.
                  - not_null:
                    severity: warn
              phone:
                description: Mobile phone with area code.
                classification: pii
              city:
                description: City of the delivery address.
              uf:
                description: State (unidade federativa), two letters.
                expect:
                  - accepted_values: [AC, AL, AM, AP, BA, CE, DF, ES, GO, MA, MG, MS, MT, PA, PB, PE, PI, PR, RJ, RN, RO, RR, RS, SC, SE, SP, TO]
              updated_at:
                description: When this version of the account was written.
            expectations:
              # Accounts with a wrong CPF are set aside in silver.customers_quarantine; the rest is committed.
              - expression: cpf_is_valid
                name: cpf_check_digits
                severity: quarantine
            --- */
            WITH latest AS (
                SELECT
                    *,
                    lpad(regexp_replace(CAST(cpf AS VARCHAR), '[^0-9]', '', 'g'), 11, '0') AS cpf_digits
                FROM bronze.customers
                WHERE _parse_error IS NULL
                QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY updated_at DESC, _source_file DESC, _source_line DESC) = 1
            )
            SELECT
                CAST(customer_id AS BIGINT) AS customer_id,
                trim(name) AS name,
                cpf_digits AS cpf,
                substr(cpf_digits, 10, 1)::INTEGER = list_sum(list_transform(range(1, 10), i -> substr(cpf_digits, i, 1)::INTEGER * (11 - i))) * 10 % 11 % 10
                    AND substr(cpf_digits, 11, 1)::INTEGER = list_sum(list_transform(range(1, 11), i -> substr(cpf_digits, i, 1)::INTEGER * (12 - i))) * 10 % 11 % 10
                    AS cpf_is_valid,
                CASE WHEN regexp_full_match(lower(trim(email)), '[^@\s]+@[^@\s]+\.[^@\s]+') THEN lower(trim(email)) END AS email,
                trim(phone) AS phone,
                trim(city) AS city,
                upper(trim(uf)) AS uf,
                CAST(updated_at AS TIMESTAMP) AS updated_at
            FROM latest

            """);

        yield return ("models/silver/products.sql", $$"""
            /* ---
            description: The product catalog with prices as numbers.
            owner: catalog-team
            tags: [products]
            materialized: table
            columns:
              product_id:
                expect: [not_null, unique]
              category:
                description: Department, e.g. Eletrônicos or Livros.
                expect: [not_null]
              price:
                description: List price in BRL.
                expect:
                  - range: {min: 0}
            --- */
            SELECT
                CAST(product_id AS BIGINT) AS product_id,
                trim(name) AS name,
                trim(category) AS category,
                {{Reais("price")}} AS price
            FROM bronze.products
            WHERE _parse_error IS NULL

            """);

        yield return ("models/silver/order_events.sql", """
            /* ---
            description: Every order status change once (the exports repeat none, but a re-sent file would).
            owner: sales-engineering
            tags: [orders]
            # append: each run adds the events of the files loaded since the last run.
            materialized: append
            columns:
              order_id:
                expect: [not_null]
              status:
                expect:
                  - accepted_values: [created, paid, shipped, delivered, canceled]
              event_time:
                expect: [not_null]
            expectations:
              # Events of unknown (or quarantined) accounts are kept and reported; erasing a person erases their events, and
              # through the column's lineage the rows of bronze.orders they came from.
              - relationships: {column: customer_id, to: silver.customers, field: customer_id}
                name: known_customer
                severity: warn
            --- */
            SELECT DISTINCT
                CAST(order_id AS BIGINT) AS order_id,
                CAST(customer_id AS BIGINT) AS customer_id,
                lower(trim(status)) AS status,
                CAST(event_time AS TIMESTAMP) AS event_time
            FROM bronze.orders
            WHERE _parse_error IS NULL

            """);

        yield return ("models/silver/orders.sql", """
            /* ---
            description: One row per order with when it was placed and its current status, folded from all of its events (late updates included).
            owner: sales-engineering
            tags: [orders]
            # table: rebuilt from every event on each run, so an order's first event is never lost to an incremental read.
            materialized: table
            columns:
              order_id:
                expect: [not_null, unique]
              customer_id:
                description: The account that placed the order.
              placed_at:
                description: When the order was created.
                expect: [not_null]
              status:
                description: The latest status.
              updated_at:
                description: When the status last changed.
              customer_known:
                description: Whether silver.customers has the account (false for unknown accounts and quarantined ones).
            expectations:
              # Orders of unknown (or quarantined) accounts are kept and reported, not dropped. The rule also ties each order
              # to its customer, so erasing a person (medallion subject erase) erases their orders too.
              - relationships: {column: customer_id, to: silver.customers, field: customer_id}
                name: known_customer
                severity: warn
            --- */
            WITH folded AS (
                SELECT
                    order_id,
                    any_value(customer_id) AS customer_id,
                    min(event_time) FILTER (WHERE status = 'created') AS placed_at,
                    arg_max(status, event_time) AS status,
                    max(event_time) AS updated_at
                FROM silver.order_events
                GROUP BY order_id
            )
            SELECT
                f.order_id,
                f.customer_id,
                f.placed_at,
                f.status,
                f.updated_at,
                c.customer_id IS NOT NULL AS customer_known
            FROM folded AS f
            LEFT JOIN silver.customers AS c ON c.customer_id = f.customer_id

            """);

        yield return ("models/silver/order_items.sql", $$"""
            /* ---
            description: Order lines with unit prices as numbers and their line totals.
            owner: sales-engineering
            tags: [orders]
            materialized: append
            columns:
              quantity:
                expect:
                  - range: {min: 1, max: 100}
              unit_price:
                description: Price paid per unit in BRL.
              line_total:
                description: quantity × unit_price.
            expectations:
              - not_null: [order_id, product_id]
              # Lines of an order silver.orders does not have are reported; erasing a person erases the lines of their orders.
              - relationships: {column: order_id, to: silver.orders, field: order_id}
                name: known_order
                severity: warn
            --- */
            SELECT
                order_id,
                product_id,
                quantity,
                unit_price,
                quantity * unit_price AS line_total
            FROM (
                SELECT
                    CAST(order_id AS BIGINT) AS order_id,
                    CAST(product_id AS BIGINT) AS product_id,
                    CAST(quantity AS INTEGER) AS quantity,
                    {{Reais("unit_price")}} AS unit_price
                FROM bronze.order_items
                WHERE _parse_error IS NULL
            ) AS items

            """);

        yield return ("models/silver/payments.sql", $$"""
            /* ---
            description: Payments with amounts as numbers.
            owner: finance
            tags: [payments]
            materialized: append
            columns:
              method:
                description: pix, cartao_credito, cartao_debito or boleto.
                expect:
                  - accepted_values: [pix, cartao_credito, cartao_debito, boleto]
                    severity: warn
              amount:
                description: Amount paid in BRL.
                expect:
                  - range: {min: 0}
            expectations:
              # Payments of an order silver.orders does not have are reported; erasing a person erases their orders' payments.
              - relationships: {column: order_id, to: silver.orders, field: order_id}
                name: known_order
                severity: warn
            --- */
            SELECT
                CAST(order_id AS BIGINT) AS order_id,
                lower(trim(method)) AS method,
                {{Reais("amount")}} AS amount,
                CAST(paid_at AS TIMESTAMP) AS paid_at
            FROM bronze.payments
            WHERE _parse_error IS NULL

            """);

        yield return ("models/gold/daily_revenue.sql", """
            /* ---
            description: Revenue per day and product category, from every order not canceled.
            owner: finance
            tags: [finance, daily]
            materialized: table
            columns:
              day:
                description: The day the orders were placed.
              orders:
                description: Orders with at least one line in the category.
              revenue:
                description: Sum of line totals in BRL.
            expectations:
              - row_count: {min: 1}
              - not_null: [day, category]
              - unique: [day, category]
            --- */
            SELECT
                CAST(o.placed_at AS DATE) AS day,
                p.category,
                count(DISTINCT o.order_id) AS orders,
                sum(i.line_total) AS revenue
            FROM silver.order_items AS i
            JOIN silver.orders AS o ON o.order_id = i.order_id
            JOIN silver.products AS p ON p.product_id = i.product_id
            WHERE o.status <> 'canceled'
            GROUP BY ALL

            """);

        yield return ("models/gold/customer_lifetime_value.sql", """
            /* ---
            description: What each person (one CPF, however many accounts) has bought, from every order not canceled.
            owner: crm-team
            tags: [customers, finance, pii]
            materialized: table
            columns:
              cpf:
                description: The person's CPF; their accounts are grouped by it.
                classification: pii
                expect: [not_null, unique]
              name:
                description: The name on the person's most recently updated account.
                classification: pii
              accounts:
                description: How many accounts share the CPF.
              orders:
                description: Orders placed, not canceled.
              lifetime_value:
                description: Total spent in BRL.
            --- */
            WITH order_totals AS (
                SELECT o.order_id, o.customer_id, o.placed_at, sum(i.line_total) AS total
                FROM silver.orders AS o
                JOIN silver.order_items AS i ON i.order_id = o.order_id
                WHERE o.status <> 'canceled'
                GROUP BY ALL
            )
            SELECT
                c.cpf,
                arg_max(c.name, c.updated_at) AS name,
                count(DISTINCT c.customer_id) AS accounts,
                count(t.order_id) AS orders,
                coalesce(sum(t.total), 0) AS lifetime_value,
                min(t.placed_at) AS first_order_at,
                max(t.placed_at) AS last_order_at
            FROM silver.customers AS c
            LEFT JOIN order_totals AS t ON t.customer_id = c.customer_id
            GROUP BY c.cpf

            """);
    }
}
