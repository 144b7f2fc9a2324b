#!/usr/bin/env node
// Computes the reference outputs of nsfwjs@4.4.0's MobileNetV2 with TF.js itself, once, for
// MobileNetParityTest (which checks the DJL conversion against them within 1e-3).
//
//   npm install --prefix /tmp/tfjs @tensorflow/tfjs@4.22.0
//   NODE_PATH=/tmp/tfjs/node_modules node plugins/domain-vision/scripts/mobilenet-reference.js \
//     assets/nsfwjs/mobilenet_v2 > plugins/domain-vision/src/test/resources/dev/graft/plugins/vision/mobilenet-v2-reference.json
//
// Inputs are synthetic and fixed: image n (0..COUNT-1), pixel (y, x), channel c holds
//   0.5 + 0.5 * sin(0.05 * (n + 1) * x + 0.07 * (c + 1) * y + n)   (float32, NHWC, already in [0, 1])
// which is the model's input after nsfwjs's own preprocessing (pixels / 255).
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const SIZE = 224;
const COUNT = 3;

function pixels() {
  const data = new Float32Array(COUNT * SIZE * SIZE * 3);
  let i = 0;
  for (let n = 0; n < COUNT; n++)
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++)
        for (let c = 0; c < 3; c++)
          data[i++] = 0.5 + 0.5 * Math.sin(0.05 * (n + 1) * x + 0.07 * (c + 1) * y + n);
  return tf.tensor4d(data, [COUNT, SIZE, SIZE, 3]);
}

async function main() {
  const dir = process.argv[2];
  const model = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const manifest = model.weightsManifest;
  const buffers = [];
  for (const group of manifest)
    for (const p of group.paths) {
      const js = fs.readFileSync(path.join(dir, p + '.min.js'), 'utf8');
      const base64 = js.match(/"([A-Za-z0-9+/=]{1000,})"/)[1];
      buffers.push(Buffer.from(base64, 'base64'));
    }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const specs = manifest.flatMap(g => g.weights);
  const net = await tf.loadLayersModel(tf.io.fromMemory(model.modelTopology, specs, weightData));
  const probe = tf.model({inputs: net.inputs, outputs: [net.getLayer('out_relu').output, net.outputs[0]]});
  const [features, probs] = probe.predict(pixels());
  const pooled = features.mean([1, 2]);
  const round = a => a.map(row => Array.from(row, v => Number(v.toPrecision(7))));
  process.stdout.write(JSON.stringify({
    source: 'nsfwjs@4.4.0 dist/models/mobilenet_v2, @tensorflow/tfjs ' + tf.version.tfjs + ' (cpu backend)',
    size: SIZE,
    count: COUNT,
    formula: '0.5 + 0.5 * sin(0.05 * (n + 1) * x + 0.07 * (c + 1) * y + n)',
    out_relu_mean: round(pooled.arraySync()),
    dense_3: round(probs.arraySync()),
  }) + '\n');
}

main().catch(e => { console.error(e); process.exit(1); });
