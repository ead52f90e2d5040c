import java.sql.*;
import java.util.*;

/** Every DatabaseMetaData method of pgJDBC that queries the server, called on one small schema
 *  (a primary key, a composite primary key, a composite unique index, foreign keys, a vector
 *  column, a view). For each call it prints `== name`, the result set's columns as
 *  `label:type` and, for the methods whose rows say something about the schema, the rows (only
 *  those of this schema's objects). Tests/e2e/test_jdbc.py runs it against `vireo serve` and
 *  against PostgreSQL 15 and compares the outputs. Run as
 *  `java -cp /usr/share/java/postgresql.jar MetadataClient.java URL USER PASSWORD`. */
public class MetadataClient {
    static final String[] SCHEMA = {
        "DROP VIEW IF EXISTS jm_cheap_books",
        "DROP TABLE IF EXISTS jm_tags, jm_books, jm_authors",
        "CREATE TABLE jm_authors (id integer PRIMARY KEY, name text NOT NULL, email varchar(80) UNIQUE)",
        "CREATE TABLE jm_books (id bigint PRIMARY KEY, author_id integer NOT NULL REFERENCES jm_authors (id) ON DELETE CASCADE,"
            + " title text NOT NULL, isbn char(13), price numeric(8,2) DEFAULT 0, embedding vector(3), added timestamptz)",
        "CREATE UNIQUE INDEX jm_books_author_title ON jm_books (author_id, title)",
        "CREATE INDEX jm_books_price ON jm_books (price DESC)",
        "CREATE TABLE jm_tags (book_id bigint REFERENCES jm_books (id), tag text, weight real, PRIMARY KEY (book_id, tag))",
        "CREATE VIEW jm_cheap_books AS SELECT id, title, price FROM jm_books WHERE price < 10",
    };

    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("user", args[1]);
        properties.setProperty("password", args[2]);
        try (Connection c = DriverManager.getConnection(args[0], properties)) {
            for (String statement : SCHEMA) c.createStatement().execute(statement);
            DatabaseMetaData md = c.getMetaData();
            calls(md);
        }
    }

    interface Call { ResultSet run() throws SQLException; }

    /** What is printed of a result set besides its columns: its rows, whether it has any, or nothing. */
    enum Shown { ROWS, ANY, COLUMNS }
    static final Shown ROWS = Shown.ROWS, ANY = Shown.ANY, COLUMNS = Shown.COLUMNS;

    static void calls(DatabaseMetaData md) throws SQLException {
        String s = "public";
        show("getTables", ROWS, () -> md.getTables(null, s, "jm_%", null));
        show("getTables(TABLE,VIEW)", ROWS, () -> md.getTables(null, s, "jm_%", new String[]{"TABLE", "VIEW"}));
        show("getColumns", ROWS, () -> md.getColumns(null, s, "jm_%", "%"));
        show("getPrimaryKeys", ROWS, () -> md.getPrimaryKeys(null, s, "jm_tags"));
        show("getPrimaryKeys(books)", ROWS, () -> md.getPrimaryKeys(null, s, "jm_books"));
        show("getImportedKeys", ROWS, () -> md.getImportedKeys(null, s, "jm_books"));
        show("getExportedKeys", ROWS, () -> md.getExportedKeys(null, s, "jm_books"));
        show("getCrossReference", ROWS, () -> md.getCrossReference(null, s, "jm_authors", null, s, "jm_books"));
        show("getIndexInfo", ROWS, () -> md.getIndexInfo(null, s, "jm_books", false, false));
        show("getIndexInfo(unique)", ROWS, () -> md.getIndexInfo(null, s, "jm_tags", true, true));
        show("getBestRowIdentifier", ROWS, () -> md.getBestRowIdentifier(null, s, "jm_tags", DatabaseMetaData.bestRowSession, true));
        show("getVersionColumns", ROWS, () -> md.getVersionColumns(null, s, "jm_books"));
        show("getTablePrivileges", ROWS, () -> md.getTablePrivileges(null, s, "jm_authors"));
        show("getColumnPrivileges", ROWS, () -> md.getColumnPrivileges(null, s, "jm_authors", "%"));
        show("getTableTypes", ANY, md::getTableTypes);
        show("getSchemas", ANY, md::getSchemas);
        show("getSchemas(pattern)", ROWS, () -> md.getSchemas(null, "publ%"));
        show("getCatalogs", ANY, md::getCatalogs);
        show("getTypeInfo", ANY, md::getTypeInfo);
        // Vireo has no CREATE FUNCTION and no pg_proc rows for its built-in functions: only
        // the shapes of these compare.
        show("getFunctions", COLUMNS, () -> md.getFunctions(null, "pg_catalog", "lower"));
        show("getFunctionColumns", COLUMNS, () -> md.getFunctionColumns(null, "pg_catalog", "lower", "%"));
        show("getProcedures", COLUMNS, () -> md.getProcedures(null, "pg_catalog", "lower"));
        show("getProcedureColumns", COLUMNS, () -> md.getProcedureColumns(null, "pg_catalog", "lower", "%"));
        show("getUDTs", ROWS, () -> md.getUDTs(null, s, "jm_%", null));
        show("getSuperTypes", ROWS, () -> md.getSuperTypes(null, s, "jm_%"));
        show("getSuperTables", ROWS, () -> md.getSuperTables(null, s, "jm_%"));
        show("getAttributes", ROWS, () -> md.getAttributes(null, s, "jm_%", "%"));
        show("getPseudoColumns", ROWS, () -> md.getPseudoColumns(null, s, "jm_%", "%"));
        show("getClientInfoProperties", ROWS, md::getClientInfoProperties);
    }

    /** Prints the call's columns and what `shown` asks of its rows; an error as `error SQLSTATE message`. */
    static void show(String name, Shown shown, Call call) {
        System.out.println("== " + name);
        try (ResultSet r = call.run()) {
            ResultSetMetaData m = r.getMetaData();
            List<String> columns = new ArrayList<>();
            for (int i = 1; i <= m.getColumnCount(); i++) columns.add(m.getColumnLabel(i) + ":" + m.getColumnTypeName(i));
            System.out.println("columns " + String.join(", ", columns));
            int count = 0;
            while (r.next()) {
                count++;
                if (shown != ROWS) continue;
                List<String> values = new ArrayList<>();
                for (int i = 1; i <= m.getColumnCount(); i++) values.add(String.valueOf(r.getString(i)));
                System.out.println("row " + String.join(" | ", values));
            }
            if (shown == ANY) System.out.println("rows " + (count > 0 ? "some" : "none"));
        } catch (SQLException e) {
            System.out.println("error " + e.getSQLState() + " " + e.getMessage().split("\n")[0]);
        }
    }
}
