package dev.graft.server.core.plugins;

/**
 * What the server knows of one plugin: shown in server info and health.
 *
 * @param id the plugin id ("nlp"), or the provider class when it failed before saying
 * @param kind "domain" or "strategy"
 * @param state ACTIVE or FAILED
 * @param version the plugin's version
 * @param source "builtin" or the jar it came from
 * @param error why it failed; empty when active
 */
public record PluginInfo(String id, String kind, State state, String version, String source, String error) {

  /** Whether a plugin can be used. */
  public enum State {
    ACTIVE,
    FAILED
  }

  static PluginInfo failed(String id, String kind, String source, String error) {
    return new PluginInfo(id, kind, State.FAILED, "", source, error);
  }
}
