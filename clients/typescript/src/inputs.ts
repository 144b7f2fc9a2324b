import { create, isMessage, type MessageInitShape } from "@bufbuild/protobuf";
import {
  DataSourceSchema,
  DataType,
  ExampleSchema,
  InputSchema,
  TargetSchema,
  type DataSource,
  type Example,
  type Input,
  type Target,
} from "./gen/graft/v1/common_pb.js";

/** A raw tensor: little-endian, row-major `data` of `dtype` with `shape`. */
export interface TensorLike {
  dtype: DataType;
  shape: ArrayLike<number | bigint>;
  data: Uint8Array;
}

/**
 * One model input, in the shortest form that says what it is:
 * - a `string` is text; `{ text, pair }` a sentence pair;
 * - a `Uint8Array` (or `{ image }`) encoded image bytes (PNG, JPEG, BMP, GIF);
 * - a `Float32Array`/`number[]` (or `{ series, channels }`) a time series;
 * - `{ tensor }` a raw tensor;
 * - or a `graft.v1.Input` message / its init shape (`{ value: { case: "text", value: ... } }`).
 */
export type InputLike =
  | string
  | Uint8Array
  | Float32Array
  | readonly number[]
  | { text: string; pair?: string }
  | { image: Uint8Array }
  | { series: ArrayLike<number>; channels?: number }
  | { tensor: TensorLike }
  | Input
  | MessageInitShape<typeof InputSchema>;

/** What a training example should produce: a class label, a regression value or a horizon. */
export type TargetLike = { label: string } | { value: number } | { values: ArrayLike<number> };

/** One labelled example: an input and its target, e.g. `{ input: "I loved it", label: "positive" }`. */
export type ExampleLike = { input: InputLike } & TargetLike;

/** Converts an {@link InputLike} to a `graft.v1.Input`. */
export function toInput(input: InputLike): Input {
  if (typeof input === "string") {
    return create(InputSchema, { value: { case: "text", value: { text: input } } });
  }
  if (input instanceof Float32Array || Array.isArray(input)) {
    return create(InputSchema, { value: { case: "series", value: { values: Array.from(input as ArrayLike<number>) } } });
  }
  if (input instanceof Uint8Array) {
    return create(InputSchema, { value: { case: "image", value: { encoded: input } } });
  }
  if (isMessage(input, InputSchema)) {
    return input;
  }
  if ("text" in input) {
    return create(InputSchema, { value: { case: "text", value: { text: input.text, pair: input.pair ?? "" } } });
  }
  if ("image" in input) {
    return create(InputSchema, { value: { case: "image", value: { encoded: input.image } } });
  }
  if ("series" in input) {
    return create(InputSchema, {
      value: { case: "series", value: { values: Array.from(input.series), channels: input.channels ?? 0 } },
    });
  }
  if ("tensor" in input) {
    const t = input.tensor;
    return create(InputSchema, {
      value: { case: "tensor", value: { dtype: t.dtype, shape: Array.from(t.shape, (d) => BigInt(d)), data: t.data } },
    });
  }
  return create(InputSchema, input as MessageInitShape<typeof InputSchema>);
}

/** Converts a {@link TargetLike} to a `graft.v1.Target`. */
export function toTarget(target: TargetLike): Target {
  if ("label" in target) {
    return create(TargetSchema, { kind: { case: "label", value: target.label } });
  }
  if ("values" in target) {
    return create(TargetSchema, { kind: { case: "values", value: { values: Array.from(target.values) } } });
  }
  if ("value" in target) {
    return create(TargetSchema, { kind: { case: "value", value: target.value } });
  }
  throw new TypeError("an example needs a label, a value or values");
}

/** Converts an {@link ExampleLike} to a `graft.v1.Example`. */
export function toExample(example: ExampleLike): Example {
  return create(ExampleSchema, { input: toInput(example.input), target: toTarget(example) });
}

/**
 * Training or validation data: a dataset id or name, in-memory examples (sent inline with the
 * request: for small jobs), or a `graft.v1.DataSource` init.
 */
export type DataSourceLike = string | readonly ExampleLike[] | MessageInitShape<typeof DataSourceSchema>;

/** Converts a {@link DataSourceLike} to a `graft.v1.DataSource`. */
export function toDataSource(source: DataSourceLike): DataSource {
  if (typeof source === "string") {
    return create(DataSourceSchema, { source: { case: "dataset", value: source } });
  }
  if (Array.isArray(source)) {
    return create(DataSourceSchema, {
      source: { case: "examples", value: { examples: (source as readonly ExampleLike[]).map(toExample) } },
    });
  }
  return create(DataSourceSchema, source as MessageInitShape<typeof DataSourceSchema>);
}
