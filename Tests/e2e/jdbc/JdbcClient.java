import java.math.BigDecimal;
import java.sql.*;
import java.util.*;

/** pgJDBC (Debian's libpostgresql-jdbc-java) against `vireo serve`: prints one line per check,
 *  which Tests/e2e/test_jdbc.py checks. Run as
 *  `java -cp /usr/share/java/postgresql.jar JdbcClient.java PORT PASSWORD`. */
public class JdbcClient {
    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("user", "vireo");
        properties.setProperty("password", args[1]);
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + args[0] + "/vireo", properties)) {
            writes(c);
            reads(c);
            transactions(c);
            metadata(c);
            bulkAndCancel(c);
        }
    }

    static void writes(Connection c) throws SQLException {
        c.createStatement().execute("CREATE TABLE jdbc_items (id bigserial PRIMARY KEY, name text, n int, f double precision, d numeric(10,2),"
            + " t timestamptz, b boolean, e vector(3), js jsonb, u uuid, bs bytea, arr int[])");
        PreparedStatement insert = c.prepareStatement("INSERT INTO jdbc_items (name, n, f, d, t, b, e, js, u, bs, arr)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?::vector, ?::jsonb, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS);
        long keys = 0;
        for (int i = 0; i < 12; i++) {
            insert.setString(1, "n" + i);
            insert.setInt(2, i);
            insert.setDouble(3, i / 2.0);
            insert.setBigDecimal(4, new BigDecimal("1.25").multiply(BigDecimal.valueOf(i)));
            insert.setTimestamp(5, new Timestamp(1700000000000L + i * 1000L));
            insert.setBoolean(6, i % 2 == 0);
            insert.setString(7, "[" + i + ",1,2]");
            insert.setString(8, "{\"k\":" + i + "}");
            insert.setObject(9, UUID.nameUUIDFromBytes(("x" + i).getBytes()));
            insert.setBytes(10, new byte[]{1, (byte) i});
            insert.setArray(11, c.createArrayOf("int4", new Integer[]{i, i + 1}));
            insert.executeUpdate();
            ResultSet generated = insert.getGeneratedKeys();
            generated.next();
            keys += generated.getLong(1);
        }
        System.out.println("generated keys sum " + keys);
        insert.setString(1, "batch");
        insert.setInt(2, 99);
        insert.addBatch();
        insert.addBatch();
        System.out.println("batch " + Arrays.toString(insert.executeBatch()));
    }

    static void reads(Connection c) throws SQLException {
        // More than prepareThreshold (5) executions: the driver switches to a named server statement.
        PreparedStatement query = c.prepareStatement("SELECT id, name, d, b, e::text, js, u, bs, arr, e <-> ?::vector AS dist"
            + " FROM jdbc_items WHERE n >= ? ORDER BY e <-> ?::vector LIMIT 3");
        for (int round = 0; round < 7; round++) {
            query.setString(1, "[3.2,1,2]");
            query.setInt(2, 1);
            query.setString(3, "[3.2,1,2]");
            ResultSet r = query.executeQuery();
            while (round == 6 && r.next()) {
                Integer[] arr = (Integer[]) r.getArray(9).getArray();
                System.out.println("row " + r.getLong(1) + " " + r.getString(2) + " " + r.getBigDecimal(3) + " " + r.getBoolean(4)
                    + " " + r.getString(5) + " " + r.getString(6) + " " + (r.getObject(7) instanceof UUID) + " "
                    + Arrays.toString(r.getBytes(8)) + " " + Arrays.toString(arr) + " " + r.getDouble(10));
            }
        }
        ResultSetMetaData m = c.createStatement().executeQuery("SELECT * FROM jdbc_items LIMIT 1").getMetaData();
        System.out.println("result metadata " + m.getColumnTypeName(8) + " " + m.getColumnTypeName(12) + " " + m.getTableName(2)
            + " " + m.isAutoIncrement(1));
        System.out.println("parameter metadata " + query.getParameterMetaData().getParameterTypeName(2));
        Statement several = c.createStatement();
        boolean isResult = several.execute("SELECT 1; SELECT 2, 3; UPDATE jdbc_items SET n = n WHERE id < 3");
        List<String> results = new ArrayList<>();
        while (true) {
            if (isResult) results.add("rows");
            else if (several.getUpdateCount() == -1) break;
            else results.add("count " + several.getUpdateCount());
            isResult = several.getMoreResults();
        }
        System.out.println("results " + results);
    }

    static void transactions(Connection c) throws SQLException {
        c.setAutoCommit(false);
        c.createStatement().executeUpdate("UPDATE jdbc_items SET name = 'in transaction' WHERE id = 1");
        Savepoint savepoint = c.setSavepoint();
        try {
            c.createStatement().execute("INSERT INTO jdbc_items (id) VALUES (1)");
        } catch (SQLException e) {
            System.out.println("duplicate key " + e.getSQLState());
        }
        c.rollback(savepoint);
        c.commit();
        Statement cursor = c.createStatement();
        cursor.setFetchSize(3);  // a portal read three rows at a time
        ResultSet r = cursor.executeQuery("SELECT id FROM jdbc_items ORDER BY id");
        int count = 0;
        while (r.next()) count++;
        c.commit();
        c.setAutoCommit(true);
        ResultSet name = c.createStatement().executeQuery("SELECT name FROM jdbc_items WHERE id = 1");
        name.next();
        System.out.println("after savepoint " + name.getString(1) + ", fetched " + count);
    }

    static void metadata(Connection c) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        System.out.println("product " + md.getDatabaseProductName() + " " + md.getDatabaseMajorVersion());
        // The server is shared with other tests: look for this test's table among them.
        List<String> tables = new ArrayList<>();
        ResultSet r = md.getTables(null, "public", "%", new String[]{"TABLE"});
        while (r.next()) tables.add(r.getString("TABLE_NAME"));
        System.out.println("tables include jdbc_items " + tables.contains("jdbc_items"));
        List<String> columns = new ArrayList<>();
        r = md.getColumns(null, "public", "jdbc_items", "%");
        while (r.next()) columns.add(r.getString("COLUMN_NAME") + ":" + r.getString("TYPE_NAME"));
        System.out.println("columns " + columns);
        int types = 0;
        boolean vector = false;
        r = md.getTypeInfo();
        while (r.next()) {
            types++;
            vector |= r.getString("TYPE_NAME").equals("vector");
        }
        System.out.println("type info has vector " + vector + ", int4 " + (types > 10));
        r = md.getImportedKeys(null, "public", "jdbc_items");
        System.out.println("imported keys " + r.next());
    }

    static void bulkAndCancel(Connection c) throws Exception {
        org.postgresql.copy.CopyManager copy = c.unwrap(org.postgresql.PGConnection.class).getCopyAPI();
        long copied = copy.copyIn("COPY jdbc_items (name, n) FROM STDIN WITH (FORMAT csv)", new java.io.StringReader("a,1\nb,2\n"));
        System.out.println("copied " + copied);
        Statement slow = c.createStatement();
        slow.setQueryTimeout(1);  // the driver sends a CancelRequest after a second
        try {
            slow.execute("SELECT pg_sleep(10)");
        } catch (SQLException e) {
            System.out.println("timeout " + e.getSQLState());
        }
        ResultSet r = c.createStatement().executeQuery("SELECT count(*) FROM jdbc_items");
        r.next();
        System.out.println("count " + r.getLong(1));
    }
}
