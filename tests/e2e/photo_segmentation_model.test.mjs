// The TFLite -> ONNX conversion (scripts/models/tflite2onnx.py) is proved against a real TFLite
// runtime: @tensorflow/tfjs-tflite (WebAssembly) runs MediaPipe's model, with its one custom op
// swapped for the builtin TRANSPOSE_CONV (scripts/models/tflite_swap_custom.py), on the same
// 256x256 inputs that `tucai photo segment --raw` fed to our ONNX model under OpenCV DNN.
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
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tucai-seg-'));

const swapped = path.join(tmp, 'selfie_segmentation_builtin.tflite');
execFileSync('/usr/bin/python3', [path.join(SRC, 'scripts/models/tflite_swap_custom.py'),
  path.join(MODELS, 'selfie_segmentation.tflite'), swapped]);

const photos = ['dev/hivision_test0.jpg', 'dev/deepface_img26.jpg', 'negative/deepface_couple.jpg'];

for (const rel of photos) {
  test(`onnx conversion matches tflite runtime on ${rel}`, () => {
    const raw = path.join(tmp, 'raw.bin');
    execFileSync(BIN, ['photo', 'segment', path.join(SHARED, 'photos', rel), '-o', path.join(tmp, 'mask.png'),
      '--raw', raw, '--models', MODELS]);
    const bytes = fs.readFileSync(raw);
    assert.equal(bytes.length, 256 * 256 * 3 + 256 * 256 * 4);
    const input = new Float32Array(256 * 256 * 3);
    for (let i = 0; i < input.length; i++) input[i] = bytes[i] / 255;
    const ours = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 256 * 256 * 3, bytes.byteOffset + bytes.length));
    const inFile = path.join(tmp, 'in.f32');
    const outFile = path.join(tmp, 'out.f32');
    fs.writeFileSync(inFile, Buffer.from(input.buffer));
    execFileSync('node', [path.join(SRC, 'tests/support/photo_tflite_run.cjs'), path.join(MODELS, 'npm'), swapped,
      inFile, outFile], { stdio: ['ignore', 'ignore', 'inherit'] });
    const out = fs.readFileSync(outFile);
    const ref = new Float32Array(out.buffer, out.byteOffset, out.length / 4);
    assert.equal(ref.length, ours.length);
    let maxDiff = 0;
    let person = 0;
    for (let i = 0; i < ref.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(ref[i] - ours[i]));
      if (ref[i] > 0.5) person++;
    }
    console.log(`${rel}: max |tflite - onnx| = ${maxDiff.toExponential(2)}, person pixels ${person}`);
    // A real mask, not an empty one that would agree trivially.
    assert.ok(person > 2000 && person < 60000, `person pixels ${person}`);
    assert.ok(maxDiff < 2e-4, `max difference ${maxDiff}`);
  });
}
