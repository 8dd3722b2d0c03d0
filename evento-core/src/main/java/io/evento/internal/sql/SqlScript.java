package io.evento.internal.sql;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a migration script into statements at the semicolons that end them.
 *
 * <p>A JDBC driver executes one statement per call, and drivers differ in whether they accept more
 * (sqlite-jdbc runs only the first statement of a prepared string), so the runner splits scripts
 * itself. The splitter understands just enough SQL to do that safely: {@code --} line comments,
 * {@code /* *}{@code /} block comments, single-quoted strings (with {@code ''} escapes) and
 * double-quoted or back-quoted identifiers. Comments are dropped. It does not understand bodies with
 * semicolons of their own ({@code CREATE TRIGGER .. BEGIN .. END}, PostgreSQL dollar quoting);
 * Evento's migrations do not use them.
 *
 * <p>Internal: not part of the API; it may change without notice.
 */
public final class SqlScript {
    private SqlScript() {}

    /**
     * The statements of a script, without their terminating semicolons, comments or surrounding
     * whitespace; empty statements are left out.
     *
     * @param script the script
     * @return the statements in order
     * @throws IllegalArgumentException if a string, identifier or block comment is not closed
     */
    public static List<String> statements(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int i = 0;
        int n = script.length();
        while (i < n) {
            char c = script.charAt(i);
            if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
                int end = script.indexOf('\n', i);
                i = end < 0 ? n : end;
                current.append(' ');
            } else if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
                int end = script.indexOf("*/", i + 2);
                if (end < 0) {
                    throw new IllegalArgumentException("unclosed block comment at offset " + i);
                }
                i = end + 2;
                current.append(' ');
            } else if (c == '\'' || c == '"' || c == '`') {
                int end = closingQuote(script, i);
                current.append(script, i, end + 1);
                i = end + 1;
            } else if (c == ';') {
                add(statements, current);
                i++;
            } else {
                current.append(c);
                i++;
            }
        }
        add(statements, current);
        return List.copyOf(statements);
    }

    private static int closingQuote(String script, int start) {
        char quote = script.charAt(start);
        int i = start + 1;
        while (i < script.length()) {
            if (script.charAt(i) == quote) {
                // A doubled quote is an escaped quote inside the string or identifier.
                if (i + 1 < script.length() && script.charAt(i + 1) == quote) {
                    i += 2;
                    continue;
                }
                return i;
            }
            i++;
        }
        throw new IllegalArgumentException("unclosed " + quote + " quote starting at offset " + start);
    }

    private static void add(List<String> statements, StringBuilder current) {
        String statement = current.toString().strip();
        if (!statement.isEmpty()) {
            statements.add(statement);
        }
        current.setLength(0);
    }
}
