/**
 * Aeron transport lifecycle shared by every collective in one JVM.
 *
 * <p>{@link dev.sparkdl.transport.CollectiveContext} holds the configuration (system property
 * {@code PROP_NAME}/{@code DEFAULT_} pairs validated by {@code conclude()});
 * {@link dev.sparkdl.transport.MediaDriverHandle} reference-counts one embedded media driver per
 * Aeron directory so that all workers of an executor share it, and removes its directory when the
 * last user leaves; {@link dev.sparkdl.transport.Channels} builds the udp/ipc channel strings with
 * the loopback-friendly defaults; {@link dev.sparkdl.transport.StorageCheck} fails early, with the
 * numbers, when the Aeron directory's filesystem cannot hold the logs a job needs.
 */
package dev.sparkdl.transport;
