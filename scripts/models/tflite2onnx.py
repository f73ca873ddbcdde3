#!/usr/bin/python3
"""tflite2onnx: convert MediaPipe's selfie-segmentation TFLite model to ONNX (opset 12) for OpenCV DNN.

Why a converter of our own: OpenCV 4.6 reads ONNX but not TFLite, and the usual converters are not
packaged in Debian. The TFLite file is a flatbuffer; we read it with the bare `flatbuffers` runtime
(slot numbers from tensorflow/lite/schema/schema.fbs) and emit ONNX with onnx.helper.

Layout: TFLite is NHWC, the ONNX graph is NCHW (what cv::dnn::blobFromImage gives). Activations
keep their TFLite names; constants are transposed as they are read:
  - CONV_2D weights OHWI -> OIHW; DEPTHWISE_CONV_2D weights 1HW(C*m) -> (C*m)1HW, grouped Conv
  - float16 weights behind DEQUANTIZE are folded to float32 constants
  - TFLite SAME padding becomes explicit (asymmetric) pads
  - HARD_SWISH = x * HardSigmoid(alpha=1/6, beta=0.5) (OpenCV 4.6 rejects Clip with min/max inputs)
  - RESIZE_BILINEAR(half_pixel_centers) = Resize(linear, half_pixel) with explicit scales
  - custom Convolution2DTransposeBias = ConvTranspose (2x2, stride 2) with bias
Any other op stops the conversion with an error: we never emit a graph we do not understand.

Usage: tflite2onnx.py IN.tflite OUT.onnx
"""
import struct
import sys

import flatbuffers
import numpy as np
import onnx
from flatbuffers import number_types as N
from onnx import TensorProto, helper, numpy_helper

# Builtin operator codes (schema.fbs BuiltinOperator).
ADD, AVERAGE_POOL_2D, CONCATENATION, CONV_2D, DEPTHWISE_CONV_2D = 0, 1, 2, 3, 4
DEQUANTIZE, LOGISTIC, MUL, RELU, RESHAPE, RESIZE_BILINEAR = 6, 14, 18, 19, 22, 23
CUSTOM, TRANSPOSE_CONV, HARD_SWISH = 32, 67, 117
ACT_NONE, ACT_RELU, ACT_RELU6 = 0, 1, 3
TYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}


class T:
    """A flatbuffer table with slot-number accessors."""

    def __init__(self, buf, pos):
        self.t = flatbuffers.table.Table(buf, pos)
        self.buf = buf

    def _o(self, slot):
        return self.t.Offset(4 + 2 * slot)

    def scalar(self, slot, flags, default=0):
        o = self._o(slot)
        return self.t.Get(flags, o + self.t.Pos) if o else default

    def table(self, slot):
        o = self._o(slot)
        return T(self.buf, self.t.Indirect(o + self.t.Pos)) if o else None

    def string(self, slot):
        o = self._o(slot)
        return self.t.String(o + self.t.Pos).decode() if o else ""

    def vec_len(self, slot):
        o = self._o(slot)
        return self.t.VectorLen(o) if o else 0

    def vec_tables(self, slot):
        o = self._o(slot)
        if not o:
            return []
        start = self.t.Vector(o)
        return [T(self.buf, self.t.Indirect(start + 4 * i)) for i in range(self.t.VectorLen(o))]

    def vec_np(self, slot, dtype):
        o = self._o(slot)
        if not o:
            return np.zeros(0, dtype)
        start, n = self.t.Vector(o), self.t.VectorLen(o)
        return np.frombuffer(self.buf, dtype=dtype, count=n, offset=start)


def read_model(path):
    buf = bytearray(open(path, "rb").read())
    root = T(buf, flatbuffers.encode.Get(flatbuffers.packer.uoffset, buf, 0))
    opcodes = []
    for oc in root.vec_tables(1):
        # The builtin code is the larger of the deprecated int8 field and the int32 field.
        code = max(oc.scalar(0, N.Int8Flags), oc.scalar(3, N.Int32Flags))
        opcodes.append((code, oc.string(1)))
    buffers = [b.vec_np(0, np.uint8) for b in root.vec_tables(4)]
    sg = root.vec_tables(2)
    if len(sg) != 1:
        raise SystemExit("expected one subgraph, found %d" % len(sg))
    return root, opcodes, buffers, sg[0]


