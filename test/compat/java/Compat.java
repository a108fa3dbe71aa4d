// The JDBC v2 compatibility check of the analyst SQL port: run by
// test/compat/clients.compat.test.ts with SQL_URL (jdbc:clickhouse://host:port/default) and
// SQL_TOKEN set. Prints one line per check ("step<TAB>value") and exits 1 at the first failure.
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

public class Compat {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.setProperty("user", "jdbc-analyst");
    props.setProperty("password", System.getenv("SQL_TOKEN"));
    // The driver itself, as DBeaver and DataGrip load it (DriverManager finds no driver under some class loaders).
    java.sql.Driver driver = new com.clickhouse.jdbc.Driver();
    try (Connection conn = driver.connect(System.getenv("SQL_URL"), props)) {
      System.out.println("connect\t" + conn.getMetaData().getDatabaseProductVersion());
      try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT count() AS n, sum(price) AS total FROM trades")) {
        rs.next();
        System.out.println("select\t" + rs.getLong("n") + " " + rs.getBigDecimal("total").stripTrailingZeros().toPlainString());
      }
      try (PreparedStatement ps = conn.prepareStatement("SELECT symbol, count() AS n FROM trades WHERE symbol = ? GROUP BY symbol")) {
        ps.setString(1, "BTC-USD");
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          System.out.println("prepared\t" + rs.getString("symbol") + " " + rs.getLong("n"));
        }
      }
      DatabaseMetaData md = conn.getMetaData();
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = md.getTables(null, "default", "%", null)) {
        while (rs.next()) tables.add(rs.getString("TABLE_NAME"));
      }
      System.out.println("tables\t" + String.join(",", tables));
      List<String> columns = new ArrayList<>();
      try (ResultSet rs = md.getColumns(null, "default", "trades", "%")) {
        while (rs.next()) columns.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME"));
      }
      System.out.println("columns\t" + String.join(",", columns));
      try (Statement st = conn.createStatement()) {
        st.execute("DROP TABLE trades");
        System.out.println("refused\tACCEPTED");
        System.exit(1);
      } catch (java.sql.SQLException e) {
        System.out.println("refused\t" + e.getMessage().split("\n")[0]);
      }
    } catch (Exception e) {
      System.out.println("error\t" + e);
      Throwable c = e.getCause();
      while (c != null) {
        System.out.println("cause\t" + c);
        c = c.getCause();
      }
      System.exit(1);
    }
  }
}
