using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Pipelines;

/// <summary>
/// The files <c>medallion init</c> writes: a project that loads and builds as is, whose comments
/// teach the format (settings, a CSV source with sample data, a silver and a gold model).
/// </summary>
public static class ProjectTemplate
{
    /// <summary>Writes a new project into <paramref name="directory"/> (created when missing).</summary>
    /// <param name="directory">The project directory.</param>
    /// <param name="name">The project name; the directory's name when null.</param>
    /// <param name="cancellationToken">Cancels writing.</param>
    /// <returns>The files written, relative to the directory, with forward slashes.</returns>
    /// <exception cref="MedallionException"><see cref="ErrorCode.ProjectAlreadyExists"/> when the directory already has a <c>medallion.yml</c>; nothing is written.</exception>
    public static async Task<IReadOnlyList<string>> CreateAsync(string directory, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string root = Path.GetFullPath(directory);
        if (File.Exists(Path.Combine(root, MedallionProject.FileName)))
        {
            throw new MedallionException(
                ErrorCode.ProjectAlreadyExists,
                $"'{root}' already has a {MedallionProject.FileName}; init leaves existing projects alone.\nHelp: choose another directory, e.g. 'medallion init my_project'.");
        }

        string projectName = name ?? SafeName(Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)));
        var written = new List<string>();
        foreach ((string path, string text) in Files(projectName))
        {
            string full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            if (File.Exists(full))
            {
                continue;
            }

            await File.WriteAllTextAsync(full, text, cancellationToken).ConfigureAwait(false);
            written.Add(path);
        }

        return written;
    }

    /// <summary>
    /// Writes only the project file (<c>medallion.yml</c>, default storage and catalog, no sources or models) into
    /// <paramref name="directory"/>, created when missing: the project a one-command load lands in.
    /// </summary>
    /// <param name="directory">The project directory.</param>
    /// <param name="cancellationToken">Cancels writing.</param>
    /// <returns>The project file's path.</returns>
    /// <exception cref="MedallionException"><see cref="ErrorCode.ProjectAlreadyExists"/> when the directory already has a <c>medallion.yml</c>.</exception>
    public static async Task<string> CreateSettingsAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string root = Path.GetFullPath(directory);
        string path = Path.Combine(root, MedallionProject.FileName);
        if (File.Exists(path))
        {
            throw new MedallionException(
                ErrorCode.ProjectAlreadyExists,
                $"'{root}' already has a {MedallionProject.FileName}; it is left alone.\nHelp: load into the existing project, or choose another directory.");
        }

        Directory.CreateDirectory(root);
        (_, string text) = Files(SafeName(Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)))).First();
        await File.WriteAllTextAsync(path, text, cancellationToken).ConfigureAwait(false);
        return path;
    }

    private static string SafeName(string name)
    {
        var chars = name.ToLowerInvariant().ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]))
            {
                chars[i] = '_';
            }
        }

        return chars.Length == 0 ? "my_project" : new string(chars);
    }

    private static IEnumerable<(string Path, string Text)> Files(string name)
    {
        yield return ("medallion.yml", $$"""
            # The project file. Paths are relative to this folder.
            name: {{name}}
            description: "A Medallion project: sources land in bronze, models build silver and gold."

            # Where Delta tables are written: a folder, or later s3://bucket/prefix.
            storage: warehouse

            # The metastore (tables, docs, runs, quality, lineage): a SQLite file by default.
            catalog: .medallion/catalog.db

            # Named connections for database and API sources. Keep secrets out of this file:
            # ${NAME} reads an environment variable, ${NAME:-default} gives a fallback.
            # connections:
            #   shop_db:
            #     type: postgres
            #     host: ${SHOP_DB_HOST:-localhost}
            #     user: medallion
            #     password: ${SHOP_DB_PASSWORD}

            """);
        yield return ("sources/files.yml", """
            # File sources: every file matching 'path' (a glob, relative to the project) is loaded once
            # into the 'target' bronze table, with _source_file, _source_line and _ingested_at columns.
            sources:
              - name: orders
                description: Orders exported by the shop, one CSV per day.
                format: csv              # csv | jsonl | parquet | debezium
                path: data/orders/*.csv
                target: bronze.orders
                options:                 # passed to DuckDB's reader
                  header: true
                  delim: ","

              # - name: customers
              #   format: jsonl
              #   path: data/customers/*.jsonl
              #   target: bronze.customers

              # Debezium change events (one JSON event per line, with or without the schema/payload
              # envelope) land with _op, _lsn, _seq, _commit_ts, _txid, the row and _before_<column>;
              # a merge model with delete_when: _op = 'delete' turns them into current state.
              # - name: orders_cdc
              #   format: debezium
              #   path: data/cdc/orders/*.jsonl
              #   target: bronze.orders_cdc
              # or pushed over HTTP (one event or a JSON array per POST), until Ctrl+C of
              # 'medallion ingest --select orders_cdc'; any address but loopback needs the bearer token:
              # - name: orders_cdc
              #   listen: 127.0.0.1:8089
              #   auth: {type: bearer, token: "${CDC_TOKEN}"}   # senders send 'Authorization: Bearer <token>'

              # An HTTP API source is an entry with 'url:'; 'medallion ingest' reads it. Secrets are
              # written as ${ENV_VAR} and read only when the source runs (never stored or printed).
              # - name: crm_contacts
              #   url: https://api.example.com/v1/contacts
              #   target: bronze.crm_contacts
              #   records: data.items      # where the records are in a response
              #   auth: {type: bearer, token: "${CRM_TOKEN}"}   # bearer | basic (user, password) | api_key (header, key)
              #   pagination: {type: page, param: page, size_param: per_page, size: 100}
              #                            # page | offset (size) | cursor (path: meta.next) | link (Link: rel="next")
              #   incremental: {field: updated_at, param: updated_since}   # appends what is new, position kept in bronze
              #   nested: json             # json (nested objects as JSON text) | flatten (a.b -> a_b)
              #   max_attempts: 5          # 429, 5xx and timeouts are retried with backoff, honouring Retry-After

            """);
        yield return ("data/orders/orders_2026-01-01.csv", """
            order_id,customer_id,status,amount,ordered_at
            1,10,paid,120.50,2026-01-01 09:15:00
            2,11,new,35.00,2026-01-01 10:02:00
            3,10,shipped,89.90,2026-01-01 17:40:00

            """);
        yield return ("models/silver/orders.sql", """
            /* ---
            # A model is models/<namespace>/<name>.sql: one SELECT that builds the table <namespace>.<name>.
            # Its config is this YAML block, first in the file: a line 'slash star ---' opens it,
            # a line '--- star slash' closes it, and it may not contain another 'slash star'.
            # (Or put the same keys under 'models: silver.orders:' in a .yml file in models/.)
            description: Orders, typed and cleaned, one row per order.
            owner: data-team
            tags: [sales, daily]

            # table (rebuild) | append | merge (upsert on unique_key; delete_when for CDC deletes)
            # | scd2 (history of unique_key, new version when change_columns change)
            materialized: merge
            unique_key: order_id
            partition_by: [order_date]

            columns:
              order_id:
                description: The shop's order number.
                expect: [not_null, unique]
              status:
                expect:
                  - accepted_values: [new, paid, shipped, cancelled]
                    severity: warn       # warn (record) | quarantine (set rows aside) | fail (commit nothing)
              amount:
                description: Order total in BRL.

            # Rules check the rows a run writes: the whole table when it is rebuilt (the first run, table
            # models, --full-refresh), only the new rows when an incremental model (append, merge, scd2)
            # adds some. A run that brings no new rows reports its rules 'not checked: no new rows'
            # (not 'passed'); 'medallion test' checks every rule against the whole table.
            expectations:
              - range: {column: amount, min: 0}
                severity: quarantine
              - row_count: {min: 1}    # an empty rebuild (first run, --full-refresh) fails
            --- */
            SELECT
                CAST(order_id AS BIGINT)       AS order_id,
                CAST(customer_id AS BIGINT)    AS customer_id,
                lower(trim(status))            AS status,
                CAST(amount AS DECIMAL(18, 2)) AS amount,
                CAST(ordered_at AS TIMESTAMP)  AS ordered_at,
                CAST(ordered_at AS DATE)       AS order_date
            FROM bronze.orders
            -- A CSV row that does not parse (a value that does not fit its column) is kept in bronze with
            -- _raw_line and _parse_error, its columns null; 'medallion run' names it. Silver takes the rows that parsed.
            WHERE _parse_error IS NULL

            """);
        yield return ("models/gold/daily_revenue.sql", """
            /* ---
            description: Revenue per day, from paid and shipped orders.
            tags: [sales, daily]
            materialized: table
            expectations:
              - not_null: [order_date]
            --- */
            -- Dependencies come from the tables the SELECT reads: this model runs after silver.orders.
            SELECT
                order_date,
                count(*)    AS orders,
                sum(amount) AS revenue
            FROM silver.orders
            WHERE status IN ('paid', 'shipped')
            GROUP BY order_date

            """);
        yield return ("models/models.yml", """
            # Model configs can live here instead of in the .sql file's leading comment (not both):
            models:
            #  gold.daily_revenue:
            #    description: Revenue per day.
            #    owner: finance

            """);
        yield return (".gitignore", """
            # Local state: the catalog and the tables written by runs.
            .medallion/
            warehouse/

            """);
    }
}
