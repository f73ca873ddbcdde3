#!/usr/bin/python3
"""tfjs2onnx: convert a TensorFlow.js graph model (model.json + .bin shards) to ONNX (opset 12) for
OpenCV 4.6 DNN.

Why a converter of our own: OpenCV reads ONNX, not TF.js, and tf2onnx/tfjs-converter's Python side
are not packaged in Debian (no PyPI here). The model.json holds a frozen TensorFlow GraphDef as JSON;
the weights are the manifest's tensors concatenated in order, floats usually quantized (uint8 with
w = q * scale + min, or float16).

How: only the inputs named with --input are unknown (symbolic); every other value is folded with
numpy while the graph is walked from the requested outputs: Placeholders given with --fold become
constants, shape arithmetic folds away, Switch/Merge resolve by the folded predicate, and what
depends on an unknown input is emitted as ONNX:
  - NHWC activations become NCHW (what cv::dnn::blobFromImage gives); weights are transposed
  - Pad and SpaceToBatchND -> conv -> BatchToSpaceND (TF's dilated conv) fold into one Conv with
    explicit pads and dilation
  - a per-channel Mul/Add right after a Conv folds into its weights and bias (batch norm)
  - a ConcatV2 with a constant all-zero part feeding a Conv (a GRU with a zero state) becomes the
    Conv with the unused input channels trimmed; x * 0 is 0, x + 0 is x
  - Relu6 and clip_by_value: OpenCV 4.6 rejects opset-11+ Clip (min/max as inputs) and an
    opset-10 Clip with attributes is not valid opset 12, so at opset 12 (the default) a clip to
    [lo, hi] is written HardSigmoid(alpha=1/(hi-lo), beta=-lo/(hi-lo)) followed by Mul/Add only
    where hi-lo != 1 or lo != 0 (both load in OpenCV 4.6 and pass onnx.checker). With --opset 10 it
    is the opset-10 Clip with min/max attributes, which OpenCV 4.6 reads as its ReLU6 layer and fuses
    into the convolution before it: faceres (27 of them) runs in 25 ms instead of 41 on one core.
    Only graphs whose every op is valid opset 10 can have it (onnx.checker is run at that opset and
    refuses, e.g., RVM's Resize with a coordinate_transformation_mode)
  - a Relu whose only use is a clip to [lo >= 0, hi] is dropped (faceres has Relu then Relu6 after
    each convolution): clip(relu(x)) = clip(x) exactly, and the clip alone fuses into the convolution
  - with --depthwise-min-width 18, a 3x3 depthwise convolution narrower than 18 columns is padded
    to 18 and cropped after (widen_narrow_depthwise: OpenCV 4.6's fast path needs the width; faceres
    21 ms instead of 26, the same values)
  - Mean over H,W = GlobalAveragePool, Mean over channels = 1x1 Conv, Split/SplitV = Slice,
    ResizeBilinear = Resize(linear) by scales (half_pixel / align_corners / asymmetric from the
    op's attributes), _FusedMatMul = Gemm (weights [out, in], transB=1, what OpenCV 4.6 needs)
Any other op, or an op used in a way not listed, stops the conversion with an error naming it: we
never emit a graph we do not understand.

Input sizes: when an unknown input's H and W are free (-1 in the model), the graph is traced at two
sizes (--trace) and the two ONNX graphs must be identical, which proves that nothing baked into the
file depends on the size (Resize by scales, no shape constants); the file then declares H and W
symbolic and serves any size the model itself accepts (RVM: H*ratio and W*ratio multiples of 16).
With --size WxH the size is fixed instead. RVM needs --size: its fast guided filter box-filters the
low-resolution result with VALID padding and resizes (H*ratio-2) -> H, a scale that depends on H, and
OpenCV 4.6 folds Shape to a constant at import, so no size-free Resize can express it; the setup
(scripts/setup-models.sh, RVM_SIZES) converts one file per input size the engine uses. faceres and
emotion have fixed sizes in the model itself.

Usage:
  tfjs2onnx.py MODEL.json OUT.onnx --input NAME [--fold NAME=VALUE ...] --outputs onnx=node[,onnx=node]
               [--size WxH | --trace WxH,WxH] [--opset 10|12]
e.g. RVM for single images at downsample ratio 0.375:
  tfjs2onnx.py rvm.json rvm.onnx --input src --fold downsample_ratio=0.375 --fold r1i=0 --fold r2i=0 \\
               --fold r3i=0 --fold r4i=0 --outputs fgr=Identity,pha=Identity_1
"""
import argparse
import base64
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_, "float16": np.float16,
          "uint8": np.uint8, "uint16": np.uint16}
TF_DTYPES = {"DT_FLOAT": np.float32, "DT_INT32": np.int32, "DT_BOOL": np.bool_, "DT_INT64": np.int64}


class ConvertError(Exception):
    pass


def fail(msg):
    raise ConvertError(msg)


# ---------------------------------------------------------------------------------------------
# Reading the model

def load_weights(model_path, manifest):
    """Returns {name: numpy array} for every tensor in the weights manifest, dequantized."""
    out = {}
    base = os.path.dirname(model_path)
    for group in manifest:
        buf = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            n = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            if q:
                qd = np.dtype(DTYPES[q["dtype"]])
                raw = np.frombuffer(buf, qd, n, off)
                off += n * qd.itemsize
                if q["dtype"] == "float16":
                    arr = raw.astype(np.float32)
                elif "scale" in q:
                    arr = (raw.astype(np.float64) * q["scale"] + q["min"]).astype(np.float32)
                else:
                    fail("weight %s: quantization %r not understood" % (w["name"], q))
                if w["dtype"] != "float32":
                    fail("weight %s: quantized %s not understood" % (w["name"], w["dtype"]))
            else:
                if w["dtype"] not in DTYPES:
                    fail("weight %s: dtype %s not understood" % (w["name"], w["dtype"]))
                dt = np.dtype(DTYPES[w["dtype"]])
                arr = np.frombuffer(buf, dt, n, off).copy()
                off += n * dt.itemsize
            out[w["name"]] = arr.reshape(shape)
        if off != len(buf):
            fail("weights: %d bytes read, the files hold %d" % (off, len(buf)))
    return out


