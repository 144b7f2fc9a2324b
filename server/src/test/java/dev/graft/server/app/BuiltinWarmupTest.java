package dev.graft.server.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graft.server.TestServer;
import dev.graft.server.core.plugins.PluginRegistry;
import dev.graft.server.core.store.JsonCodec;
import dev.graft.server.core.store.LocalModelStore;
import dev.graft.server.core.store.ModelInputSpec;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.core.store.StoreLayout;
import dev.graft.server.engine.BuiltinModelInstaller;
import dev.graft.server.engine.ModelRuntime;
import dev.graft.server.scheduler.DeviceScheduler;
import dev.graft.spi.InputKind;
import dev.graft.spi.ModelInput;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Readiness: built-in base models are loaded and run once before the replica says SERVING. */
class BuiltinWarmupTest {
  @TempDir Path store;

  @Test
  void warmLoadsAndRunsEveryBuiltinBaseModel() throws Exception {
    ServerConfig config = TestServer.config(store);
    PluginRegistry plugins = PluginModule.plugins(config);
    try (StoreLayout layout = new StoreLayout(config.store())) {
      ModelStore models = new LocalModelStore(layout, new JsonCodec());
      new BuiltinModelInstaller(models, plugins).installMissing();
      DeviceScheduler scheduler = SchedulerModule.scheduler(config, SchedulerModule.discovery());
      try (ModelRuntime runtime = new ModelRuntime(models, plugins, config.modelMemoryBudget())) {
        assertEquals(0, runtime.loadedCount());
        List<String> warmed = new BuiltinWarmup(plugins, models, runtime, scheduler).warm();
        List<String> builtins = plugins.domains().values().stream()
            .flatMap(d -> d.builtinModels().stream()).map(b -> b.name() + "@1@cpu").sorted().toList();
        assertTrue(builtins.contains("minilm-l6@1@cpu"), builtins.toString());
        assertEquals(builtins, warmed.stream().sorted().toList());
        assertEquals(builtins.size(), runtime.loadedCount(), "the backbones stay loaded for the first calls");
      } finally {
        scheduler.close();
      }
    }
  }

  @Test
  void samplesFitEachInputKind() throws Exception {
    ModelRecord series = new ModelRecord("s", 1, ModelKind.BASE, "timeseries", "PyTorch", "torchscript", "", "", "",
        "", null, List.of(), List.of(), new ModelInputSpec(List.of(), 0, 96, 0, List.of(), List.of()), Map.of(),
        Map.of(), 0, null, "", 0, "graft");
    assertInstanceOf(ModelInput.Text.class, BuiltinWarmup.sample(Set.of(InputKind.TEXT), series));
    assertEquals(96, ((ModelInput.Series) BuiltinWarmup.sample(Set.of(InputKind.SERIES), series)).values().length);
    assertInstanceOf(ModelInput.Tensor.class, BuiltinWarmup.sample(Set.of(InputKind.TENSOR), series));
    assertInstanceOf(ModelInput.Image.class, BuiltinWarmup.sample(Set.of(InputKind.IMAGE, InputKind.TENSOR), series),
        "an encoded image, so the decoder is warm too");
    assertNull(BuiltinWarmup.sample(Set.of(), series));
    ModelRecord image = new ModelRecord("i", 1, ModelKind.BASE, "vision", "PyTorch", "graft-converted", "", "", "",
        "", null, List.of(), List.of(), ModelInputSpec.empty(), Map.of(), Map.of("input_size", "224"), 0, null, "", 0,
        "graft");
    assertArrayEquals(new long[] {224, 224, 3},
        ((ModelInput.Tensor) BuiltinWarmup.sample(Set.of(InputKind.TENSOR), image)).shape(), "at the model's own size");
    java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
        ((ModelInput.Image) BuiltinWarmup.sample(Set.of(InputKind.IMAGE, InputKind.TENSOR), image)).encoded()));
    assertEquals(224, png.getWidth());
    assertEquals(4, BuiltinWarmup.calls(new ModelInput.Text("x")).size(), "text warms at several lengths");
  }
}
