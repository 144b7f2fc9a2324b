/**
 * The on-disk store of models, datasets and jobs, free of any transport type.
 *
 * <p>Layout ({@link dev.graft.server.core.store.StoreLayout}): {@code models/<name>/<version>/}
 * with a {@code manifest.json} beside the model's files, {@code datasets/<id>/} with the uploaded
 * parts and a {@code manifest.json}, {@code jobs/<id>.json}. Every write is atomic (write to a
 * temporary file, fsync, rename, fsync the folder) and every folder is published by one rename, so a
 * crash never leaves a model or a dataset that looks whole but is not: a folder without a manifest
 * is ignored. Several processes may share one store; each publishes new folders exclusively, so
 * two writers never claim the same version or id.
 *
 * <p>All stores are thread-safe. I/O failures surface as {@link dev.graft.spi.GraftException}
 * INTERNAL with reason {@code STORE_IO}; bad input as INVALID_ARGUMENT naming the field.
 */
package dev.graft.server.core.store;