def inline_const(node):
    """The value of a Const node whose data sits in the graph itself (not in the manifest)."""
    t = node.get("attr", {}).get("value", {}).get("tensor")
    if t is None:
        fail("Const %s has no value" % node["name"])
    dt = TF_DTYPES.get(t.get("dtype"))
    if dt is None:
        fail("Const %s: dtype %s not understood" % (node["name"], t.get("dtype")))
    shape = [int(d.get("size", 0)) for d in t.get("tensorShape", {}).get("dim", [])]
    if "tensorContent" in t:
        arr = np.frombuffer(base64.b64decode(t["tensorContent"]), dt)
    else:
        key = {np.float32: "floatVal", np.int32: "intVal", np.bool_: "boolVal", np.int64: "int64Val"}[dt]
        vals = t.get(key, [])
        arr = np.array([v if dt is not np.float32 else float(v) for v in vals], dt)
        if arr.size == 1 and shape:
            arr = np.full(shape, arr[0], dt)
    return arr.reshape(shape)


def attr(node, key, default=None):
    a = node.get("attr", {}).get(key)
    if a is None:
        return default
    if "list" in a:
        lst = a["list"]
        if "i" in lst:
            return [int(v) for v in lst["i"]]
        if "s" in lst:
            return [base64.b64decode(v).decode() for v in lst["s"]]
        if "f" in lst:
            return [float(v) for v in lst["f"]]
        return []
    if "i" in a:
        return int(a["i"])
    if "f" in a:
        return float(a["f"])
    if "b" in a:
        return bool(a["b"])
    if "s" in a:
        return base64.b64decode(a["s"]).decode()
    if "type" in a:
        return a["type"]
    return a


# ---------------------------------------------------------------------------------------------
# Values while walking the graph. A constant is a numpy array (TF layout). The others:

class Sym:
    """A tensor computed at run time: its ONNX name and its TF shape at the traced size. Rank-4
    tensors are NHWC in TF and NCHW in the ONNX graph."""

    def __init__(self, name, shape):
        self.name, self.shape = name, [int(s) for s in shape]


class Dead:
    """The untaken side of a Switch."""


DEAD = Dead()


class Padded:
    """Pad(x) waiting for the convolution that absorbs it: pads [[top, bottom], [left, right]]."""

    def __init__(self, x, pads):
        self.x, self.pads = x, pads


class SpaceToBatch:
    """SpaceToBatchND(x) waiting for its convolution: block [bh, bw], pads [[t, b], [l, r]]."""

    def __init__(self, x, block, pads):
        self.x, self.block, self.pads = x, block, pads


class BatchedConv:
    """A convolution on a SpaceToBatch value, emitted once BatchToSpaceND gives its crops."""

    def __init__(self, emit_with_crops):
        self.emit_with_crops = emit_with_crops


class Cat:
    """ConcatV2 along channels with a constant part (a zero state): materialised by its consumer."""

    def __init__(self, parts):
        self.parts = parts


class PendingConv:
    """A Conv not yet emitted, so that a following per-channel Mul/Add (batch norm) folds into it."""

    def __init__(self, x, w, b, attrs, out_shape):
        self.x, self.w, self.b, self.attrs, self.shape = x, w, b, attrs, out_shape


class MinC:
    """Minimum(x, c) waiting for the Maximum(., lo) of a clip_by_value."""

    def __init__(self, x, hi):
        self.x, self.hi = x, hi


