/**
 * Not API: what the SQL executors (SQLite, PostgreSQL, MySQL) share, free of any dialect:
 * migrations, the conditions of filters, transactions and quiet cleanup, and the binding and row
 * mapping of snapshots, parked events and subscribers. The SQL text, error translation by SQLSTATE
 * and the storage of times stay in each executor's module. Exported only to those modules;
 * everything here may change or disappear without notice, in any release.
 */
package io.evento.internal.sql;
