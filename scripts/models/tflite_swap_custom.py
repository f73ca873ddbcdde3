#!/usr/bin/python3
"""tflite_swap_custom: rewrite selfie_segmentation.tflite so that a stock TFLite runtime can run it.

MediaPipe's model ends with the custom op Convolution2DTransposeBias, which stock TFLite (and so
@tensorflow/tfjs-tflite) does not have. This script re-serialises the model with that op replaced
by the builtin TRANSPOSE_CONV (inputs: output_shape, weights OHWI, input, bias; SAME padding, the
strides from the custom options), adding the int32 output_shape constant it needs. Everything else
is copied field by field. The result is only used to check our ONNX conversion against a real
TFLite runtime (tests/e2e/photo_segmentation_model.test.mjs); the engine never loads it.

Usage: tflite_swap_custom.py IN.tflite OUT.tflite
"""
import os
import struct
import sys

import flatbuffers
import numpy as np
from flatbuffers import number_types as N

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tflite2onnx import (ADD, AVERAGE_POOL_2D, CONV_2D, CUSTOM, DEPTHWISE_CONV_2D, MUL, RESIZE_BILINEAR,  # noqa: E402
                         TRANSPOSE_CONV, read_model)

TRANSPOSE_CONV_OPTIONS = 49  # BuiltinOptions union: TransposeConvOptions
B, I, BOOL = "b", "i", "bool"
# Option tables by op: (slot, kind, default), from schema.fbs.
OPTION_FIELDS = {
    CONV_2D: [(0, B, 0), (1, I, 0), (2, I, 0), (3, B, 0), (4, I, 1), (5, I, 1)],
    DEPTHWISE_CONV_2D: [(0, B, 0), (1, I, 0), (2, I, 0), (3, I, 0), (4, B, 0), (5, I, 1), (6, I, 1)],
    AVERAGE_POOL_2D: [(0, B, 0), (1, I, 0), (2, I, 0), (3, I, 0), (4, I, 0), (5, B, 0)],
    ADD: [(0, B, 0), (1, BOOL, True)],
    MUL: [(0, B, 0)],
    RESIZE_BILINEAR: [(0, I, 0), (1, I, 0), (2, BOOL, False), (3, BOOL, False)],
}
READ = {B: N.Int8Flags, I: N.Int32Flags, BOOL: N.BoolFlags}


def write_table(b, fields):
    """fields: list of (slot, kind, value, default); returns the table offset."""
    n = max([f[0] for f in fields], default=-1) + 1
    b.StartObject(n)
    for slot, kind, value, default in fields:
        if kind == B:
            b.PrependInt8Slot(slot, value, default)
        elif kind == I:
            b.PrependInt32Slot(slot, value, default)
        else:
            b.PrependBoolSlot(slot, value, default)
    return b.EndObject()


def int_vector(b, values, flags_prepend):
    b.StartVector(4, len(values), 4)
    for v in reversed(values):
        flags_prepend(b, v)
    return b.EndVector()


def offsets_vector(b, offs):
    b.StartVector(4, len(offs), 4)
    for o in reversed(offs):
        b.PrependUOffsetTRelative(o)
    return b.EndVector()


def byte_vector(b, data):
    data = bytes(data)
    b.StartVector(1, len(data), 16)  # 16-byte aligned: weights are read in place
    b.head = b.head - len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    return b.EndVector()


