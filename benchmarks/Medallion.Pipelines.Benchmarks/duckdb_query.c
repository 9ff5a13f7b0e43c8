/*
 * The DuckDB side of the cold-query benchmark: what `duckdb -csv :memory: -c "<sql>"` does, through DuckDB's C API
 * and the same libduckdb.so Medallion loads (the DuckDB CLI is not installed here). It opens an in-memory database,
 * runs the one query given as its argument and prints the result as CSV with a header.
 * The few declarations it needs are written out (the library ships without duckdb.h); they are the C API's.
 */
#include <stdint.h>
#include <stdio.h>

typedef uint64_t idx_t;
typedef void *duckdb_database;
typedef void *duckdb_connection;
typedef struct
{
    idx_t deprecated_column_count;
    idx_t deprecated_row_count;
    idx_t deprecated_rows_changed;
    void *deprecated_columns;
    char *deprecated_error_message;
    void *internal_data;
} duckdb_result;

int duckdb_open(const char *path, duckdb_database *database);
int duckdb_connect(duckdb_database database, duckdb_connection *connection);
int duckdb_query(duckdb_connection connection, const char *sql, duckdb_result *result);
const char *duckdb_result_error(duckdb_result *result);
idx_t duckdb_column_count(duckdb_result *result);
idx_t duckdb_row_count(duckdb_result *result);
const char *duckdb_column_name(duckdb_result *result, idx_t column);
char *duckdb_value_varchar(duckdb_result *result, idx_t column, idx_t row);
void duckdb_free(void *pointer);
void duckdb_destroy_result(duckdb_result *result);
void duckdb_disconnect(duckdb_connection *connection);
void duckdb_close(duckdb_database *database);

int main(int argc, char **argv)
{
    if (argc != 2)
    {
        fprintf(stderr, "usage: %s <sql>\n", argv[0]);
        return 2;
    }

    duckdb_database database;
    duckdb_connection connection;
    duckdb_result result;
    if (duckdb_open(NULL, &database) != 0 || duckdb_connect(database, &connection) != 0)
    {
        fprintf(stderr, "cannot open an in-memory DuckDB database\n");
        return 1;
    }

    if (duckdb_query(connection, argv[1], &result) != 0)
    {
        fprintf(stderr, "%s\n", duckdb_result_error(&result));
        return 1;
    }

    idx_t columns = duckdb_column_count(&result), rows = duckdb_row_count(&result);
    for (idx_t c = 0; c < columns; c++)
    {
        printf(c == 0 ? "%s" : ",%s", duckdb_column_name(&result, c));
    }

    printf("\n");
    for (idx_t r = 0; r < rows; r++)
    {
        for (idx_t c = 0; c < columns; c++)
        {
            char *value = duckdb_value_varchar(&result, c, r);
            printf(c == 0 ? "%s" : ",%s", value == NULL ? "" : value);
            duckdb_free(value);
        }

        printf("\n");
    }

    duckdb_destroy_result(&result);
    duckdb_disconnect(&connection);
    duckdb_close(&database);
    return 0;
}