def shape_of(v):
    """The TF shape of any value (BatchedConv has none until its crops are known)."""
    if isinstance(v, Padded):
        s = list(shape_of(v.x))
        return [s[0], s[1] + sum(v.pads[0]), s[2] + sum(v.pads[1]), s[3]]
    if isinstance(v, SpaceToBatch):
        s = list(shape_of(v.x))
        h, w = s[1] + sum(v.pads[0]), s[2] + sum(v.pads[1])
        return [s[0] * v.block[0] * v.block[1], h // v.block[0], w // v.block[1], s[3]]
    if isinstance(v, Cat):
        s = list(shape_of(v.parts[0]))
        return s[:-1] + [sum(shape_of(p)[-1] for p in v.parts)]
    if isinstance(v, MinC):
        return shape_of(v.x)
    if isinstance(v, BatchedConv):
        fail("the shape of a convolution inside SpaceToBatchND is asked for")
    return list(v.shape)


def is_const(v):
    return isinstance(v, np.ndarray)


def channels_of(v):
    return shape_of(v)[-1]


# ---------------------------------------------------------------------------------------------
# Constant folding of TF ops with numpy

def strided_slice(x, begin, end, strides, node):
    for m in ("ellipsis_mask", "new_axis_mask"):
        if attr(node, m, 0):
            fail("StridedSlice %s: %s not supported" % (node["name"], m))
    bm, em, sm = attr(node, "begin_mask", 0), attr(node, "end_mask", 0), attr(node, "shrink_axis_mask", 0)
    idx = []
    for i in range(len(begin)):
        if sm >> i & 1:
            idx.append(int(begin[i]))
            continue
        b = None if bm >> i & 1 else int(begin[i])
        e = None if em >> i & 1 else int(end[i])
        idx.append(slice(b, e, int(strides[i])))
    return np.asarray(x[tuple(idx)])


NP_BINARY = {"Add": np.add, "AddV2": np.add, "Sub": np.subtract, "Mul": np.multiply, "RealDiv": np.divide,
             "Maximum": np.maximum, "Minimum": np.minimum, "FloorMod": np.mod, "Equal": np.equal}


def fold(op, node, ins):
    """The value of `op` on constant inputs, or None when the op has no numpy rule."""
    if op in NP_BINARY:
        a, b = ins
        r = NP_BINARY[op](a, b)
        return np.asarray(r, dtype=np.result_type(a, b) if op != "Equal" else np.bool_)
    if op == "Identity":
        return ins[0]
    if op == "Shape":
        return np.array(ins[0].shape, np.int32)
    if op == "Cast":
        return ins[0].astype(TF_DTYPES[attr(node, "DstT")])
    if op == "Pack":
        return np.stack(ins, axis=attr(node, "axis", 0))
    if op == "Squeeze":
        dims = attr(node, "squeeze_dims", [])
        return np.squeeze(ins[0], axis=tuple(dims) if dims else None)
    if op == "StridedSlice":
        return strided_slice(*ins, node)
    if op == "BroadcastTo":
        return np.broadcast_to(ins[0], [int(s) for s in ins[1]]).copy()
    if op == "ConcatV2":
        return np.concatenate(ins[:-1], axis=int(ins[-1]))
    if op == "Square":
        return ins[0] * ins[0]
    if op in ("Sigmoid", "Tanh", "Relu", "Relu6"):
        x = ins[0].astype(np.float32)
        return {"Sigmoid": lambda: 1 / (1 + np.exp(-x)), "Tanh": lambda: np.tanh(x),
                "Relu": lambda: np.maximum(x, 0), "Relu6": lambda: np.clip(x, 0, 6)}[op]()
    return None


# ---------------------------------------------------------------------------------------------
# The converter

class Converter:
    def __init__(self, model, weights, inputs, folds, opset=12):
        self.opset = opset
        self.nodes = {n["name"]: n for n in model["modelTopology"]["node"]}
        self.weights = weights
        self.inputs = inputs  # {name: TF shape}
        self.folds = folds
        self.memo = {}
        self.onnx_nodes, self.inits = [], []
        self.counter = 0
        self.used_ops = {}
        self.consumers = {}
        for n in self.nodes.values():
            for i in n.get("input", []):
                if not i.startswith("^"):
                    self.consumers[self.ref(i)] = self.consumers.get(self.ref(i), 0) + 1

    @staticmethod
    def ref(s):
        name, _, idx = s.partition(":")
        return name, int(idx) if idx else 0

    # -- emitting ---------------------------------------------------------------------------
    def fresh(self, prefix):
        self.counter += 1
        return "%s_%d" % (prefix, self.counter)

    def const(self, arr, prefix="c"):
        nm = self.fresh(prefix)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), nm))
        return nm

    def emit(self, op, inputs, shape, **attrs):
        out = self.fresh(op.lower())
        self.onnx_nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return Sym(out, shape)

    def nchw_const(self, c, rank):
        """A constant operand for an elementwise op on a rank-`rank` activation, in ONNX layout."""
        c = np.asarray(c, np.float32)
        if rank == 4 and c.ndim == 4:
            return c.transpose(0, 3, 1, 2)
        if rank == 4 and c.ndim == 1 and c.size > 1:
            return c.reshape(1, -1, 1, 1)
        if c.ndim >= 1 and c.size == 1:
            return c.reshape(())
        return c

    def clip(self, x, lo, hi):
        """clip(x, lo, hi) in a form OpenCV 4.6 loads (see the header)."""
        x = self.sym(x)
        if self.opset == 10:
            return self.emit("Clip", [x.name], x.shape, min=float(lo), max=float(hi))
        span = float(hi) - float(lo)
        y = self.emit("HardSigmoid", [x.name], x.shape, alpha=1.0 / span, beta=-float(lo) / span)
        if span != 1.0:
            y = self.emit("Mul", [y.name, self.const(np.array(span, np.float32))], x.shape)
        if float(lo) != 0.0:
            y = self.emit("Add", [y.name, self.const(np.array(lo, np.float32))], x.shape)
        return y

    def sym(self, v):
        """Materialises a pending value as an emitted tensor (once, however many consumers it has)."""
        if isinstance(v, Sym):
            return v
        if getattr(v, "emitted", None) is None:
            v.emitted = self.materialise(v)
        return v.emitted

    def materialise(self, v):
        if isinstance(v, PendingConv):
            ins = [self.sym(v.x).name, self.const(v.w, "w")]
            if v.b is not None:
                ins.append(self.const(v.b.astype(np.float32), "b"))
            return self.emit("Conv", ins, v.shape, **v.attrs)
        if isinstance(v, Cat):
            if any(is_const(p) for p in v.parts):
                fail("a concatenation with a constant part is used other than by a convolution")
            shape = list(v.parts[0].shape)
            shape[-1] = sum(p.shape[-1] for p in v.parts)
            return self.emit("Concat", [self.sym(p).name for p in v.parts], shape, axis=1)
        if isinstance(v, MinC):
            fail("Minimum without the Maximum of a clip_by_value is not supported")
        if isinstance(v, (Padded, SpaceToBatch, BatchedConv)):
            fail("%s used other than around a convolution" % type(v).__name__)
        fail("value %r cannot be emitted" % (v,))

    # -- walking ----------------------------------------------------------------------------
    def value(self, ref_str):
        name, idx = self.ref(ref_str)
        if name not in self.memo:
            self.memo[name] = self.evaluate(self.nodes[name])
        outs = self.memo[name]
        if idx >= len(outs):
            fail("%s has no output %d" % (name, idx))
        return outs[idx]

    def evaluate(self, node):
        op, name = node["op"], node["name"]
        self.used_ops[op] = self.used_ops.get(op, 0) + 1
        if op == "Const":
            return [self.weights[name] if name in self.weights else inline_const(node)]
        if op == "Placeholder":
            if name in self.folds:
                return [self.folds[name]]
            if name in self.inputs:
                return [Sym(name, self.inputs[name])]
            fail("placeholder %s is neither --input nor --fold" % name)
        if op == "NoOp":
            return []
        ins = [self.value(i) for i in node.get("input", []) if not i.startswith("^")]
        if op == "Merge":
            live = [v for v in ins if v is not DEAD]
            if len(live) != 1:
                fail("Merge %s: %d live inputs, expected 1" % (name, len(live)))
            return [live[0], np.int32(ins.index(live[0]))]
        if op == "Switch":
            data, pred = ins
            if data is DEAD or pred is DEAD:
                return [DEAD, DEAD]
            if not is_const(pred):
                fail("Switch %s: predicate depends on an input; fold it with --fold" % name)
            return [DEAD, data] if bool(pred) else [data, DEAD]
        if any(v is DEAD for v in ins):
            return [DEAD] * 8
        if all(is_const(v) for v in ins):
            r = fold(op, node, ins)
            if r is not None:
                return [r]
            if op not in ("Split", "SplitV"):
                fail("op %s (%s) on constants is not supported" % (op, name))
        handler = getattr(self, "op_" + op.lstrip("_"), None)
        if handler is None:
            fail("unsupported op %s (%s)" % (op, name))
        out = handler(node, ins)
        return out if isinstance(out, list) else [out]

    def single_use(self, node):
        return self.consumers.get((node["name"], 0), 0) == 1

    # -- ops --------------------------------------------------------------------------------
    def op_Identity(self, node, ins):
        return ins[0]

    def op_Shape(self, node, ins):
        return np.array(shape_of(ins[0]), np.int32)

    def conv(self, node, ins, depthwise):
        x, w = ins[0], ins[1]
        if not is_const(w):
            fail("%s: weights are not constant" % node["name"])
        if attr(node, "data_format", "NHWC") != "NHWC":
            fail("%s: data_format %s" % (node["name"], attr(node, "data_format")))
        strides = attr(node, "strides", [1, 1, 1, 1])
        dil = attr(node, "dilations", [1, 1, 1, 1])
        padding = attr(node, "padding", "VALID")
        if padding not in ("SAME", "VALID"):
            fail("%s: padding %s" % (node["name"], padding))
        fused = attr(node, "fused_ops", [])
        extra = ins[2:]
        bias, act = None, None
        for f in fused:
            if f == "BiasAdd":
                bias = extra[0]
                if not is_const(bias):
                    fail("%s: bias is not constant" % node["name"])
            elif f in ("Relu", "Relu6") and act is None:
                act = f
            else:
                fail("%s: fused op %s not supported" % (node["name"], f))
        if len(extra) != (1 if bias is not None else 0):
            fail("%s: %d extra arguments" % (node["name"], len(extra)))
        kh, kw = w.shape[0], w.shape[1]
        if depthwise:
            cin = w.shape[2]
            wo = w.reshape(kh, kw, cin * w.shape[3]).transpose(2, 0, 1)[:, None, :, :]
            group, cout = cin, cin * w.shape[3]
        else:
            wo = w.transpose(3, 2, 0, 1)
            group, cout = 1, w.shape[3]
        wo = np.ascontiguousarray(wo, np.float32)
        pre = [[0, 0], [0, 0]]
        block = None
        if isinstance(x, SpaceToBatch):
            block, s2b_pads, x = x.block, x.pads, x.x
            if padding != "VALID" or strides[1:3] != [1, 1] or dil[1:3] != [1, 1]:
                fail("%s: a convolution inside SpaceToBatchND must be VALID, stride 1" % node["name"])
        if isinstance(x, Padded):
            pre, x = x.pads, x.x
        if isinstance(x, Cat):
            if depthwise:
                fail("%s: depthwise convolution of a concatenation with constants" % node["name"])
            keep, parts, c0 = [], [], 0
            for p in x.parts:
                c = channels_of(p)
                if is_const(p):
                    if np.any(p != 0):
                        fail("%s: concatenated constant is not zero" % node["name"])
                else:
                    keep.extend(range(c0, c0 + c))
                    parts.append(p)
                c0 += c
            wo = np.ascontiguousarray(wo[:, keep])
            x = self.sym(parts[0]) if len(parts) == 1 else self.sym(Cat(parts))
        x = self.sym(x)
        if len(x.shape) != 4 or wo.shape[1] * group != x.shape[3]:
            fail("%s: input channels do not match the weights" % node["name"])
        ih, iw = x.shape[1], x.shape[2]
        sh, sw = strides[1], strides[2]
        dh, dw = dil[1], dil[2]

        def finish(pads, dilations, out_hw):
            attrs = dict(kernel_shape=[kh, kw], strides=[sh, sw], dilations=dilations, pads=pads, group=group)
            shape = [x.shape[0], out_hw[0], out_hw[1], cout]
            b = None if bias is None else np.asarray(bias, np.float32)
            pc = PendingConv(x, wo, b, attrs, shape)
            if act is None and self.single_use(node):
                return pc
            y = self.sym(pc)
            if act == "Relu":
                y = self.emit("Relu", [y.name], y.shape)
            elif act == "Relu6":
                y = self.clip(y, 0, 6)
            return y

        if block is not None:
            def with_crops(crops):
                pads = [pre[0][0] + s2b_pads[0][0] - crops[0][0], pre[1][0] + s2b_pads[1][0] - crops[1][0],
                        pre[0][1] + s2b_pads[0][1] - crops[0][1], pre[1][1] + s2b_pads[1][1] - crops[1][1]]
                if min(pads) < 0:
                    fail("%s: negative padding after BatchToSpaceND" % node["name"])
                oh = ih + pads[0] + pads[2] - (kh - 1) * block[0]
                ow = iw + pads[1] + pads[3] - (kw - 1) * block[1]
                return finish(pads, list(block), (oh, ow))
            return BatchedConv(with_crops)
        if padding == "SAME":
            pads = []
            for i, k, s, d in ((ih, kh, sh, dh), (iw, kw, sw, dw)):
                ek = (k - 1) * d + 1
                total = max((-(-i // s) - 1) * s + ek - i, 0)
                pads.append([total // 2, total - total // 2])
        else:
            pads = [[0, 0], [0, 0]]
        pads = [pads[0][0] + pre[0][0], pads[1][0] + pre[1][0], pads[0][1] + pre[0][1], pads[1][1] + pre[1][1]]
        oh = (ih + pads[0] + pads[2] - (kh - 1) * dh - 1) // sh + 1
        ow = (iw + pads[1] + pads[3] - (kw - 1) * dw - 1) // sw + 1
        return finish(pads, [dh, dw], (oh, ow))

    def op_Conv2D(self, node, ins):
        return self.conv(node, ins, False)

    def op_FusedConv2D(self, node, ins):
        return self.conv(node, ins, False)

    def op_DepthwiseConv2dNative(self, node, ins):
        return self.conv(node, ins, True)

    def op_FusedDepthwiseConv2dNative(self, node, ins):
        return self.conv(node, ins, True)

    def op_Pad(self, node, ins):
        x, p = ins
        if not is_const(p) or p.shape != (4, 2) or np.any(p[0] != 0) or np.any(p[3] != 0):
            fail("%s: only spatial constant padding is supported" % node["name"])
        if isinstance(x, (Padded, SpaceToBatch)):
            fail("%s: padding of a padded value" % node["name"])
        return Padded(x, [[int(p[1][0]), int(p[1][1])], [int(p[2][0]), int(p[2][1])]])

    def op_SpaceToBatchND(self, node, ins):
        x, block, pads = ins
        if not (is_const(block) and is_const(pads)) or block.shape != (2,) or pads.shape != (2, 2):
            fail("%s: SpaceToBatchND with non-constant or non-2D block" % node["name"])
        return SpaceToBatch(x, [int(b) for b in block], [[int(v) for v in r] for r in pads])

    def op_BatchToSpaceND(self, node, ins):
        x, block, crops = ins
        if not isinstance(x, BatchedConv):
            fail("%s: BatchToSpaceND not after a SpaceToBatchND convolution" % node["name"])
        if not is_const(crops) or crops.shape != (2, 2):
            fail("%s: crops not constant" % node["name"])
        return x.emit_with_crops([[int(v) for v in r] for r in crops])

    def elementwise_shape(self, a, b):
        sa = list(a.shape) if not is_const(a) else list(np.shape(a))
        sb = list(b.shape) if not is_const(b) else list(np.shape(b))
        return list(np.broadcast_shapes(tuple(sa), tuple(sb)))

    def binary(self, node, ins):
        op = node["op"]
        a, b = ins
        if op == "Mul" and (is_const(a) or is_const(b)):
            c, x = (a, b) if is_const(a) else (b, a)
            if not np.any(c):
                return np.zeros(self.elementwise_shape(a, b), np.float32)
            if isinstance(x, PendingConv) and c.size == x.shape[-1] and c.ndim <= 1 or \
                    isinstance(x, PendingConv) and c.ndim == 4 and c.shape[:3] == (1, 1, 1):
                s = np.asarray(c, np.float32).reshape(-1)
                b2 = None if x.b is None else x.b * s
                return PendingConv(x.x, x.w * s.reshape(-1, 1, 1, 1), b2, x.attrs, x.shape)
        if op in ("Add", "AddV2", "Sub") and is_const(b) and not is_const(a):
            c = b if op != "Sub" else -np.asarray(b)
            if not np.any(c) and self.elementwise_shape(a, b) == list(a.shape):
                return a
            if isinstance(a, PendingConv) and (c.ndim <= 1 and c.size == a.shape[-1] or
                                               c.ndim == 4 and c.shape[:3] == (1, 1, 1)):
                s = np.asarray(c, np.float32).reshape(-1)
                b2 = s.copy() if a.b is None else a.b + s
                return PendingConv(a.x, a.w, np.broadcast_to(b2, (a.shape[-1],)).copy(), a.attrs, a.shape)
            op, b = "Add", c
        if op in ("Add", "AddV2") and is_const(a) and not is_const(b):
            if not np.any(a) and self.elementwise_shape(a, b) == list(b.shape):
                return b
        if op == "Minimum" and is_const(b) and b.size == 1:
            return MinC(a, float(b.reshape(())))
        if op == "Maximum" and is_const(b) and b.size == 1 and isinstance(a, MinC):
            return self.clip(a.x, float(b.reshape(())), a.hi)
        if op == "RealDiv" and is_const(b):
            op, b = "Mul", 1.0 / np.asarray(b, np.float32)
        onnx_op = {"Add": "Add", "AddV2": "Add", "Sub": "Sub", "Mul": "Mul", "RealDiv": "Div"}.get(op)
        if onnx_op is None:
            fail("%s: %s of these operands is not supported" % (node["name"], op))
        shape = self.elementwise_shape(a, b)
        rank = len(shape)
        names = []
        for v in (a, b):
            if is_const(v):
                if v.ndim == 4 and v.shape[1:3] != (1, 1):
                    fail("%s: constant operand with a spatial extent" % node["name"])
                names.append(self.const(self.nchw_const(v, rank)))
            else:
                names.append(self.sym(v).name)
        return self.emit(onnx_op, names, shape)

    op_Add = op_AddV2 = op_Sub = op_Mul = op_RealDiv = op_Maximum = op_Minimum = binary

    def op_Square(self, node, ins):
        x = self.sym(ins[0])
        return self.emit("Mul", [x.name, x.name], x.shape)

    def unary(self, onnx_op):
        def f(node, ins):
            x = self.sym(ins[0])
            return self.emit(onnx_op, [x.name], x.shape)
        return f

    def op_Relu(self, node, ins):
        return self.unary("Relu")(node, ins)

    def op_Sigmoid(self, node, ins):
        return self.unary("Sigmoid")(node, ins)

    def op_Tanh(self, node, ins):
        return self.unary("Tanh")(node, ins)

    def op_Relu6(self, node, ins):
        return self.clip(ins[0], 0, 6)

    def op_Softmax(self, node, ins):
        x = self.sym(ins[0])
        if len(x.shape) != 2:
            fail("%s: Softmax of rank %d" % (node["name"], len(x.shape)))
        return self.emit("Softmax", [x.name], x.shape, axis=1)

    def op_Mean(self, node, ins):
        x, axes = ins
        x = self.sym(x)
        if not is_const(axes) or len(x.shape) != 4:
            fail("%s: Mean needs constant axes on a rank-4 tensor" % node["name"])
        axes = sorted(int(a) % 4 for a in np.atleast_1d(axes))
        keep = attr(node, "keep_dims", False)
        if axes == [1, 2]:
            y = self.emit("GlobalAveragePool", [x.name], [x.shape[0], 1, 1, x.shape[3]])
            if keep:
                return y
            return self.emit("Flatten", [y.name], [x.shape[0], x.shape[3]], axis=1)
        if axes == [3] and keep:
            c = x.shape[3]
            w = np.full((1, c, 1, 1), 1.0 / c, np.float32)
            return self.emit("Conv", [x.name, self.const(w, "w")], x.shape[:3] + [1], kernel_shape=[1, 1])
        fail("%s: Mean over axes %s (keep_dims %s) not supported" % (node["name"], axes, keep))

    def op_ConcatV2(self, node, ins):
        axis = ins[-1]
        parts = ins[:-1]
        if not is_const(axis):
            fail("%s: axis not constant" % node["name"])
        rank = len(parts[0].shape)
        axis = int(axis) % rank
        if rank != 4 or axis != 3:
            fail("%s: concatenation on axis %d of rank %d" % (node["name"], axis, rank))
        parts = [p if is_const(p) else self.sym(p) for p in parts]
        cat = Cat(parts)
        return cat if any(is_const(p) for p in parts) else self.sym(cat)

    def split(self, node, x, sizes, axis):
        x = self.sym(x)
        if len(x.shape) != 4 or axis % 4 != 3:
            fail("%s: split other than along the channels" % node["name"])
        if sum(sizes) != x.shape[3]:
            fail("%s: split sizes %s do not add up to %d" % (node["name"], sizes, x.shape[3]))
        outs, start = [], 0
        for s in sizes:
            shape = x.shape[:3] + [s]
            outs.append(self.emit("Slice", [x.name, self.const(np.array([start], np.int64), "st"),
                                            self.const(np.array([start + s], np.int64), "en"),
                                            self.const(np.array([1], np.int64), "ax")], shape))
            start += s
        return outs

    def op_Split(self, node, ins):
        dim, x = ins
        n = attr(node, "num_split")
        c = x.shape[int(dim) % 4]
        if is_const(x):
            return list(np.split(x, n, axis=int(dim)))
        return self.split(node, x, [c // n] * n, int(dim))

    def op_SplitV(self, node, ins):
        x, sizes, dim = ins
        if is_const(x):
            return list(np.split(x, np.cumsum(sizes)[:-1], axis=int(dim)))
        return self.split(node, x, [int(s) for s in sizes], int(dim))

    def op_ResizeBilinear(self, node, ins):
        x, size = ins
        x = self.sym(x)
        if not is_const(size):
            fail("%s: size not constant" % node["name"])
        oh, ow = int(size[0]), int(size[1])
        align, half = attr(node, "align_corners", False), attr(node, "half_pixel_centers", False)
        mode = "align_corners" if align else ("half_pixel" if half else "asymmetric")
        # OpenCV sizes the output as int(in * scale) in float: where the nearest float32 to out/in
        # falls short, take the next one up (the sampling positions come from the sizes, in/out).
        scales = [1.0, 1.0]
        for i, o in ((x.shape[1], oh), (x.shape[2], ow)):
            s = np.float32(o / i)
            while int(np.float32(i) * s) < o or int(np.float64(i) * np.float64(s)) < o:
                s = np.nextafter(s, np.float32(np.inf))
            if int(np.float32(i) * s) != o or int(np.float64(i) * np.float64(s)) != o:
                fail("%s: resize %d -> %d cannot be written as a float32 scale" % (node["name"], i, o))
            scales.append(float(s))
        scales = np.array(scales, np.float32)
        return self.emit("Resize", [x.name, self.const(np.zeros(0, np.float32), "roi"), self.const(scales, "scales")],
                         [x.shape[0], oh, ow, x.shape[3]], mode="linear", coordinate_transformation_mode=mode)

    def op_Slice(self, node, ins):
        x, begin, size = ins
        x = self.sym(x)
        if not (is_const(begin) and is_const(size)):
            fail("%s: slice bounds not constant" % node["name"])
        size = [x.shape[i] - int(begin[i]) if int(size[i]) == -1 else int(size[i]) for i in range(len(x.shape))]
        if all(int(b) == 0 for b in begin) and size == x.shape:
            return x  # cropping to the size it already has (the decoder's crop_to_bounding_box)
        fail("%s: a real Slice of an activation is not supported" % node["name"])

    def pool(self, node, ins, onnx_op):
        x = self.sym(ins[0])
        k, s = attr(node, "ksize"), attr(node, "strides")
        if k[0] != 1 or k[3] != 1 or s[0] != 1 or s[3] != 1 or attr(node, "data_format", "NHWC") != "NHWC":
            fail("%s: pooling over batch or channels" % node["name"])
        ih, iw = x.shape[1], x.shape[2]
        if attr(node, "padding") == "SAME":
            pads = []
            for i, kk, ss in ((ih, k[1], s[1]), (iw, k[2], s[2])):
                total = max((-(-i // ss) - 1) * ss + kk - i, 0)
                pads.append([total // 2, total - total // 2])
        else:
            pads = [[0, 0], [0, 0]]
        p = [pads[0][0], pads[1][0], pads[0][1], pads[1][1]]
        oh = (ih + p[0] + p[2] - k[1]) // s[1] + 1
        ow = (iw + p[1] + p[3] - k[2]) // s[2] + 1
        # ONNX AveragePool's default count_include_pad=0 matches TF's SAME averaging.
        return self.emit(onnx_op, [x.name], [x.shape[0], oh, ow, x.shape[3]], kernel_shape=[k[1], k[2]],
                         strides=[s[1], s[2]], pads=p)

    def op_AvgPool(self, node, ins):
        return self.pool(node, ins, "AveragePool")

    def op_MaxPool(self, node, ins):
        return self.pool(node, ins, "MaxPool")

    def op_FusedMatMul(self, node, ins):
        x, w = ins[0], ins[1]
        if attr(node, "transpose_a", False) or attr(node, "transpose_b", False):
            fail("%s: transposed MatMul" % node["name"])
        fused = attr(node, "fused_ops", [])
        if fused not in (["BiasAdd"], ["BiasAdd", "Relu"]) or len(ins) != 3 or not is_const(w) or not is_const(ins[2]):
            fail("%s: MatMul fused with %s" % (node["name"], fused))
        x = self.sym(x)
        if len(x.shape) != 2:
            fail("%s: MatMul of rank %d" % (node["name"], len(x.shape)))
        # OpenCV 4.6's Gemm wants B as [out, in] with transB=1.
        y = self.emit("Gemm", [x.name, self.const(np.ascontiguousarray(w.T, np.float32), "w"),
                               self.const(np.asarray(ins[2], np.float32), "b")],
                      [x.shape[0], w.shape[1]], transB=1)
        return self.emit("Relu", [y.name], y.shape) if "Relu" in fused else y


def fold_hard_swish(nodes, inits):
    """Hard-swish, x * relu6(x + 3) / 6, arrives from TF.js as five elementwise ops (x times 1/6; x + 3;
    Relu6 as 6 * HardSigmoid; the product). It is x * HardSigmoid(x, alpha=1/6, beta=0.5): two ops,
    each one pass less over a large tensor for OpenCV. Exact up to float rounding; any other shape of
    the five ops is left alone."""
    vals = {t.name: numpy_helper.to_array(t) for t in inits}
    prod = {o: n for n in nodes for o in n.output}
    uses = {}
    for n in nodes:
        for i in n.input:
            uses[i] = uses.get(i, 0) + 1

    def scalar(nm):
        v = vals.get(nm)
        return float(v.reshape(-1)[0]) if v is not None and v.size == 1 else None

    def split_const(n):
        """(the scalar constant, the other input) of a two-input node, or None."""
        if len(n.input) != 2:
            return None
        for ci, xi in ((0, 1), (1, 0)):
            c = scalar(n.input[ci])
            if c is not None and scalar(n.input[xi]) is None:
                return c, n.input[xi]
        return None

    def attr_f(n, name):
        for a in n.attribute:
            if a.name == name:
                return helper.get_attribute_value(a)
        return None

    drop, new_at, extra_inits, counter = set(), {}, [], [0]
    for e in nodes:
        if e.op_type != "Mul" or len(e.input) != 2:
            continue
        p, sn = prod.get(e.input[0]), prod.get(e.input[1])
        for p, sn in ((p, sn), (sn, p)):
            if not p or not sn or p.op_type != "Mul" or sn.op_type != "Mul":
                continue
            pc, sc = split_const(p), split_const(sn)
            if not pc or not sc:
                continue
            c1, x = pc
            c3, rname = sc
            r = prod.get(rname)
            if not r or r.op_type != "HardSigmoid":
                continue
            q = prod.get(r.input[0])
            if not q or q.op_type != "Add":
                continue
            qc = split_const(q)
            if not qc or qc[1] != x:
                continue
            c2 = qc[0]
            a, b = attr_f(r, "alpha"), attr_f(r, "beta")
            if a is None or b is None:
                continue
            if any(uses.get(o, 0) != 1 for o in (p.output[0], sn.output[0], r.output[0], q.output[0])):
                continue
            k = c1 * c3
            hs = helper.make_node("HardSigmoid", [x], [r.output[0]], alpha=float(a), beta=float(a * c2 + b))
            if abs(k - 1.0) < 1e-6:
                repl = [hs, helper.make_node("Mul", [x, r.output[0]], [e.output[0]])]
            else:
                counter[0] += 1
                kn, tmp = "hswish_k_%d" % counter[0], "hswish_%d" % counter[0]
                extra_inits.append(numpy_helper.from_array(np.array(k, np.float32), kn))
                repl = [hs, helper.make_node("Mul", [x, r.output[0]], [tmp]),
                        helper.make_node("Mul", [tmp, kn], [e.output[0]])]
            drop.update(id(n) for n in (p, sn, r, q))
            new_at[id(e)] = repl
            break
    out = []
    for n in nodes:
        if id(n) in new_at:
            out.extend(new_at[id(n)])
        elif id(n) not in drop:
            out.append(n)
    used = set(i for n in out for i in n.input)
    return out, [t for t in inits if t.name in used] + extra_inits


def drop_relu_before_clip(nodes, outputs):
    """A Relu used only by a clip to [lo >= 0, hi] (and not itself an output) goes: the clip alone gives the same values exactly
    (both forms of the clip: Clip with min >= 0, or HardSigmoid with alpha > 0 and beta <= 0, which is
    0 for every x <= 0 either way), and OpenCV fuses a clip right after a convolution into it."""
    prod = {o: n for n in nodes for o in n.output}
    uses = {}
    for n in nodes:
        for i in n.input:
            uses[i] = uses.get(i, 0) + 1

    def attr_f(n, name, default):
        for a in n.attribute:
            if a.name == name:
                return helper.get_attribute_value(a)
        return default

    drop = set()
    for n in nodes:
        if n.op_type == "Clip" and len(n.input) == 1:
            floors_at_zero = attr_f(n, "min", None) is not None and attr_f(n, "min", -1.0) >= 0
        elif n.op_type == "HardSigmoid":
            floors_at_zero = attr_f(n, "alpha", 0.2) > 0 and attr_f(n, "beta", 0.5) <= 0
        else:
            continue
        r = prod.get(n.input[0])
        if floors_at_zero and r is not None and r.op_type == "Relu" and uses.get(r.output[0], 0) == 1 and \
                r.output[0] not in outputs:
            n.input[0] = r.input[0]
            drop.add(id(r))
    return [n for n in nodes if id(n) not in drop]


def widen_narrow_depthwise(model, min_width):
    """OpenCV 4.6 runs a 3x3 depthwise convolution on its fast vectorised path only when the input is
    at least 16 + 2 columns wide (convolution_layer.cpp: `width >= 16 + dilation_w*(kernel_w - 1)`);
    narrower, it falls back to a generic path about ten times slower per pixel. faceres's 14x14 and
    7x7 stages spent 5 of its 26 ms there. Each such convolution is given an explicit zero Pad that
    holds its own padding plus columns on the right up to min_width, its padding becomes 0, and after
    it (and after the Clip/Relu chain that follows it alone, so that OpenCV still fuses the clip into
    it) a Slice keeps the columns the original had. The values are the same: the added columns are
    zeros the kernel would have seen as padding or lie right of every kept output. Only convolutions
    whose input shape shape inference knows (fixed-size graphs) are changed. Returns how many."""
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else 0 for d in vi.type.tensor_type.shape.dim]
    g = model.graph
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    outputs = set(o.name for o in g.output)
    opset = model.opset_import[0].version

    def ints(name, arr):
        g.initializer.append(numpy_helper.from_array(np.array(arr, np.int64), name))
        return name

    crop_after = {}  # output name of the chain's last node -> the Slice to put right after it
    nodes = []
    widened = 0
    for n in g.node:
        a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
        xs = shapes.get(n.input[0]) if n.op_type == "Conv" else None
        pads = list(a.get("pads", [0, 0, 0, 0]))
        if not xs or len(xs) != 4 or 0 in xs or a.get("group", 1) != xs[1] or xs[1] < 2 or \
                list(a["kernel_shape"]) != [3, 3] or list(a.get("dilations", [1, 1])) != [1, 1] or \
                xs[3] + pads[1] + pads[3] >= min_width:
            nodes.append(n)
            continue
        w = xs[3] + pads[1] + pads[3]
        kept_w = (w - 3) // a.get("strides", [1, 1])[1] + 1
        wide_in = n.input[0] + "/widened"
        full = [0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3] + min_width - w]
        if opset >= 11:
            nodes.append(helper.make_node("Pad", [n.input[0], ints(wide_in + "/pads", full)], [wide_in], mode="constant"))
        else:
            nodes.append(helper.make_node("Pad", [n.input[0]], [wide_in], mode="constant", pads=full))
        n.input[0] = wide_in
        widened += 1
        for x in n.attribute:
            if x.name == "pads":
                del x.ints[:]
                x.ints.extend([0, 0, 0, 0])
        nodes.append(n)
        tail = n
        while tail.output[0] not in outputs and len(consumers.get(tail.output[0], [])) == 1 and \
                consumers[tail.output[0]][0].op_type in ("Clip", "Relu"):
            tail = consumers[tail.output[0]][0]
        kept = tail.output[0]
        tail.output[0] = kept + "/wide"
        crop_after[tail.output[0]] = helper.make_node(
            "Slice", [tail.output[0], ints(kept + "/begin", [0]), ints(kept + "/end", [kept_w]), ints(kept + "/axis", [3])],
            [kept])
    ordered = []
    for n in nodes:
        ordered.append(n)
        if n.output[0] in crop_after:
            ordered.append(crop_after.pop(n.output[0]))
    del g.node[:]
    g.node.extend(ordered)
    return widened


def convert_at(model, weights, args, in_shapes):
    conv = Converter(model, weights, in_shapes, args.folds, args.opset)
    outs = []
    for onnx_name, node_name in args.outputs:
        if node_name not in conv.nodes:
            fail("no node %s" % node_name)
        v = conv.value(node_name)
        if is_const(v) or v is DEAD:
            fail("output %s is %s, not computed from the inputs" % (node_name, "constant" if is_const(v) else "dead"))
        outs.append((onnx_name, conv.sym(v)))
    # Give the outputs their names: rename the producing node's output.
    rename = {}
    for onnx_name, s in outs:
        if s.name in in_shapes:
            fail("output %s is an input" % onnx_name)
        if s.name in rename:
            fail("outputs %s and %s are the same tensor" % (rename[s.name], onnx_name))
        rename[s.name] = onnx_name
    for n in conv.onnx_nodes:
        for lst in (n.input, n.output):
            for i, nm in enumerate(lst):
                if nm in rename:
                    lst[i] = rename[nm]
    # Drop what the outputs do not need (folding may leave emitted but unused tensors).
    needed = set(onnx_name for onnx_name, _ in outs)
    keep = []
    for n in reversed(conv.onnx_nodes):
        if any(o in needed for o in n.output):
            keep.append(n)
            needed.update(n.input)
    keep.reverse()
    inits = [t for t in conv.inits if t.name in needed]
    keep, inits = fold_hard_swish(keep, inits)
    keep = drop_relu_before_clip(keep, set(onnx_name for onnx_name, _ in outs))
    return keep, inits, outs, conv.used_ops


def parse_size(s):
    w, _, h = s.lower().partition("x")
    return int(w), int(h)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--input", action="append", required=True, help="placeholder left as an ONNX input")
    ap.add_argument("--fold", action="append", default=[], help="NAME=VALUE: placeholder folded to a constant")
    ap.add_argument("--outputs", required=True, help="onnx_name=node[,onnx_name=node...]")
    ap.add_argument("--size", help="WxH: fix the spatial size of free-size inputs")
    ap.add_argument("--trace", default="640x512,512x768",
                    help="WxH,WxH: the two sizes at which a free-size graph is traced and compared")
    ap.add_argument("--opset", type=int, choices=(10, 12), default=12,
                    help="10: clips as opset-10 Clip (faster in OpenCV 4.6; every op must be valid opset 10)")
    ap.add_argument("--depthwise-min-width", type=int, default=0, metavar="N",
                    help="pad narrower 3x3 depthwise convolutions to N columns and crop after (18: OpenCV 4.6's fast path)")
    args = ap.parse_args()
    args.folds = {}
    for f in args.fold:
        k, _, v = f.partition("=")
        args.folds[k] = np.array(float(v), np.float32)
    args.outputs = [tuple(p.split("=", 1)) for p in args.outputs.split(",")]
    model = json.load(open(args.model))
    if model.get("format") != "graph-model":
        fail("%s is not a TF.js graph model" % args.model)
    if model["modelTopology"].get("library", {}).get("function"):
        fail("graph functions are not supported")
    weights = load_weights(args.model, model["weightsManifest"])
    nodes = {n["name"]: n for n in model["modelTopology"]["node"]}

    def shapes_for(size):
        res = {}
        for nm in args.input:
            if nm not in nodes or nodes[nm]["op"] != "Placeholder":
                fail("--input %s is not a placeholder" % nm)
            dims = [int(d.get("size", -1)) for d in attr(nodes[nm], "shape", {}).get("shape", {}).get("dim", [])]
            if len(dims) != 4:
                fail("--input %s: only rank-4 NHWC inputs are supported" % nm)
            dims[0] = 1 if dims[0] == -1 else dims[0]
            if -1 in dims[1:3]:
                if size is None:
                    return None
                dims[1], dims[2] = size[1], size[0]
            if -1 in dims:
                fail("--input %s: unknown channel count" % nm)
            res[nm] = dims
        return res

    free = shapes_for(None) is None
    sizes = [parse_size(args.size)] if args.size else [None]
    if free and not args.size:
        sizes = [parse_size(s) for s in args.trace.split(",")]
        if len(sizes) != 2 or sizes[0] == sizes[1]:
            fail("--trace needs two different sizes")
    traces = [convert_at(model, weights, args, shapes_for(s if free else None)) for s in sizes]
    nodes_out, inits, outs, used = traces[0]
    if len(traces) == 2:
        a, b = traces[0], traces[1]
        same = [n.SerializeToString() for n in a[0]] == [n.SerializeToString() for n in b[0]] and \
            [t.SerializeToString() for t in a[1]] == [t.SerializeToString() for t in b[1]]
        if not same:
            fail("the graph depends on the input size (traced at %s and %s differ); convert with --size WxH" %
                 tuple(args.trace.split(",")))
    in_infos = []
    for nm in args.input:
        d = shapes_for(sizes[0] if sizes else None)[nm]
        dims = [d[0], d[3], "H" if free and not args.size else d[1], "W" if free and not args.size else d[2]]
        in_infos.append(helper.make_tensor_value_info(nm, TensorProto.FLOAT, dims))
    out_infos = []
    for onnx_name, s in outs:
        if len(s.shape) == 4:
            dims = [s.shape[0], s.shape[3], None if free and not args.size else s.shape[1],
                    None if free and not args.size else s.shape[2]]
        else:
            dims = s.shape
        out_infos.append(helper.make_tensor_value_info(onnx_name, TensorProto.FLOAT, dims))
    graph = helper.make_graph(nodes_out, os.path.splitext(os.path.basename(args.model))[0], in_infos, out_infos, inits)
    model_out = helper.make_model(graph, opset_imports=[helper.make_opsetid("", args.opset)], producer_name="tucai-tfjs2onnx")
    model_out.ir_version = 7
    meta = {k: model.get(k) for k in ("generatedBy", "convertedBy") if model.get(k)}
    for k, v in meta.items():
        model_out.metadata_props.add(key=k, value=str(v))
    widened = widen_narrow_depthwise(model_out, args.depthwise_min_width) if args.depthwise_min_width else 0
    onnx.checker.check_model(model_out)
    tmp = args.out + ".tmp"
    onnx.save(model_out, tmp)
    os.replace(tmp, args.out)
    counts = {}
    for n in model_out.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    print("converted %s -> %s (%s; %d ONNX nodes: %s%s)" % (
        args.model, args.out, "any size, traced at %s" % args.trace if free and not args.size else
        "fixed size", len(model_out.graph.node), ", ".join("%s %d" % kv for kv in sorted(counts.items())),
        "; %d depthwise convolutions widened to %d columns" % (widened, args.depthwise_min_width) if widened else ""))


if __name__ == "__main__":
    sys.setrecursionlimit(20000)
    try:
        main()
    except ConvertError as e:
        raise SystemExit("tfjs2onnx: %s" % e)
