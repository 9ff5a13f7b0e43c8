import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * What DBeaver and Metabase do through the PostgreSQL JDBC driver: metadata calls, then queries, with a
 * prepared statement run past the driver's server-prepare threshold. Prints one line per fact.
 * Arguments: port database user password.
 */
public final class JdbcProbe {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/" + args[1] + "?prepareThreshold=2&connectTimeout=10&socketTimeout=60";
        try (Connection connection = DriverManager.getConnection(url, args[2], args[3])) {
            DatabaseMetaData metadata = connection.getMetaData();
            System.out.println("product " + metadata.getDatabaseProductName() + " " + metadata.getDatabaseMajorVersion());
            try (ResultSet schemas = metadata.getSchemas()) {
                while (schemas.next()) {
                    System.out.println("schema " + schemas.getString("TABLE_SCHEM"));
                }
            }
            try (ResultSet tables = metadata.getTables(null, "gold", "%", new String[] {"TABLE"})) {
                while (tables.next()) {
                    System.out.println("table " + tables.getString("TABLE_SCHEM") + "." + tables.getString("TABLE_NAME") + " " + tables.getString("TABLE_TYPE"));
                }
            }
            try (ResultSet columns = metadata.getColumns(null, "gold", "daily_revenue", "%")) {
                while (columns.next()) {
                    System.out.println("column " + columns.getString("COLUMN_NAME") + " " + columns.getString("TYPE_NAME") + " " + columns.getInt("ORDINAL_POSITION"));
                }
            }
            try (ResultSet keys = metadata.getPrimaryKeys(null, "gold", "daily_revenue")) {
                while (keys.next()) {
                    System.out.println("primary key " + keys.getString("PK_NAME") + " " + keys.getInt("KEY_SEQ") + " " + keys.getString("COLUMN_NAME"));
                }
            }
            try (ResultSet keys = metadata.getPrimaryKeys(null, "silver", "orders")) {
                int count = 0;
                while (keys.next()) {
                    count++;
                }
                System.out.println("silver.orders primary key columns " + count);
            }
            try (PreparedStatement statement = connection.prepareStatement("SELECT count(*), max(customer) FROM silver.orders WHERE id <= ?")) {
                for (int i = 1; i <= 5; i++) {
                    statement.setInt(1, i * 100);
                    try (ResultSet result = statement.executeQuery()) {
                        result.next();
                        System.out.println("prepared " + i + " " + result.getLong(1) + " " + result.getString(2));
                    }
                }
            }
            try (Statement statement = connection.createStatement();
                 ResultSet result = statement.executeQuery("SELECT count(*), sum(revenue) FROM gold.daily_revenue AT (VERSION => 0)")) {
                result.next();
                System.out.println("version 0 " + result.getLong(1) + " " + result.getBigDecimal(2));
            }
        }
    }
}
