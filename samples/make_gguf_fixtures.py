"""Writes GGUF fixtures for the reader and dequantization tests into OUTDIR/gguf/.

  all_types.gguf      v3, default alignment: one metadata entry of every value type (arrays of
                      each, nested arrays) and one tensor of every ggml type the reader decodes
  all_types.v2.gguf   the same bytes with the version field set to 2 (v2 and v3 share a layout)
  aligned64.gguf      general.alignment = 64
  expected/<file stem>/<tensor>.npy
                      float32 values of each tensor, shape outermost-first, from gguf-py's
                      reference dequantization (gguf.quants.dequantize) or numpy conversion

Quantized tensors hold random block bytes whose f16 scale fields are replaced by random halves
of sane magnitude (plus one zero and one subnormal scale), so every bit pattern of the quant
fields is exercised. The Java tests compare their decoding with these .npy files bit for bit.
"""
import os
import sys

import numpy as np
from gguf import GGUFValueType, GGUFWriter, GGMLQuantizationType as Q
from gguf.quants import dequantize
from gguf.constants import GGML_QUANT_SIZES

SEED = 20240611

# byte offsets of the f16 scale fields inside one block (ggml-common.h)
HALF_FIELDS = {
    Q.Q4_0: [0], Q.Q4_1: [0, 2], Q.Q5_0: [0], Q.Q5_1: [0, 2], Q.Q8_0: [0],
    Q.Q2_K: [80, 82], Q.Q3_K: [108], Q.Q4_K: [0, 2], Q.Q5_K: [0, 2], Q.Q6_K: [208],
}

# outermost-first shapes; the last dimension is a row of whole blocks
QUANT_SHAPES = {
    Q.Q4_0: (8, 256), Q.Q4_1: (2, 4, 128), Q.Q5_0: (8, 256), Q.Q5_1: (8, 256), Q.Q8_0: (8, 256),
    Q.Q2_K: (4, 2048), Q.Q3_K: (4, 2048), Q.Q4_K: (4, 2048), Q.Q5_K: (2048,), Q.Q6_K: (4, 2048),
}


def random_blocks(rng, qtype, n_blocks):
    _, type_size = GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for field in HALF_FIELDS[qtype]:
        magnitude = 10.0 ** rng.uniform(-4, 0, size=n_blocks)
        sign = rng.choice([-1.0, 1.0], size=n_blocks)
        scales = (sign * magnitude).astype(np.float16)
        scales[0] = np.float16(0.0)
        scales[1] = np.float16(2.0 ** -20)  # subnormal half
        blocks[:, field:field + 2] = scales.view(np.uint8).reshape(n_blocks, 2)
    return blocks


def add_metadata(w):
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4_000_000_000)
    w.add_int32("test.i32", -2_000_000_000)
    w.add_float32("test.f32", 0.1)
    w.add_bool("test.bool.true", True)
    w.add_bool("test.bool.false", False)
    w.add_string("test.string", "h\u00e9llo, \u4e16\u754c \U0001F30D")
    w.add_key_value("test.string.empty", "", GGUFValueType.STRING)
    w.add_uint64("test.u64.max", 2**64 - 1)
    w.add_int64("test.i64.min", -2**63)
    w.add_float64("test.f64", -1.5e300)
    typed_arrays = {
        "u8": (GGUFValueType.UINT8, [0, 1, 255]),
        "i8": (GGUFValueType.INT8, [-128, 0, 127]),
        "u16": (GGUFValueType.UINT16, [0, 65535]),
        "i16": (GGUFValueType.INT16, [-32768, 32767]),
        "u32": (GGUFValueType.UINT32, [0, 4294967295]),
        "i32": (GGUFValueType.INT32, [-2147483648, 2147483647]),
        "u64": (GGUFValueType.UINT64, [0, 2**63]),
        "i64": (GGUFValueType.INT64, [-2**63, 2**63 - 1]),
        "f32": (GGUFValueType.FLOAT32, [0.5, -2.25]),
        "f64": (GGUFValueType.FLOAT64, [0.1, 1e-300]),
        "bool": (GGUFValueType.BOOL, [True, False, True]),
        "string": (GGUFValueType.STRING, ["a", "", "\u00fcber"]),
    }
    for name, (sub_type, values) in typed_arrays.items():
        w.add_key_value("test.array." + name, values, GGUFValueType.ARRAY, sub_type=sub_type)
    w.add_array("test.array.nested", [[1, 2], [3], [4, 5, 6]])
    w.add_array("test.array.nested3", [[["a"], ["b", "c"]], [["d"]]])


