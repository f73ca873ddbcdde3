// photo_tflite_run: runs a TFLite model on one float32 input with @tensorflow/tfjs-tflite
// (TFLite compiled to WebAssembly) under node, as an independent reference runtime.
//
//   node photo_tflite_run.cjs NPM_DIR MODEL.tflite INPUT.f32 OUTPUT.f32
//
// NPM_DIR is where scripts/setup-models.sh installed the packages (<models>/npm). The package is
// made for browsers; here it sees a worker-like global whose importScripts loads the single-
// threaded SIMD build from disk and hands the .wasm bytes over directly.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const [npmDir, modelPath, inputPath, outputPath] = process.argv.slice(2);
const wasmDir = path.join(npmDir, 'node_modules/@tensorflow/tfjs-tflite/wasm/');
globalThis.self = globalThis;
globalThis.location = { origin: 'file://', href: 'file://' + wasmDir };
globalThis.importScripts = () => {
  const file = path.join(wasmDir, 'tflite_web_api_cc_simd.js');
  vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
  const factory = globalThis.tflite_web_api_ModuleFactory;
  globalThis.tflite_web_api_ModuleFactory = (opts) =>
    factory({ ...opts, wasmBinary: fs.readFileSync(path.join(wasmDir, 'tflite_web_api_cc_simd.wasm')) });
};
const req = (m) => require(path.join(npmDir, 'node_modules', m));
const tf = req('@tensorflow/tfjs-core');
req('@tensorflow/tfjs-backend-cpu');
const tflite = req('@tensorflow/tfjs-tflite');

(async () => {
  await tf.setBackend('cpu');
  tflite.setWasmPath(wasmDir);
  const buf = fs.readFileSync(modelPath);
  const model = await tflite.loadTFLiteModel(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length), {
    numThreads: 1,
  });
  const shape = model.inputs[0].shape;
  const raw = fs.readFileSync(inputPath);
  const data = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  const out = model.predict(tf.tensor(data, shape, 'float32'));
  const values = await out.data();
  fs.writeFileSync(outputPath, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
