package dev.graft.server.engine;

import dev.graft.server.core.plugins.PluginRegistry;
import dev.graft.server.core.store.FileTrees;
import dev.graft.server.core.store.ModelInputSpec;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.security.Principal;
import dev.graft.spi.BuiltinModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.GraftException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.inject.Inject;

/**
 * Registers the base models that domain plugins ship with, the first time the server starts on a
 * store (a model already registered under the name is left alone). Files are staged and published
 * atomically, so a crash mid-copy leaves nothing that looks installed.
 */
public final class BuiltinModelInstaller {
  private static final System.Logger LOG = System.getLogger(BuiltinModelInstaller.class.getName());

  private final ModelStore models;
  private final PluginRegistry plugins;

  @Inject
  public BuiltinModelInstaller(ModelStore models, PluginRegistry plugins) {
    this.models = models;
    this.plugins = plugins;
  }

  /** Installs what is missing; returns the models installed now. */
  public List<ModelRecord> installMissing() {
    List<ModelRecord> installed = new ArrayList<>();
    for (DomainPlugin domain : plugins.domains().values()) {
      for (BuiltinModel builtin : domain.builtinModels()) {
        if (models.find(builtin.name()).isEmpty()) {
          install(domain.id(), builtin).ifPresent(installed::add);
        }
      }
    }
    return installed;
  }

  /** Installs a built-in model unless another replica did meanwhile. */
  private Optional<ModelRecord> install(String domain, BuiltinModel builtin) {
    Path staged = null;
    try {
      staged = models.newStagingDirectory();
      for (BuiltinModel.File file : builtin.files()) {
        try (InputStream in = file.opener().open()) {
          Files.copy(in, staged.resolve(file.name()), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      int dimension = Integer.parseInt(builtin.properties().getOrDefault("hidden_size", "0"));
      ModelRecord draft = new ModelRecord(builtin.name(), 0, ModelKind.BASE, domain, builtin.engine(),
          builtin.format(), "", "", "", "", null, List.of(), List.of(),
          new ModelInputSpec(List.of(), builtin.maxTokens(), 0, 0, List.of(), List.of()),
          Map.of(), builtin.properties(), 0, null, "", dimension, Principal.SYSTEM_NAME);
      Optional<ModelRecord> stored = models.createIfAbsent(draft, staged);
      if (stored.isPresent()) {
        staged = null;
        LOG.log(System.Logger.Level.INFO, "registered built-in model " + stored.get().ref() + " (" + domain + ")");
      }
      return stored;
    } catch (IOException e) {
      throw GraftException.internal("BUILTIN_INSTALL_FAILED",
          "could not install built-in model " + builtin.name() + ": " + e.getMessage(), e);
    } finally {
      deleteQuietly(staged);
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try {
      FileTrees.deleteRecursively(dir);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "cannot delete " + dir + ": " + e);
    }
  }
}
