package dev.graft.plugins.timeseries;

import dev.graft.plugins.timeseries.encoder.EncoderConfig;
import dev.graft.spi.BuiltinModel;
import java.io.FileNotFoundException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The built-in {@code ts-encoder}: the patch Transformer Graft pretrains itself (see
 * docs/ts-encoder.md and {@code scripts/pretrain-ts-encoder}); its weights ship as a resource of
 * this plugin. Stateless; each opener returns a fresh stream the caller closes.
 */
final class BuiltinEncoder {
  static final String NAME = "ts-encoder";
  static final String RESOURCE = "/dev/graft/plugins/timeseries/builtin/ts-encoder.params";

  private BuiltinEncoder() {}

  static BuiltinModel tsEncoder() {
    Map<String, String> properties = new LinkedHashMap<>(EncoderConfig.TS_ENCODER.asProperties());
    properties.put("source", "Graft pretraining pipeline (docs/ts-encoder.md)");
    // What the backbone-training strategies default to on this small encoder (a job's own
    // hyperparameters win): a learning rate near its pretraining's, not a BERT encoder's.
    for (String strategy : List.of("knowledge-transfer", "fine-tuning")) {
      properties.put(strategy + ".learning_rate", "1e-3");
      properties.put(strategy + ".epochs", "10");
      properties.put(strategy + ".batch_size", "32");
    }
    return new BuiltinModel(NAME, TimeSeriesDomain.FORMAT, "PyTorch",
        List.of(new BuiltinModel.File(TimeSeriesDomain.WEIGHTS_FILE, BuiltinEncoder::open)),
        properties, 0);
  }

  private static InputStream open() throws FileNotFoundException {
    InputStream in = BuiltinEncoder.class.getResourceAsStream(RESOURCE);
    if (in == null) {
      throw new FileNotFoundException("built-in model resource " + RESOURCE
          + " is missing from graft-domain-timeseries; run scripts/pretrain-ts-encoder");
    }
    return in;
  }
}
