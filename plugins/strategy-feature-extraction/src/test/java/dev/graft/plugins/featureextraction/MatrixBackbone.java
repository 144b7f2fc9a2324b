package dev.graft.plugins.featureextraction;

import dev.graft.spi.Backbone;
import dev.graft.spi.FeatureRequest;
import dev.graft.spi.ModelInput;
import java.util.List;

/** A fake backbone over a fixed matrix: text {@code "<i>"} is row i. Thread-safe (read-only). */
final class MatrixBackbone implements Backbone {
  private final float[][] rows;

  MatrixBackbone(float[][] rows) {
    this.rows = rows;
  }

  @Override
  public List<String> layers() {
    return List.of("last");
  }

  @Override
  public int dimension() {
    return rows[0].length;
  }

  @Override
  public float[][] extract(List<ModelInput> inputs, FeatureRequest request) {
    float[][] out = new float[inputs.size()][];
    for (int i = 0; i < out.length; i++) {
      float[] row = rows[Integer.parseInt(((ModelInput.Text) inputs.get(i)).text())].clone();
      if (request.normalize()) {
        double sum = 0;
        for (float x : row) {
          sum += x * x;
        }
        float norm = (float) Math.max(Math.sqrt(sum), 1e-12);
        for (int j = 0; j < row.length; j++) {
          row[j] /= norm;
        }
      }
      out[i] = row;
    }
    return out;
  }

  @Override
  public void close() {}
}
