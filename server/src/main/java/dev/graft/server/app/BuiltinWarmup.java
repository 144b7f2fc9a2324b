package dev.graft.server.app;


import com.google.protobuf.ByteString;
import dev.graft.server.core.plugins.PluginRegistry;
import dev.graft.server.core.store.ModelKind;
import dev.graft.server.core.store.ModelRecord;
import dev.graft.server.core.store.ModelStore;
import dev.graft.server.engine.ModelRuntime;
import dev.graft.server.scheduler.DeviceScheduler;
import dev.graft.server.scheduler.DeviceSpec;
import dev.graft.server.scheduler.InferenceLease;
import dev.graft.spi.BuiltinModel;
import dev.graft.spi.DomainPlugin;
import dev.graft.spi.ErrorKind;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.GraftException;
import dev.graft.spi.InputKind;
import dev.graft.spi.ModelInput;
import dev.graft.api.v1.DataType;
import dev.graft.api.v1.ExtractRequest;
import dev.graft.api.v1.Image;
import dev.graft.api.v1.Input;
import dev.graft.api.v1.InferenceServiceGrpc;
import dev.graft.api.v1.Series;
import dev.graft.api.v1.Tensor;
import dev.graft.api.v1.Text;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import javax.imageio.ImageIO;

/**
 * Makes a replica ready before it reports SERVING: opens the backbone of every built-in BASE
 * model through {@link ModelRuntime} on each device of the default pool and runs one tiny extract
 * on it, so the first real call does not pay for loading and engine warm-up; then, through {@link
 * #warmRequestPath}, sends a few Extract calls per model through the server's own services, so the
 * request path is compiled too. Used once at start, from one thread; the loaded backbones stay
 * owned by the runtime.
 */
final class BuiltinWarmup {
  private static final System.Logger LOG = System.getLogger(BuiltinWarmup.class.getName());
  private static final Duration SLOT_WAIT = Duration.ofSeconds(60);
  /** Extract calls per model through the request path: the first loads, the next ones compile. */
  private static final int REQUEST_PATH_CALLS = 3;

  private final PluginRegistry plugins;
  private final ModelStore models;
  private final ModelRuntime runtime;
  private final DeviceScheduler scheduler;

  @Inject
  BuiltinWarmup(PluginRegistry plugins, ModelStore models, ModelRuntime runtime, DeviceScheduler scheduler) {
    this.plugins = plugins;
    this.models = models;
    this.runtime = runtime;
    this.scheduler = scheduler;
  }

  /**
   * Loads and warms every built-in base model; returns the {@code ref@device} pairs warmed.
   *
   * @throws GraftException when a built-in model cannot be opened or run
   * @throws InterruptedException while waiting for a device
   */
  List<String> warm() throws InterruptedException {
    List<String> warmed = new ArrayList<>();
    List<InferenceLease> leases = new ArrayList<>();
    try {
      // Holding one slot per device makes the least-loaded placement hand out each device once.
      int devices = scheduler.snapshot().stream().filter(p -> p.name().equals(scheduler.defaultPool()))
          .mapToInt(p -> p.devices().size()).sum();
      Set<DeviceSpec> targets = new LinkedHashSet<>();
      for (int i = 0; i < Math.max(1, devices); i++) {
        InferenceLease lease = scheduler.acquireInference(scheduler.defaultPool(), SLOT_WAIT);
        leases.add(lease);
        targets.add(lease.device());
      }
      for (Builtin builtin : builtinBases()) {
        for (DeviceSpec device : targets) {
          try {
            warm(builtin.domain(), builtin.model(), device);
            warmed.add(builtin.model().ref() + "@" + device.id());
          } catch (GraftException e) {
            if (!"MODEL_TOO_LARGE".equals(e.reason())) {
              throw e;
            }
            LOG.log(System.Logger.Level.WARNING, "not warming " + builtin.model().ref() + ": " + e.getMessage());
          }
        }
      }
    } finally {
      leases.forEach(InferenceLease::close);
    }
    return warmed;
  }

