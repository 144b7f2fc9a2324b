package dev.graft.plugins.featureextraction;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.initializer.Initializer;

/**
 * The shape of a head: {@code inputs} standardised features to {@code outputs} logits or values,
 * through one hidden ReLU layer when {@code hidden > 0}. Dropout (when {@code dropout > 0})
 * follows the hidden layer, or, for a linear head, applies to its inputs. Immutable.
 *
 * @param inputs the feature dimension
 * @param hidden the hidden width; 0 = linear
 * @param dropout the dropout rate, 0 = none
 * @param outputs classes, or values per example
 */
public record HeadArchitecture(int inputs, int hidden, float dropout, int outputs) {

  /** "linear" or "mlp". */
  public String kind() {
    return hidden > 0 ? "mlp" : "linear";
  }

  /** A short description for the model's properties ("linear 384->3", "mlp 384->256->3"). */
  public String describe() {
    String middle = hidden > 0 ? "->" + hidden : "";
    String drop = dropout > 0 ? " dropout " + dropout : "";
    return kind() + " " + inputs + middle + "->" + outputs + drop;
  }

  /** A fresh, uninitialised block of this shape. The caller's model owns it. */
  Block newBlock() {
    SequentialBlock block = new SequentialBlock();
    if (hidden > 0) {
      block.add(Linear.builder().setUnits(hidden).build());
      block.add(Activation.reluBlock());
      if (dropout > 0) {
        block.add(Dropout.builder().optRate(dropout).build());
      }
    } else if (dropout > 0) {
      block.add(Dropout.builder().optRate(dropout).build());
    }
    // The output layer starts at zero (uniform probabilities, predictions at the target mean), as
    // logistic regression does: no random initial bias for the optimiser to undo.
    Linear output = Linear.builder().setUnits(outputs).build();
    output.setInitializer(Initializer.ZEROS, Parameter.Type.WEIGHT);
    block.add(output);
    return block;
  }
}