def main(src, dst):
    root, opcodes, buffers, sg = read_model(src)
    tensors_in = sg.vec_tables(0)
    ops_in = sg.vec_tables(3)
    b = flatbuffers.Builder(1 << 20)

    # Tensors, plus output_shape constants for each swapped op.
    tensor_fields = []
    for t in tensors_in:
        tensor_fields.append(([int(v) for v in t.vec_np(0, np.int32)], t.scalar(1, N.Uint8Flags),
                              t.scalar(2, N.Uint32Flags), t.string(3)))
    buffer_data = [bytes(x) for x in buffers]
    op_specs = []
    tc_code = len(opcodes)
    swapped = 0
    for op in ops_in:
        code, custom = opcodes[op.scalar(0, N.Uint32Flags)]
        ins = [int(v) for v in op.vec_np(1, np.int32)]
        outs = [int(v) for v in op.vec_np(2, np.int32)]
        if code == CUSTOM and custom == "Convolution2DTransposeBias":
            raw = op.vec_np(5, np.uint8).tobytes()
            _padding, stride_w, stride_h = struct.unpack("<iii", raw[:12])
            out_shape = tensor_fields[outs[0]][0]
            buffer_data.append(np.array(out_shape, np.int32).tobytes())
            tensor_fields.append(([4], 2, len(buffer_data) - 1, "tucai_output_shape_%d" % swapped))
            shape_t = len(tensor_fields) - 1
            opts = [(0, B, 0, 0), (1, I, stride_w, 0), (2, I, stride_h, 0)]  # padding SAME
            op_specs.append((tc_code, [shape_t, ins[1], ins[0], ins[2]], outs, TRANSPOSE_CONV_OPTIONS, opts))
            swapped += 1
            continue
        if code == CUSTOM:
            raise SystemExit("unexpected custom op %s" % custom)
        opt = op.table(4)
        otype = op.scalar(3, N.Uint8Flags)
        fields = []
        if opt is not None:
            for slot, kind, default in OPTION_FIELDS.get(code, []):
                fields.append((slot, kind, opt.scalar(slot, READ[kind], default), default))
        op_specs.append((op.scalar(0, N.Uint32Flags), ins, outs, otype if opt is not None else 0,
                         fields if opt is not None else None))
    if swapped != 1:
        raise SystemExit("expected one Convolution2DTransposeBias, found %d" % swapped)

    # Flatbuffers are built back to front: children first.
    buf_offs = []
    for data in buffer_data:
        dv = byte_vector(b, data) if data else None
        b.StartObject(1)
        if dv is not None:
            b.PrependUOffsetTRelativeSlot(0, dv, 0)
        buf_offs.append(b.EndObject())
    ten_offs = []
    for shape, ttype, bufi, name in tensor_fields:
        nm = b.CreateString(name)
        sv = int_vector(b, shape, lambda bb, v: bb.PrependInt32(v))
        b.StartObject(4)
        b.PrependUOffsetTRelativeSlot(0, sv, 0)
        b.PrependUint8Slot(1, ttype, 0)
        b.PrependUint32Slot(2, bufi, 0)
        b.PrependUOffsetTRelativeSlot(3, nm, 0)
        ten_offs.append(b.EndObject())
    op_offs = []
    for opcode_index, ins, outs, otype, fields in op_specs:
        iv = int_vector(b, ins, lambda bb, v: bb.PrependInt32(v))
        ov = int_vector(b, outs, lambda bb, v: bb.PrependInt32(v))
        tab = write_table(b, fields) if fields is not None else None
        b.StartObject(5)
        b.PrependUint32Slot(0, opcode_index, 0)
        b.PrependUOffsetTRelativeSlot(1, iv, 0)
        b.PrependUOffsetTRelativeSlot(2, ov, 0)
        if tab is not None:
            b.PrependUint8Slot(3, otype, 0)
            b.PrependUOffsetTRelativeSlot(4, tab, 0)
        op_offs.append(b.EndObject())
    tv = offsets_vector(b, ten_offs)
    opv = offsets_vector(b, op_offs)
    sin = int_vector(b, [int(v) for v in sg.vec_np(1, np.int32)], lambda bb, v: bb.PrependInt32(v))
    sout = int_vector(b, [int(v) for v in sg.vec_np(2, np.int32)], lambda bb, v: bb.PrependInt32(v))
    sname = b.CreateString(sg.string(4) or "main")
    b.StartObject(5)
    b.PrependUOffsetTRelativeSlot(0, tv, 0)
    b.PrependUOffsetTRelativeSlot(1, sin, 0)
    b.PrependUOffsetTRelativeSlot(2, sout, 0)
    b.PrependUOffsetTRelativeSlot(3, opv, 0)
    b.PrependUOffsetTRelativeSlot(4, sname, 0)
    sg_off = b.EndObject()
    oc_offs = []
    for code, custom in opcodes + [(TRANSPOSE_CONV, "")]:
        cc = b.CreateString(custom) if custom else None
        b.StartObject(4)
        b.PrependInt8Slot(0, min(code, 127), 0)
        if cc is not None:
            b.PrependUOffsetTRelativeSlot(1, cc, 0)
        b.PrependInt32Slot(2, 3 if code == TRANSPOSE_CONV else 1, 1)
        b.PrependInt32Slot(3, code, 0)
        oc_offs.append(b.EndObject())
    ocv = offsets_vector(b, oc_offs)
    sgv = offsets_vector(b, [sg_off])
    bv = offsets_vector(b, buf_offs)
    desc = b.CreateString("selfie_segmentation with TRANSPOSE_CONV for stock TFLite (tucai)")
    b.StartObject(5)
    b.PrependUint32Slot(0, root.scalar(0, N.Uint32Flags), 0)
    b.PrependUOffsetTRelativeSlot(1, ocv, 0)
    b.PrependUOffsetTRelativeSlot(2, sgv, 0)
    b.PrependUOffsetTRelativeSlot(3, desc, 0)
    b.PrependUOffsetTRelativeSlot(4, bv, 0)
    model = b.EndObject()
    b.Finish(model, file_identifier=b"TFL3")
    with open(dst, "wb") as f:
        f.write(b.Output())
    print("wrote %s (%d ops, custom op swapped for TRANSPOSE_CONV)" % (dst, len(op_specs)))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
