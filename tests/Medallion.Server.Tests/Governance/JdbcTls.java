import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * Connects with the PostgreSQL JDBC driver, verifying the server's certificate and host name against a root
 * certificate (sslmode=verify-full), runs one query and prints its result. Arguments: port user rootcert.
 */
public final class JdbcTls {
    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://localhost:" + args[0] + "/shop?sslmode=verify-full&sslrootcert=" + args[2] + "&connectTimeout=10";
        try (Connection connection = DriverManager.getConnection(url, args[1], "");
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT 'over tls ' || 42")) {
            rows.next();
            System.out.println(rows.getString(1));
        }
    }
}