  /**
   * Sends Extract calls for every built-in base model through {@code channel}, which reaches the
   * server's own services (request parsing, validation, the inferencer and its batcher), so that
   * the first client call finds that path loaded and compiled too, not only the engines. A
   * refused call is logged, not thrown: this warms, it does not test.
   */
  void warmRequestPath(Channel channel) {
    var stub = InferenceServiceGrpc.newBlockingStub(channel);
    for (Builtin builtin : builtinBases()) {
      Optional<ExtractRequest> request = request(builtin);
      if (request.isEmpty()) {
        continue;
      }
      long start = System.nanoTime();
      try {
        for (int i = 0; i < REQUEST_PATH_CALLS; i++) {
          stub.withDeadlineAfter(SLOT_WAIT.toMillis(), TimeUnit.MILLISECONDS).extract(request.get());
        }
      } catch (StatusRuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "request-path warm-up of " + builtin.model().ref() + " refused: "
            + e.getStatus());
        continue;
      }
      LOG.log(System.Logger.Level.DEBUG, "warmed the request path of " + builtin.model().ref() + " in "
          + (System.nanoTime() - start) / 1_000_000 + " ms");
    }
  }

  /** An Extract of the model's warm-up sample, when it has one that the v1 API can carry. */
  private static Optional<ExtractRequest> request(Builtin builtin) {
    ModelInput sample = sample(builtin.domain().inputKinds(), builtin.model());
    Input.Builder input = Input.newBuilder();
    if (sample instanceof ModelInput.Text text) {
      input.setText(Text.newBuilder().setText(text.text()));
    } else if (sample instanceof ModelInput.Image image) {
      input.setImage(Image.newBuilder().setEncoded(ByteString.copyFrom(image.encoded())));
    } else if (sample instanceof ModelInput.Series series) {
      Series.Builder values = Series.newBuilder().setChannels(series.channels());
      for (float v : series.values()) {
        values.addValues(v);
      }
      input.setSeries(values);
    } else if (sample instanceof ModelInput.Tensor tensor && tensor.dtype().equals("uint8")) {
      input.setTensor(Tensor.newBuilder().setDtype(DataType.DATA_TYPE_UINT8)
          .addAllShape(Arrays.stream(tensor.shape()).boxed().toList())
          .setData(ByteString.copyFrom(tensor.data())));
    } else {
      return Optional.empty();
    }
    return Optional.of(ExtractRequest.newBuilder().setModel(builtin.model().ref()).addInputs(input).build());
  }

  /** Every built-in base model in the store, with its domain, in the plugins' order. */
  private List<Builtin> builtinBases() {
    List<Builtin> bases = new ArrayList<>();
    for (DomainPlugin domain : plugins.domains().values()) {
      for (BuiltinModel builtin : domain.builtinModels()) {
        models.find(builtin.name()).filter(m -> m.kind() == ModelKind.BASE)
            .ifPresent(m -> bases.add(new Builtin(domain, m)));
      }
    }
    return bases;
  }

  private record Builtin(DomainPlugin domain, ModelRecord model) {}

  private void warm(DomainPlugin domain, ModelRecord model, DeviceSpec device) {
    long start = System.nanoTime();
    try (var backbone = runtime.backbone(model, device)) {
      ModelInput sample = sample(domain.inputKinds(), model);
      if (sample != null) {
        try {
          // Engines plan and allocate per input shape: run the sample twice, and text at a few
          // lengths and as a batch, so a first real call finds its shapes warm.
          for (List<ModelInput> call : calls(sample)) {
            backbone.get().extract(call, FeatureRequest.defaults());
          }
        } catch (GraftException e) {
          if (e.kind() != ErrorKind.INVALID_ARGUMENT) {
            throw e;
          }
          LOG.log(System.Logger.Level.WARNING, "warm-up input refused by " + model.ref() + " (loaded anyway): "
              + e.getMessage());
        }
      }
    }
    LOG.log(System.Logger.Level.INFO, "warmed " + model.ref() + " on " + device.id() + " in "
        + (System.nanoTime() - start) / 1_000_000 + " ms");
  }

  /** The warm-up calls made from a sample. */
  static List<List<ModelInput>> calls(ModelInput sample) {
    if (sample instanceof ModelInput.Text) {
      ModelInput longer = new ModelInput.Text("Graft loads each built-in model and runs it on a few inputs of"
          + " different lengths before it reports that it is serving, so that the first call of a client does not"
          + " pay for the engine's first run.");
      return List.of(List.of(sample), List.of(longer), List.of(sample, longer), List.of(sample));
    }
    return List.of(List.of(sample), List.of(sample));
  }

  /**
   * An input the domain accepts, at the model's own input size where it has one ({@code
   * input_size} of an image model), or null when none can be made up (the backbone is then only
   * opened).
   */
  static ModelInput sample(Set<InputKind> kinds, ModelRecord model) {
    if (kinds.contains(InputKind.TEXT)) {
      return new ModelInput.Text("Graft warm-up.");
    }
    if (kinds.contains(InputKind.SERIES)) {
      int length = model.input().contextLength() > 0 ? model.input().contextLength() : 64;
      float[] values = new float[length];
      for (int i = 0; i < length; i++) {
        values[i] = (float) Math.sin(i / 4.0);
      }
      return new ModelInput.Series(values, 1);
    }
    if (kinds.contains(InputKind.IMAGE)) {
      return png(imageSide(model));
    }
    if (kinds.contains(InputKind.TENSOR)) {
      int side = imageSide(model);
      return new ModelInput.Tensor("uint8", new long[] {side, side, 3}, new byte[side * side * 3]);
    }
    return null;
  }

  private static int imageSide(ModelRecord model) {
    try {
      return Math.max(16, Math.min(1024, Integer.parseInt(model.properties().getOrDefault("input_size", "32"))));
    } catch (NumberFormatException e) {
      return 32;
    }
  }

  /** A PNG of a gradient, {@code side} pixels square: warms the image decoder as well as the engine. */
  private static ModelInput png(int side) {
    BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        image.setRGB(x, y, (x * 255 / side) << 16 | (y * 255 / side) << 8 | 128);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new ModelInput.Image(out.toByteArray());
  }
}
