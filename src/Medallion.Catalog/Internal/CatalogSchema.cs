using System.Collections.Generic;

namespace Medallion.Catalog.Internal;

/// <summary>
/// The catalog's schema as an ordered list of migrations. The DDL keeps to the subset SQLite and
/// PostgreSQL share (TEXT, INTEGER, BIGINT, composite primary keys, foreign keys, no
/// AUTOINCREMENT, timestamps as ISO-8601 UTC text that sorts), so a PostgreSQL provider can run the
/// same statements. A shipped migration never changes: a new schema is a new migration.
/// </summary>
internal static class CatalogSchema
{
    public const string VersionTable = """
        CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER NOT NULL PRIMARY KEY,
            description TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )
        """;

    public static IReadOnlyList<CatalogMigration> Migrations { get; } =
    [
        new(1, "namespaces, tables, columns, schema history, runs, quality results, lineage",
        [
            """
            CREATE TABLE namespaces (
                name TEXT NOT NULL PRIMARY KEY,
                description TEXT,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE tables (
                namespace TEXT NOT NULL REFERENCES namespaces (name),
                name TEXT NOT NULL,
                location TEXT NOT NULL,
                format TEXT NOT NULL,
                description TEXT,
                owner TEXT,
                tags TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (namespace, name)
            )
            """,
            """
            CREATE TABLE columns (
                namespace TEXT NOT NULL,
                table_name TEXT NOT NULL,
                name TEXT NOT NULL,
                ordinal INTEGER NOT NULL,
                data_type TEXT NOT NULL,
                nullable INTEGER NOT NULL,
                description TEXT,
                classification TEXT,
                tags TEXT NOT NULL,
                PRIMARY KEY (namespace, table_name, name),
                FOREIGN KEY (namespace, table_name) REFERENCES tables (namespace, name) ON DELETE CASCADE
            )
            """,
            """
            CREATE TABLE table_versions (
                namespace TEXT NOT NULL,
                table_name TEXT NOT NULL,
                version BIGINT NOT NULL,
                schema_json TEXT NOT NULL,
                operation TEXT NOT NULL,
                row_count BIGINT,
                run_id TEXT,
                committed_at TEXT NOT NULL,
                PRIMARY KEY (namespace, table_name, version),
                FOREIGN KEY (namespace, table_name) REFERENCES tables (namespace, name) ON DELETE CASCADE
            )
            """,
            """
            CREATE TABLE runs (
                id TEXT NOT NULL PRIMARY KEY,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                status TEXT NOT NULL,
                selection TEXT,
                error TEXT
            )
            """,
            "CREATE INDEX runs_started_at ON runs (started_at)",
            """
            CREATE TABLE model_runs (
                run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                model TEXT NOT NULL,
                status TEXT NOT NULL,
                rows_written BIGINT,
                upstream_versions TEXT NOT NULL,
                duration_ms BIGINT NOT NULL,
                error TEXT,
                committed_version BIGINT,
                PRIMARY KEY (run_id, model)
            )
            """,
            "CREATE INDEX model_runs_model ON model_runs (model, run_id)",
            """
            CREATE TABLE quality_results (
                run_id TEXT NOT NULL,
                model TEXT NOT NULL,
                rule TEXT NOT NULL,
                severity TEXT NOT NULL,
                passed INTEGER NOT NULL,
                failing_rows BIGINT NOT NULL,
                sample_rows TEXT NOT NULL,
                checked_at TEXT NOT NULL,
                PRIMARY KEY (run_id, model, rule)
            )
            """,
            "CREATE INDEX quality_results_model ON quality_results (model, checked_at)",
            """
            CREATE TABLE lineage_edges (
                upstream TEXT NOT NULL,
                upstream_column TEXT NOT NULL,
                downstream TEXT NOT NULL,
                downstream_column TEXT NOT NULL,
                PRIMARY KEY (downstream, downstream_column, upstream, upstream_column)
            )
            """,
            "CREATE INDEX lineage_edges_upstream ON lineage_edges (upstream, upstream_column)",
        ]),
        new(2, "users of the SQL endpoint (SCRAM-SHA-256 verifiers, never passwords)",
        [
            """
            CREATE TABLE users (
                name TEXT PRIMARY KEY,
                scram_verifier TEXT NOT NULL CHECK (scram_verifier LIKE 'SCRAM-SHA-256$%'),
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )
            """,
        ]),
        new(3, "source runs: rows, batches, position and replication slot lag of each database table a run or ingest read",
        [
            """
            CREATE TABLE source_runs (
                run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                target TEXT NOT NULL,
                pass BIGINT NOT NULL,
                source TEXT NOT NULL,
                source_table TEXT NOT NULL,
                mode TEXT NOT NULL,
                rows_read BIGINT NOT NULL,
                batches BIGINT NOT NULL,
                position TEXT,
                committed_version BIGINT,
                slot_lag_bytes BIGINT,
                recorded_at TEXT NOT NULL,
                PRIMARY KEY (run_id, target, pass)
            )
            """,
            "CREATE INDEX source_runs_target ON source_runs (target, recorded_at)",
        ]),
        new(4, "the unique key of tables that have one (merge and scd2 models), reported to SQL clients as a primary key",
        [
            "ALTER TABLE tables ADD COLUMN unique_key TEXT",
        ]),
        new(5, "scheduled runs: job, trigger, data interval, attempts, log lines, backfills, job state and the scheduler lease",
        [
            "ALTER TABLE runs ADD COLUMN job TEXT",
            // Runs recorded before jobs existed were all started by hand.
            "ALTER TABLE runs ADD COLUMN trigger TEXT NOT NULL DEFAULT 'manual'",
            "ALTER TABLE runs ADD COLUMN interval_start TEXT",
            "ALTER TABLE runs ADD COLUMN interval_end TEXT",
            "ALTER TABLE runs ADD COLUMN holder TEXT",
            "ALTER TABLE runs ADD COLUMN backfill_id TEXT",
            "ALTER TABLE runs ADD COLUMN parent_id TEXT",
            "ALTER TABLE runs ADD COLUMN variables TEXT",
            // Paging walks ids (time-ordered) newest first; a filter on job or status walks its own index in id order.
            "CREATE INDEX runs_job_id ON runs (job, id)",
            "CREATE INDEX runs_status_id ON runs (status, id)",
            // A fire time of a job is planned once, whatever restarts and catch-up do.
            "CREATE UNIQUE INDEX runs_scheduled_interval ON runs (job, interval_end) WHERE trigger = 'schedule'",
            """
            CREATE TABLE run_attempts (
                run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                attempt INTEGER NOT NULL,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                status TEXT NOT NULL,
                error TEXT,
                transient INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (run_id, attempt)
            )
            """,
            """
            CREATE TABLE run_logs (
                run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                seq BIGINT NOT NULL,
                logged_at TEXT NOT NULL,
                model TEXT,
                level TEXT NOT NULL,
                message TEXT NOT NULL,
                PRIMARY KEY (run_id, seq)
            )
            """,
            """
            CREATE TABLE backfills (
                id TEXT NOT NULL PRIMARY KEY,
                job TEXT NOT NULL,
                range_start TEXT NOT NULL,
                range_end TEXT NOT NULL,
                reprocess TEXT NOT NULL,
                max_active INTEGER NOT NULL,
                status TEXT NOT NULL,
                created_at TEXT NOT NULL,
                finished_at TEXT
            )
            """,
            """
            CREATE TABLE job_state (
                job TEXT NOT NULL PRIMARY KEY,
                paused INTEGER,
                seen_versions TEXT,
                updated_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE leases (
                name TEXT NOT NULL PRIMARY KEY,
                holder TEXT NOT NULL,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                process_started_at TEXT NOT NULL,
                acquired_at TEXT NOT NULL,
                heartbeat_at TEXT NOT NULL,
                expires_at TEXT NOT NULL
            )
            """,
        ]),
        new(6, "the server's users: a role per user, API tokens kept as hashes, and who did which action",
        [
            // Users that existed before the server could only query, which is what a viewer does.
            "ALTER TABLE users ADD COLUMN server_role TEXT NOT NULL DEFAULT 'viewer' CHECK (server_role IN ('viewer', 'operator'))",
            """
            CREATE TABLE api_tokens (
                id TEXT NOT NULL PRIMARY KEY,
                user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
                secret_hash TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL,
                expires_at TEXT,
                revoked_at TEXT,
                last_used_at TEXT
            )
            """,
            """
            CREATE TABLE server_actions (
                at TEXT NOT NULL,
                user_name TEXT NOT NULL,
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                detail TEXT
            )
            """,
            "CREATE INDEX server_actions_at ON server_actions (at)",
        ]),
        new(7, "a backfill as one object: who started it, how many intervals its range holds, and its runs found by backfill",
        [
            "ALTER TABLE backfills ADD COLUMN started_by TEXT",
            // Backfills recorded before this counted only their runs; 0 reads as "the runs are the intervals".
            "ALTER TABLE backfills ADD COLUMN intervals INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX runs_backfill ON runs (backfill_id, interval_end) WHERE backfill_id IS NOT NULL",
            "CREATE INDEX backfills_job_id ON backfills (job, id)",
        ]),
        new(8, "each table version's file count and size, so /metrics reports every table without opening its Delta log",
        [
            "ALTER TABLE table_versions ADD COLUMN file_count BIGINT",
            "ALTER TABLE table_versions ADD COLUMN size_bytes BIGINT",
        ]),
        new(9, "alert states: what fires, since when and when it was last sent, so a restarted server neither re-sends nor forgets a 'resolved'",
        [
            """
            CREATE TABLE alert_states (
                alert_key TEXT NOT NULL PRIMARY KEY,
                rule TEXT NOT NULL,
                severity TEXT NOT NULL,
                summary TEXT NOT NULL,
                firing INTEGER NOT NULL,
                since TEXT NOT NULL,
                last_sent_at TEXT,
                resolved_at TEXT
            )
            """,
        ]),
        new(10, "roles, role membership, grants, masking policies and row filters; users that existed before become admins so an upgrade locks nobody out",
        [
            "ALTER TABLE users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0",
            // Before grants existed every user read every table: keeping that is what makes an upgrade lock nobody out.
            "UPDATE users SET is_admin = 1",
            "ALTER TABLE users ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}'",
            """
            CREATE TABLE access_roles (
                name TEXT NOT NULL PRIMARY KEY,
                declared_in TEXT,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE access_members (
                role_name TEXT NOT NULL REFERENCES access_roles (name) ON DELETE CASCADE,
                user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
                declared_in TEXT,
                PRIMARY KEY (role_name, user_name)
            )
            """,
            """
            CREATE TABLE access_grants (
                privilege TEXT NOT NULL CHECK (privilege IN ('select', 'unmask', 'operate', 'admin')),
                object_kind TEXT NOT NULL CHECK (object_kind IN ('namespace', 'table', 'columns', 'classification', 'server')),
                object TEXT NOT NULL,
                columns TEXT NOT NULL,
                grantee_kind TEXT NOT NULL CHECK (grantee_kind IN ('role', 'user')),
                grantee TEXT NOT NULL,
                declared_in TEXT,
                created_at TEXT NOT NULL,
                PRIMARY KEY (privilege, object_kind, object, columns, grantee_kind, grantee)
            )
            """,
            """
            CREATE TABLE access_masks (
                classification TEXT NOT NULL PRIMARY KEY,
                policy TEXT NOT NULL,
                expression TEXT,
                declared_in TEXT
            )
            """,
            """
            CREATE TABLE access_row_filters (
                table_name TEXT NOT NULL,
                grantee_kind TEXT NOT NULL CHECK (grantee_kind IN ('role', 'user')),
                grantee TEXT NOT NULL,
                predicate TEXT NOT NULL,
                declared_in TEXT,
                PRIMARY KEY (table_name, grantee_kind, grantee)
            )
            """,
            """
            CREATE TABLE access_keys (
                name TEXT NOT NULL PRIMARY KEY,
                value TEXT NOT NULL
            )
            """,
        ]),
        new(11, "a quality result may say why its rule was not checked (an incremental build with no new rows)",
        [
            "ALTER TABLE quality_results ADD COLUMN not_checked TEXT",
        ]),
        new(12, "a cancel asked of a run by a server that does not run it, carried out by the one that does",
        [
            "ALTER TABLE runs ADD COLUMN cancel_requested_at TEXT",
        ]),
        new(13, "the servers of a catalog with their heartbeats, so each sees the others and notices one that went silent",
        [
            """
            CREATE TABLE servers (
                id TEXT NOT NULL PRIMARY KEY,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                process_started_at TEXT NOT NULL,
                role TEXT NOT NULL,
                version TEXT NOT NULL,
                http_address TEXT,
                started_at TEXT NOT NULL,
                heartbeat_at TEXT NOT NULL
            )
            """,
        ]),
        new(14, "a run the scheduler admitted for any worker to claim: its limits and table locks are the scheduler's, its execution the claimer's",
        [
            "ALTER TABLE runs ADD COLUMN admitted_at TEXT",
            "CREATE INDEX runs_admitted ON runs (status, admitted_at)",
        ]),
        new(15, "when each model of a run started, so a run's models can be drawn on one timeline and a running model is recorded as it starts",
        [
            "ALTER TABLE model_runs ADD COLUMN started_at TEXT",
        ]),
        new(16, "the runs that repeat a run (rerun, retry, cleared models), found from the run they repeat so its page links to them",
        [
            "CREATE INDEX runs_parent ON runs (parent_id) WHERE parent_id IS NOT NULL",
        ]),
        new(17, "docs edited in the catalog (description, owner, tags of a table or a column), each edit kept with who made it and when, laid over the project files' docs",
        [
            """
            CREATE TABLE doc_edits (
                namespace TEXT NOT NULL,
                table_name TEXT NOT NULL,
                column_name TEXT NOT NULL,
                field TEXT NOT NULL CHECK (field IN ('description', 'owner', 'tags')),
                seq BIGINT NOT NULL,
                value TEXT,
                edited_by TEXT NOT NULL,
                edited_at TEXT NOT NULL,
                PRIMARY KEY (namespace, table_name, column_name, field, seq)
            )
            """,
        ]),
        new(18, "queries saved by their owners on the server, each owner's names unique whatever their case, shared with every signed-in user when asked",
        [
            // name_key is the name lower-cased by the server, not by SQL: SQLite's lower() folds ASCII only, PostgreSQL's
            // follows the database's locale, and one owner's names must clash the same way on both.
            """
            CREATE TABLE saved_queries (
                owner TEXT NOT NULL,
                name_key TEXT NOT NULL,
                name TEXT NOT NULL,
                sql TEXT NOT NULL,
                description TEXT,
                shared INTEGER NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (owner, name_key)
            )
            """,
            "CREATE INDEX saved_queries_shared ON saved_queries (shared)",
        ]),
        new(19, "what each environment last built of each model: its fingerprint, definition and metadata hashes, SQL, output columns and the run, so a plan compares the project's files with it",
        [
            """
            CREATE TABLE environment_models (
                environment TEXT NOT NULL,
                model TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                definition_hash TEXT NOT NULL,
                metadata_hash TEXT NOT NULL,
                sql TEXT NOT NULL,
                columns TEXT NOT NULL,
                run_id TEXT,
                built_at TEXT NOT NULL,
                PRIMARY KEY (environment, model)
            )
            """,
        ]),
        new(20, "environments without copies: each model's row names the physical table the environment reads (null: the model's own location, where every table lived before environments), and each run names the environment it built",
        [
            "ALTER TABLE environment_models ADD COLUMN location TEXT",
            "ALTER TABLE runs ADD COLUMN environment TEXT NOT NULL DEFAULT 'prod'",
        ]),
        new(21, "the physical tables environments point at, each with when it lost its last pointer (null while one points at it), so the janitor removes a table only once it has been unpointed longer than its retention",
        [
            """
            CREATE TABLE environment_tables (
                model TEXT NOT NULL,
                location TEXT NOT NULL,
                unpointed_at TEXT,
                PRIMARY KEY (model, location)
            )
            """,
            "INSERT INTO environment_tables (model, location) SELECT DISTINCT model, location FROM environment_models WHERE location IS NOT NULL",
        ]),
        // The version's key gains the physical table, so the table is made anew (SQLite changes no primary key in place).
        new(22, "each table version names the physical table it is of (an environment's pointer, '' for the table's own location), so an environment's builds keep a history of their own and prod's records follow its pointers through a promotion and a rollback",
        [
            """
            CREATE TABLE table_versions_22 (
                namespace TEXT NOT NULL,
                table_name TEXT NOT NULL,
                location TEXT NOT NULL DEFAULT '',
                version BIGINT NOT NULL,
                schema_json TEXT NOT NULL,
                operation TEXT NOT NULL,
                row_count BIGINT,
                run_id TEXT,
                committed_at TEXT NOT NULL,
                file_count BIGINT,
                size_bytes BIGINT,
                PRIMARY KEY (namespace, table_name, location, version),
                FOREIGN KEY (namespace, table_name) REFERENCES tables (namespace, name) ON DELETE CASCADE
            )
            """,
            """
            INSERT INTO table_versions_22 (namespace, table_name, location, version, schema_json, operation, row_count, run_id, committed_at, file_count, size_bytes)
            SELECT namespace, table_name, '', version, schema_json, operation, row_count, run_id, committed_at, file_count, size_bytes FROM table_versions
            """,
            "DROP TABLE table_versions",
            "ALTER TABLE table_versions_22 RENAME TO table_versions",
        ]),
        // The lineage edge's key gains the physical table, so the table is made anew (SQLite changes no primary key in place).
        // Edges recorded before are prod's, of the table prod's pointer names; a result is of its run's environment and of
        // the physical table the run committed the model to (its own location when the run committed none of it).
        new(23, "each lineage edge and quality result names the environment that recorded it and the physical table it is of, so a dev build neither replaces prod's lineage nor mixes its results with prod's, and prod's follow its pointers through a promotion and a rollback",
        [
            """
            CREATE TABLE lineage_edges_23 (
                location TEXT NOT NULL DEFAULT '',
                upstream TEXT NOT NULL,
                upstream_column TEXT NOT NULL,
                downstream TEXT NOT NULL,
                downstream_column TEXT NOT NULL,
                environment TEXT NOT NULL DEFAULT 'prod',
                PRIMARY KEY (downstream, location, downstream_column, upstream, upstream_column)
            )
            """,
            """
            INSERT INTO lineage_edges_23 (location, upstream, upstream_column, downstream, downstream_column, environment)
            SELECT COALESCE((SELECT COALESCE(p.location, '') FROM environment_models p WHERE p.environment = 'prod' AND p.model = l.downstream), ''),
                upstream, upstream_column, downstream, downstream_column, 'prod'
            FROM lineage_edges l
            """,
            "DROP TABLE lineage_edges",
            "ALTER TABLE lineage_edges_23 RENAME TO lineage_edges",
            "CREATE INDEX lineage_edges_upstream ON lineage_edges (upstream, upstream_column)",
            "ALTER TABLE quality_results ADD COLUMN environment TEXT NOT NULL DEFAULT 'prod'",
            "ALTER TABLE quality_results ADD COLUMN location TEXT NOT NULL DEFAULT ''",
            "UPDATE quality_results SET environment = COALESCE((SELECT r.environment FROM runs r WHERE r.id = quality_results.run_id), 'prod')",
            """
            UPDATE quality_results SET location = COALESCE(
                (SELECT MAX(v.location) FROM table_versions v WHERE v.run_id = quality_results.run_id AND v.namespace || '.' || v.table_name = quality_results.model),
                (SELECT COALESCE(e.location, '') FROM environment_models e WHERE e.run_id = quality_results.run_id AND e.model = quality_results.model AND e.environment = quality_results.environment),
                '')
            """,
            "CREATE INDEX quality_results_location ON quality_results (model, location, checked_at)",
        ]),
        // A job's run after an upstream run is queued in the write that records the upstream's success, once per upstream
        // run whoever records it (a scheduler, a worker, a server after a crash).
        new(24, "the run whose success queued a run of a job that runs after its job, once per upstream run and job",
        [
            "ALTER TABLE runs ADD COLUMN upstream_run_id TEXT",
            "CREATE UNIQUE INDEX runs_after_upstream ON runs (job, upstream_run_id) WHERE trigger = 'after'",
        ]),
        // Admission decides in the catalog, from the runs under way there (wherever they run, whoever admitted them), so
        // the locks of the tables a run writes outlive the scheduler that took them and bind every scheduler alike.
        new(25, "the tables a run admitted to start locks until it ends",
        [
            "ALTER TABLE runs ADD COLUMN writes TEXT",
            "CREATE INDEX runs_holding ON runs (status) WHERE writes IS NOT NULL",
        ]),
    ];

    public static int LatestVersion => Migrations[^1].Version;
}

/// <summary>One step of the catalog schema, applied in one transaction.</summary>
internal sealed record CatalogMigration(int Version, string Description, IReadOnlyList<string> Statements);
