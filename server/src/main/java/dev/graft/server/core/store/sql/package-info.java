/**
 * The shared store's metadata in PostgreSQL: model versions, aliases, datasets, jobs and the
 * replicas themselves, written through a pooled {@link dev.graft.server.core.store.sql.Database}
 * whose schema Flyway migrates at start-up ({@code db/migration/V*.sql}). Files are not here: rows
 * name them by SHA-256 in object storage ({@link dev.graft.server.core.store.blob}).
 */
package dev.graft.server.core.store.sql;
