package dev.graft.plugins.vision;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.graft.plugins.conformance.AbstractDomainPluginTest;
import dev.graft.spi.BaseModel;
import dev.graft.spi.BuiltinModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.ModelInput;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The image domain passes the plugin conformance suite on the built-in mobilenet-v2-96 (needs scripts/fetch-assets). */
class VisionDomainConformanceTest extends AbstractDomainPluginTest {
  private final VisionDomain domain = new VisionDomain(VisionDomainTest.ASSETS);

  @Override
  protected DomainPlugin plugin() {
    return domain;
  }

  @Override
  protected BaseModel baseModel(Path dir) {
    Optional<BuiltinModel> small = domain.builtinModels().stream()
        .filter(b -> b.name().equals(BuiltinNetworks.MOBILENET_96)).findFirst();
    assumeTrue(small.isPresent(), "run scripts/fetch-assets first");
    return new BaseModel(BuiltinNetworks.MOBILENET_96 + "@1",
        VisionDomainTest.ASSETS.resolve(BuiltinNetworks.FOLDER), small.get().format(),
        small.get().properties());
  }

  @Override
  protected List<ModelInput> inputs() {
    try {
      return List.of(VisionDomainTest.png(1), VisionDomainTest.png(2));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected Optional<ModelInput> unreadableInput() {
    return Optional.of(new ModelInput.Image(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2, 3}));
  }
}
