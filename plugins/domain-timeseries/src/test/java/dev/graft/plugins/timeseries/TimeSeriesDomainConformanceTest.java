package dev.graft.plugins.timeseries;

import dev.graft.plugins.conformance.AbstractDomainPluginTest;
import dev.graft.spi.BaseModel;
import dev.graft.spi.BuiltinModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.ModelInput;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The series domain passes the plugin conformance suite on its built-in encoder. */
class TimeSeriesDomainConformanceTest extends AbstractDomainPluginTest {
  private final TimeSeriesDomain domain = new TimeSeriesDomain();

  @Override
  protected DomainPlugin plugin() {
    return domain;
  }

  @Override
  protected BaseModel baseModel(Path dir) throws Exception {
    BuiltinModel builtin = domain.builtinModels().get(0);
    Files.createDirectories(dir);
    try (InputStream in = builtin.files().get(0).opener().open()) {
      Files.copy(in, dir.resolve(TimeSeriesDomain.WEIGHTS_FILE));
    }
    return new BaseModel(builtin.name() + "@1", dir, TimeSeriesDomain.FORMAT, builtin.properties());
  }

  @Override
  protected List<ModelInput> inputs() {
    float[] wave = new float[96];
    float[] trend = new float[64];
    for (int i = 0; i < wave.length; i++) {
      wave[i] = (float) Math.sin(i / 4.0);
    }
    for (int i = 0; i < trend.length; i++) {
      trend[i] = 10 + 0.5f * i;
    }
    return List.of(new ModelInput.Series(wave, 1), new ModelInput.Series(trend, 1));
  }

  @Override
  protected Optional<ModelInput> unreadableInput() {
    return Optional.of(new ModelInput.Series(new float[] {1, Float.NaN, 3, 4}, 1));
  }
}
