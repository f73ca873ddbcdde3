// tfjs_graph_run: runs a TensorFlow.js graph model (model.json + .bin) under node with the original
// runtime, @tensorflow/tfjs-converter on @tensorflow/tfjs-backend-wasm, as the reference that our
// ONNX conversions (scripts/models/tfjs2onnx.py) are compared against. Offline: the model is read
// from disk through a custom IOHandler and the backend's .wasm files from the package's dist/.
//
//   node tfjs_graph_run.cjs TFJS_DIR MODEL.json OUT.f32 INPUT=FILE.f32:d0,d1,... [INPUT=SCALAR ...] \
//        --outputs node[,node...]
//
// TFJS_DIR is where scripts/setup-models.sh installed the tfjs packages (<models>/npm/tfjs). Each
// input is a raw float32 file with its shape (NHWC, as the model wants it) or a number (a scalar).
// The named outputs are written one after another as raw float32, each in the model's own layout.
'use strict';
const fs = require('fs');
const path = require('path');

const [tfjsDir, modelPath, outPath, ...rest] = process.argv.slice(2);
const req = (m) => require(path.join(tfjsDir, 'node_modules', m));
const tf = req('@tensorflow/tfjs-core');
const tfc = req('@tensorflow/tfjs-converter');
const wasm = req('@tensorflow/tfjs-backend-wasm');

function diskHandler(jsonPath) {
  return {
    load: async () => {
      const model = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
      const specs = [];
      const bufs = [];
      for (const group of model.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) bufs.push(fs.readFileSync(path.join(path.dirname(jsonPath), p)));
      }
      const all = Buffer.concat(bufs);
      return {
        modelTopology: model.modelTopology,
        format: model.format,
        generatedBy: model.generatedBy,
        convertedBy: model.convertedBy,
        signature: model.signature,
        userDefinedMetadata: model.userDefinedMetadata,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.length),
      };
    },
  };
}

(async () => {
  let outputs = null;
  const feeds = {};
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--outputs') {
      outputs = rest[++i].split(',');
      continue;
    }
    const eq = rest[i].indexOf('=');
    const name = rest[i].slice(0, eq);
    const spec = rest[i].slice(eq + 1);
    const colon = spec.lastIndexOf(':');
    if (colon < 0) {
      feeds[name] = Number(spec);
    } else {
      const raw = fs.readFileSync(spec.slice(0, colon));
      const shape = spec.slice(colon + 1).split(',').map(Number);
      feeds[name] = { data: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)), shape };
    }
  }
  if (!outputs) throw new Error('--outputs is required');
  wasm.setWasmPaths(path.join(tfjsDir, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/') + '/');
  await tf.setBackend('wasm');
  await tf.ready();
  const model = await tfc.loadGraphModel(diskHandler(modelPath));
  const inputs = {};
  for (const [name, v] of Object.entries(feeds)) {
    inputs[name] = typeof v === 'number' ? tf.scalar(v) : tf.tensor(v.data, v.shape, 'float32');
  }
  const t0 = Date.now();
  // execute() for plain graphs; executeAsync() where the graph has control flow (RVM's Switch/Merge).
  let res;
  try {
    res = model.execute(inputs, outputs);
  } catch (e) {
    res = await model.executeAsync(inputs, outputs);
  }
  const list = Array.isArray(res) ? res : [res];
  const parts = [];
  for (const t of list) {
    const d = await t.data();
    parts.push(Buffer.from(d.buffer, d.byteOffset, d.byteLength));
  }
  fs.writeFileSync(outPath, Buffer.concat(parts));
  console.error(`tfjs ${tf.getBackend()}: ${Date.now() - t0} ms, outputs ${list.map((t) => t.shape.join('x')).join(' ')}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
