package dev.graft.plugins.nlp;

import dev.graft.plugins.conformance.AbstractDomainPluginTest;
import dev.graft.spi.BaseModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.ModelInput;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The text domain passes the plugin conformance suite on the built-in MiniLM (16 tokens when trained). */
class NlpDomainConformanceTest extends AbstractDomainPluginTest {
  private final NlpDomain domain = new NlpDomain();

  @Override
  protected DomainPlugin plugin() {
    return domain;
  }

  @Override
  protected BaseModel baseModel(Path dir) throws Exception {
    return BuiltinFixture.materialize(dir);
  }

  @Override
  protected List<ModelInput> inputs() {
    return List.of(new ModelInput.Text("the food was lovely"),
        new ModelInput.Text("a cold and rude welcome", "second segment"),
        new ModelInput.Text(""));
  }

  @Override
  protected Map<String, String> trainableOptions() {
    return Map.of("max_tokens", "16");
  }
}
