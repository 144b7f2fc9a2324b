/**
 * The HTTP listener beside the gRPC port ({@code http-port}, {@code http-address}): Prometheus
 * metrics and probes for tools that cannot speak gRPC. It shares the gRPC listener's TLS
 * (certificates rotate together) and credentials. Built on Javalin (Jetty).
 */
package dev.graft.server.http;