def add_tensors(w, rng):
    """Adds every tensor; returns {name: expected float32 values, shape outermost-first}."""
    expected = {}

    special32 = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 3.4028235e38,
                          1.4e-45, -1.17549435e-38, 0.1, 65504.0], dtype=np.float32)
    f32 = np.concatenate([special32, rng.standard_normal(20).astype(np.float32)]).reshape(4, 8)
    w.add_tensor("f32.special", f32)
    expected["f32.special"] = f32

    all_halves = np.arange(65536, dtype=np.uint32).astype(np.uint16).reshape(256, 256)
    w.add_tensor("f16.all_bits", all_halves.view(np.float16))
    expected["f16.all_bits"] = dequantize(all_halves.view(np.uint8), Q.F16).reshape(256, 256)

    w.add_tensor("bf16.all_bits", all_halves, raw_dtype=Q.BF16)
    expected["bf16.all_bits"] = dequantize(all_halves.view(np.uint8), Q.BF16).reshape(256, 256)

    f64 = np.array([0.0, -0.0, 1e-50, 1e300, -np.inf, 1.0 / 3, 2.0**-149, 123456789.123,
                    -7.5, 0.1, 1e-40, 3.4028235677973366e38, 2.0**-126, -1.0, 0.5],
                   dtype=np.float64).reshape(3, 5)
    w.add_tensor("f64.values", f64)
    with np.errstate(over="ignore"):  # 1e300 becomes inf, as a float cast does in Java
        expected["f64.values"] = f64.astype(np.float32)

    ints = {
        "i8.range": np.arange(-128, 128, dtype=np.int8),
        "i16.values": rng.integers(-32768, 32768, size=(2, 3, 4)).astype(np.int16),
        "i32.values": np.array([-2**31, 2**31 - 1, 16777217, -5, 0, 7, 123456789, -1],
                               dtype=np.int32).reshape(2, 2, 1, 2),
        "i64.values": np.array([-2**63, 2**63 - 1, 2**53 + 1, -3, 0, 42, 16777217],
                               dtype=np.int64),
    }
    for name, values in ints.items():
        w.add_tensor(name, values)
        expected[name] = values.astype(np.float32)

    for qtype, shape in QUANT_SHAPES.items():
        block_size, type_size = GGML_QUANT_SIZES[qtype]
        n_blocks = int(np.prod(shape)) // block_size
        blocks = random_blocks(rng, qtype, n_blocks)
        byte_shape = (*shape[:-1], shape[-1] // block_size * type_size)
        data = blocks.reshape(byte_shape)
        name = qtype.name.lower() + ".random"
        w.add_tensor(name, data, raw_dtype=qtype)
        expected[name] = dequantize(data, qtype)
        assert expected[name].shape == shape, (name, expected[name].shape, shape)
    return expected


def write(path, arch, fill, alignment=None):
    w = GGUFWriter(str(path), arch)
    if alignment is not None:
        w.add_custom_alignment(alignment)
    expected = fill(w)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return expected


def save_expected(folder, expected):
    os.makedirs(folder, exist_ok=True)
    for name, values in expected.items():
        np.save(os.path.join(folder, name + ".npy"), np.ascontiguousarray(values, dtype=np.float32))


def main(out):
    folder = os.path.join(out, "gguf")
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(SEED)

    def fill_all_types(w):
        w.add_name("all types")
        add_metadata(w)
        return add_tensors(w, rng)

    all_types = os.path.join(folder, "all_types.gguf")
    expected = write(all_types, "llama", fill_all_types)
    save_expected(os.path.join(folder, "expected", "all_types"), expected)

    with open(all_types, "rb") as f:
        data = bytearray(f.read())
    assert data[4:8] == (3).to_bytes(4, "little")
    data[4:8] = (2).to_bytes(4, "little")
    with open(os.path.join(folder, "all_types.v2.gguf"), "wb") as f:
        f.write(data)

    def fill_aligned(w):
        a = rng.standard_normal((3, 5)).astype(np.float32)
        b = rng.standard_normal(7).astype(np.float16)
        w.add_tensor("a", a)
        w.add_tensor("b", b)
        return {"a": a, "b": b.astype(np.float32)}

    expected = write(os.path.join(folder, "aligned64.gguf"), "gpt2", fill_aligned, alignment=64)
    save_expected(os.path.join(folder, "expected", "aligned64"), expected)


if __name__ == "__main__":
    main(sys.argv[1])