def same_pads(in_hw, k_hw, s_hw, d_hw=(1, 1)):
    pads_begin, pads_end = [], []
    for i, k, s, d in zip(in_hw, k_hw, s_hw, d_hw):
        ek = (k - 1) * d + 1
        out = -(-i // s)
        total = max((out - 1) * s + ek - i, 0)
        pads_begin.append(total // 2)
        pads_end.append(total - total // 2)
    return pads_begin + pads_end


def convert(src, dst):
    _, opcodes, buffers, sg = read_model(src)
    tensors = []
    for t in sg.vec_tables(0):
        shape = [int(v) for v in t.vec_np(0, np.int32)]
        ttype = t.scalar(1, N.Uint8Flags)
        data = buffers[t.scalar(2, N.Uint32Flags)] if t.scalar(2, N.Uint32Flags) < len(buffers) else None
        arr = None
        if data is not None and len(data) > 0:
            arr = np.frombuffer(data.tobytes(), dtype=TYPES[ttype]).reshape(shape)
        tensors.append({"name": t.string(3), "shape": shape, "type": ttype, "const": arr})

    def name(i):
        return "t%d" % i

    nodes, inits, counter = [], [], [0]

    def fresh(prefix):
        counter[0] += 1
        return "%s_%d" % (prefix, counter[0])

    def const(i, transform=None):
        """Initializer for constant tensor i (float16 folded to float32), transposed by `transform`."""
        arr = tensors[i]["const"]
        if arr is None:
            raise SystemExit("tensor %s is not constant" % tensors[i]["name"])
        arr = arr.astype(np.float32) if arr.dtype == np.float16 else arr
        if transform is not None:
            arr = transform(arr)
        nm = fresh("c")
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), nm))
        return nm

    def nhwc_const_to_nchw(arr):
        # Elementwise constants broadcast against NHWC activations: move channels first.
        if arr.ndim == 4:
            return arr.transpose(0, 3, 1, 2)
        if arr.ndim == 1:
            return arr.reshape(1, -1, 1, 1)
        return arr

    def activation(out, act):
        if act == ACT_NONE:
            return out
        tmp = fresh("preact")
        if act == ACT_RELU:
            nodes.append(helper.make_node("Relu", [tmp], [out]))
        elif act == ACT_RELU6:
            nodes.append(helper.make_node("Clip", [tmp], [out], min=0.0, max=6.0))
        else:
            raise SystemExit("unsupported fused activation %d" % act)
        return tmp

    op_count = {}
    for op in sg.vec_tables(3):
        code, custom = opcodes[op.scalar(0, N.Uint32Flags)]
        ins = [int(v) for v in op.vec_np(1, np.int32)]
        outs = [int(v) for v in op.vec_np(2, np.int32)]
        opt = op.table(4)
        key = custom if code == CUSTOM else code
        op_count[key] = op_count.get(key, 0) + 1
        o = name(outs[0])
        if code == DEQUANTIZE:
            # float16 weights: give the output tensor the folded float32 value.
            tensors[outs[0]]["const"] = tensors[ins[0]]["const"].astype(np.float32)
            continue
        if code in (CONV_2D, DEPTHWISE_CONV_2D):
            w = tensors[ins[1]]
            in_shape = tensors[ins[0]]["shape"]
            if code == CONV_2D:
                padding, sw, sh = opt.scalar(0, N.Int8Flags), opt.scalar(1, N.Int32Flags), opt.scalar(2, N.Int32Flags)
                act = opt.scalar(3, N.Int8Flags)
                dw, dh = opt.scalar(4, N.Int32Flags, 1), opt.scalar(5, N.Int32Flags, 1)
                wname = const(ins[1], lambda a: a.transpose(0, 3, 1, 2))
                group = 1
                kh, kw = w["shape"][1], w["shape"][2]
            else:
                padding, sw, sh = opt.scalar(0, N.Int8Flags), opt.scalar(1, N.Int32Flags), opt.scalar(2, N.Int32Flags)
                act = opt.scalar(4, N.Int8Flags)
                dw, dh = opt.scalar(5, N.Int32Flags, 1), opt.scalar(6, N.Int32Flags, 1)
                wname = const(ins[1], lambda a: a.transpose(3, 0, 1, 2))
                group = in_shape[3]
                kh, kw = w["shape"][1], w["shape"][2]
            pads = same_pads(in_shape[1:3], (kh, kw), (sh, sw), (dh, dw)) if padding == 0 else [0, 0, 0, 0]
            inputs = [name(ins[0]), wname]
            if len(ins) > 2 and ins[2] >= 0:
                inputs.append(const(ins[2]))
            target = activation(o, act)
            nodes.append(helper.make_node("Conv", inputs, [target], kernel_shape=[kh, kw], strides=[sh, sw],
                                          dilations=[dh, dw], pads=pads, group=group))
        elif code == CUSTOM and custom == "Convolution2DTransposeBias":
            raw = op.vec_np(5, np.uint8).tobytes()
            padding, stride_w, stride_h = struct.unpack("<iii", raw[:12])
            w = tensors[ins[1]]
            kh, kw = w["shape"][1], w["shape"][2]
            if padding != 1 and not (kh == stride_h and kw == stride_w):
                raise SystemExit("transpose conv: only kernel == stride supported with SAME padding")
            wname = const(ins[1], lambda a: a.transpose(3, 0, 1, 2))  # OHWI -> I O H W
            nodes.append(helper.make_node("ConvTranspose", [name(ins[0]), wname, const(ins[2])], [o],
                                          kernel_shape=[kh, kw], strides=[stride_h, stride_w]))
        elif code in (ADD, MUL):
            act = opt.scalar(0, N.Int8Flags) if opt else ACT_NONE
            operands = []
            for i in ins:
                operands.append(const(i, nhwc_const_to_nchw) if tensors[i]["const"] is not None else name(i))
            target = activation(o, act)
            nodes.append(helper.make_node("Add" if code == ADD else "Mul", operands, [target]))
        elif code == RELU:
            nodes.append(helper.make_node("Relu", [name(ins[0])], [o]))
        elif code == LOGISTIC:
            nodes.append(helper.make_node("Sigmoid", [name(ins[0])], [o]))
        elif code == HARD_SWISH:
            hs = fresh("hsig")
            nodes.append(helper.make_node("HardSigmoid", [name(ins[0])], [hs], alpha=1.0 / 6.0, beta=0.5))
            nodes.append(helper.make_node("Mul", [name(ins[0]), hs], [o]))
        elif code == AVERAGE_POOL_2D:
            padding, sw, sh = opt.scalar(0, N.Int8Flags), opt.scalar(1, N.Int32Flags), opt.scalar(2, N.Int32Flags)
            fw, fh, act = opt.scalar(3, N.Int32Flags), opt.scalar(4, N.Int32Flags), opt.scalar(5, N.Int8Flags)
            in_shape = tensors[ins[0]]["shape"]
            target = activation(o, act)
            if fh == in_shape[1] and fw == in_shape[2]:
                nodes.append(helper.make_node("GlobalAveragePool", [name(ins[0])], [target]))
            else:
                if padding == 0 and same_pads(in_shape[1:3], (fh, fw), (sh, sw)) != [0, 0, 0, 0]:
                    raise SystemExit("padded average pool is not supported")
                nodes.append(helper.make_node("AveragePool", [name(ins[0])], [target], kernel_shape=[fh, fw],
                                              strides=[sh, sw]))
        elif code == RESIZE_BILINEAR:
            align, half = opt.scalar(2, N.BoolFlags, False), opt.scalar(3, N.BoolFlags, False)
            in_shape, out_shape = tensors[ins[0]]["shape"], tensors[outs[0]]["shape"]
            scales = np.array([1, 1, out_shape[1] / in_shape[1], out_shape[2] / in_shape[2]], np.float32)
            roi = fresh("roi")
            inits.append(numpy_helper.from_array(np.zeros(0, np.float32), roi))
            sc = fresh("scales")
            inits.append(numpy_helper.from_array(scales, sc))
            mode = "align_corners" if align else ("half_pixel" if half else "asymmetric")
            nodes.append(helper.make_node("Resize", [name(ins[0]), roi, sc], [o], mode="linear",
                                          coordinate_transformation_mode=mode))
        else:
            raise SystemExit("unsupported op %r" % (key,))

    in_i, out_i = int(sg.vec_np(1, np.int32)[0]), int(sg.vec_np(2, np.int32)[0])
    ish, osh = tensors[in_i]["shape"], tensors[out_i]["shape"]
    graph = helper.make_graph(
        nodes, "selfie_segmentation",
        [helper.make_tensor_value_info(name(in_i), TensorProto.FLOAT, [ish[0], ish[3], ish[1], ish[2]])],
        [helper.make_tensor_value_info(name(out_i), TensorProto.FLOAT, [osh[0], osh[3], osh[1], osh[2]])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)], producer_name="tucai-tflite2onnx")
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    summary = ", ".join("%s %d" % (k, v) for k, v in sorted(op_count.items(), key=lambda kv: str(kv[0])))
    print("converted %s -> %s (%d nodes; tflite ops: %s)" % (src, dst, len(nodes), summary))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    convert(sys.argv[1], sys.argv[2])
