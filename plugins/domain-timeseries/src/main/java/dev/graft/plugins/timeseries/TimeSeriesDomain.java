package dev.graft.plugins.timeseries;

import ai.djl.Device;
import dev.graft.plugins.timeseries.encoder.EncoderConfig;
import dev.graft.plugins.timeseries.encoder.SeriesBatch;
import dev.graft.plugins.timeseries.encoder.SeriesEncoder;
import dev.graft.spi.Backbone;
import dev.graft.spi.BaseModel;
import dev.graft.spi.BuiltinModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.GraftException;
import dev.graft.spi.InputKind;
import dev.graft.spi.ModelInput;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The time-series domain: univariate and multivariate series ({@link InputKind#SERIES}), read by
 * a patch-Transformer encoder on DJL's PyTorch engine. Ships {@code ts-encoder}, pretrained by
 * Graft itself. Thread-safe (stateless); each opened backbone belongs to its caller.
 */
public final class TimeSeriesDomain implements DomainPlugin {
  /** The stored format of series encoders. */
  public static final String FORMAT = "graft-ts";
  /** The weights file in a model folder. */
  public static final String WEIGHTS_FILE = "encoder.params";

  @Override
  public String id() {
    return "timeseries";
  }

  @Override
  public Set<InputKind> inputKinds() {
    return Set.of(InputKind.SERIES);
  }

  @Override
  public List<BuiltinModel> builtinModels() {
    return List.of(BuiltinEncoder.tsEncoder());
  }

  @Override
  public void validate(ModelInput input, String field) {
    DomainPlugin.super.validate(input, field);
    SeriesBatch.check(input, field);
  }

  /**
   * Opens a {@code graft-ts} encoder ({@code encoder.params} and the shape in its properties).
   *
   * @throws GraftException UNIMPLEMENTED for another format; FAILED_PRECONDITION for missing or
   *     unfit weights
   */
  @Override
  public Backbone openBackbone(BaseModel model, Device device) {
    if (!FORMAT.equalsIgnoreCase(model.format())) {
      throw GraftException.unimplemented("UNSUPPORTED_MODEL_FORMAT",
          "domain 'timeseries' opens format '" + FORMAT + "' models; '" + model.name() + "' is '"
              + model.format() + "'");
    }
    EncoderConfig config = EncoderConfig.fromProperties(model.properties());
    Path file = model.directory().resolve(WEIGHTS_FILE);
    byte[] weights;
    try {
      weights = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw GraftException.failedPrecondition("MODEL_FILE_MISSING",
          "model " + model.name() + " has no " + WEIGHTS_FILE);
    } catch (IOException e) {
      throw GraftException.internal("MODEL_FILE_UNREADABLE", "cannot read " + file, e);
    }
    try {
      return new EncoderBackbone(
          SeriesEncoder.open(config, device, new ByteArrayInputStream(weights)), weights);
    } catch (IOException e) {
      throw GraftException.failedPrecondition("CORRUPT_WEIGHTS",
          "model " + model.name() + ": " + WEIGHTS_FILE + " is truncated or unreadable");
    }
  }
}
