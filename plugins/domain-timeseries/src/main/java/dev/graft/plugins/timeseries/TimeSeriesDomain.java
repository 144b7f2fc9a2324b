package dev.graft.plugins.timeseries;

import ai.djl.Device;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.GraftException;
import dev.graft.spi.InputKind;
import dev.graft.spi.ModelInput;
import dev.graft.spi.SpiVersion;
import java.util.Set;

/**
 * The time-series domain: univariate and multivariate series. It validates series today; its
 * encoder is not built yet, so opening one answers UNIMPLEMENTED with the reason. Thread-safe
 * (stateless).
 */
public final class TimeSeriesDomain implements DomainPlugin {

  @Override
  public String id() {
    return "timeseries";
  }

  @Override
  public SpiVersion spiVersion() {
    return new SpiVersion(SpiVersion.MAJOR, SpiVersion.MINOR);
  }

  @Override
  public Set<InputKind> inputKinds() {
    return Set.of(InputKind.SERIES);
  }

  @Override
  public void validate(ModelInput input, String field) {
    DomainPlugin.super.validate(input, field);
    ModelInput.Series s = (ModelInput.Series) input;
    if (s.values().length == 0) {
      throw GraftException.invalidArgument(field + ".series.values", "EMPTY_SERIES", field + " has no values");
    }
    for (float v : s.values()) {
      if (Float.isInfinite(v)) {
        throw GraftException.invalidArgument(field + ".series.values", "INFINITE_VALUE",
            field + " holds an infinite value");
      }
    }
  }

  @Override
  public Backbone openBackbone(BaseModel model, Device device) {
    throw GraftException.unimplemented("TIMESERIES_ENCODER_UNAVAILABLE",
        "the time-series domain cannot open model " + model.name()
            + " yet: its encoder is not implemented in this version");
  }
}
