package dev.graft.server.core.store;

import java.util.Objects;
import java.util.function.IntSupplier;

/**
 * What a replica tells about its store (GetServerInfo, logs): local or shared, where, and how
 * many replicas use it now. Thread-safe.
 *
 * @param kind {@link #LOCAL} or {@link #SHARED}
 * @param location the folder, or the database URL without a password
 * @param blobStore where a shared store keeps files ({@code s3://bucket/prefix}); "" for the local store
 * @param replicas the replicas alive on the store now, this one included
 */
public record StoreDescription(String kind, String location, String blobStore, IntSupplier replicas) {
  public static final String LOCAL = "local";
  public static final String SHARED = "shared";

  public StoreDescription {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(blobStore, "blobStore");
    Objects.requireNonNull(replicas, "replicas");
  }
}
