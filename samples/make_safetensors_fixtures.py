"""Writes the safetensors fixtures the Java checkpoint tests read, into OUTDIR/safetensors/.

  every_dtype.safetensors      one tensor per dtype owb reads, plus a scalar and an empty tensor
  every_dtype.expected.json    what Python's own reading of that header says (names, dtypes,
                               shapes, absolute data offsets), for the Java test to compare
  sharded/                     two shards + model.safetensors.index.json
  hf_folder/                   config.json + model.safetensors, as save_pretrained leaves it
  hub/models--test--tiny/      the Hugging Face hub cache layout: blobs/, refs/main,
                               snapshots/<rev>/ with relative symlinks into ../../blobs/

Everything is written by the reference serializer (safetensors.serialize_file) from raw bytes,
so BF16 and F8 need no extra package. Values are fixed, not random.
"""
import hashlib
import json
import os
import shutil
import struct
import sys

import numpy as np
from safetensors import TensorSpec, serialize_file

TINY_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4,
    "intermediate_size": 8,
    "num_attention_heads": 2,
    "num_hidden_layers": 1,
    "num_key_value_heads": 1,
    "rms_norm_eps": 1e-05,
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
    "vocab_size": 8,
}

REVISION = "0123456789abcdef0123456789abcdef01234567"


def bf16_bits(values):
    """BF16 is the top half of an F32 (values chosen to be exact, so no rounding question)."""
    return (np.asarray(values, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)


def write(path, named_arrays, metadata=None):
    """named_arrays: name -> (safetensors dtype name, numpy array holding the bytes, shape)."""
    keep_alive = []
    specs = {}
    for name, (dtype_name, array, shape) in named_arrays.items():
        array = np.ascontiguousarray(array)
        keep_alive.append(array)
        specs[name] = TensorSpec(dtype=dtype_name, shape=list(shape), data_ptr=array.ctypes.data,
                                 data_len=array.nbytes)
    serialize_file(specs, path, metadata=metadata)


def plain(dtype_name, array):
    array = np.asarray(array)
    return dtype_name, array, array.shape


def every_dtype_tensors():
    f32 = np.array([[1.5, -2.0, 3.25], [0.0, 0.125, -7.0]], dtype=np.float32)
    return {
        "f64": plain("float64", np.arange(6, dtype=np.float64).reshape(2, 3) * 0.5),
        "f32": plain("float32", f32),
        "f16": plain("float16", np.array([1.0, -2.0, 0.5, 65504.0], dtype=np.float16)),
        "bf16": ("bfloat16", bf16_bits([1.0, -2.0, 3.5, 0.15625]), (2, 2)),
        # F8 bytes by hand: E4M3 0x38 = 1.0, 0x40 = 2.0, 0xB8 = -1.0, 0x7E = 448 (its max);
        # E5M2 0x3C = 1.0, 0x40 = 2.0, 0xBC = -1.0, 0x7B = 57344 (its max).
        "f8_e4m3": ("float8_e4m3fn", np.array([0x38, 0x40, 0xB8, 0x7E], dtype=np.uint8), (4,)),
        "f8_e5m2": ("float8_e5m2", np.array([0x3C, 0x40, 0xBC, 0x7B], dtype=np.uint8), (4,)),
        "i64": plain("int64", np.array([-(2 ** 40), 0, 2 ** 62], dtype=np.int64)),
        "i32": plain("int32", np.array([[-1, 2], [3, -4]], dtype=np.int32)),
        "i16": plain("int16", np.array([-32768, 32767], dtype=np.int16)),
        "i8": plain("int8", np.array([-128, 0, 127], dtype=np.int8)),
        "u8": plain("uint8", np.array([0, 128, 255], dtype=np.uint8)),
        "bool": plain("bool", np.array([True, False, True, True])),
        "scalar": plain("float32", np.array(42.0, dtype=np.float32)),
        "empty": plain("float32", np.zeros((0, 4), dtype=np.float32)),
    }


def header_facts(path):
    """The header as Python reads it: name -> dtype, shape, absolute [begin, end)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    facts = {"header_length": n, "metadata": header.pop("__metadata__", {}), "tensors": {}}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        facts["tensors"][name] = {"dtype": info["dtype"], "shape": info["shape"],
                                  "begin": 8 + n + begin, "end": 8 + n + end}
    return facts


def tiny_llama(scale):
    """A one-layer Llama-shaped set of F32 tensors whose values say where they are."""
    def filled(shape, start):
        return np.arange(start, start + int(np.prod(shape)), dtype=np.float32).reshape(shape) * scale
    return {
        "model.embed_tokens.weight": plain("float32", filled((8, 4), 0)),
        "model.layers.0.input_layernorm.weight": plain("float32", np.ones(4, dtype=np.float32)),
        "model.layers.0.self_attn.q_proj.weight": plain("float32", filled((4, 4), 100)),
        "model.layers.0.self_attn.k_proj.weight": plain("float32", filled((2, 4), 200)),
        "model.layers.0.self_attn.v_proj.weight": plain("float32", filled((2, 4), 300)),
        "model.layers.0.self_attn.o_proj.weight": plain("float32", filled((4, 4), 400)),
        "model.layers.0.post_attention_layernorm.weight": plain("float32", np.ones(4, dtype=np.float32)),
        "model.layers.0.mlp.gate_proj.weight": plain("float32", filled((8, 4), 500)),
        "model.layers.0.mlp.up_proj.weight": plain("float32", filled((8, 4), 600)),
        "model.layers.0.mlp.down_proj.weight": plain("float32", filled((4, 8), 700)),
        "model.norm.weight": plain("float32", np.ones(4, dtype=np.float32)),
        "lm_head.weight": plain("float32", filled((8, 4), 800)),
    }


def write_sharded(folder):
    os.makedirs(folder)
    tensors = tiny_llama(0.01)
    names = list(tensors)
    shards = {"model-00001-of-00002.safetensors": names[:6], "model-00002-of-00002.safetensors": names[6:]}
    weight_map, total = {}, 0
    for shard, shard_names in shards.items():
        write(os.path.join(folder, shard), {n: tensors[n] for n in shard_names}, metadata={"format": "pt"})
        for n in shard_names:
            weight_map[n] = shard
            total += tensors[n][1].nbytes
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)


def write_hf_folder(folder, scale):
    os.makedirs(folder)
    write(os.path.join(folder, "model.safetensors"), tiny_llama(scale), metadata={"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(TINY_CONFIG, f, indent=2)


def write_hub_cache(hub):
    """models--test--tiny as huggingface_hub lays it out: files are blobs named by their hash."""
    staging = os.path.join(hub, "staging")
    write_hf_folder(staging, 0.5)
    repo = os.path.join(hub, "models--test--tiny")
    blobs = os.path.join(repo, "blobs")
    snapshot = os.path.join(repo, "snapshots", REVISION)
    os.makedirs(blobs)
    os.makedirs(snapshot)
    os.makedirs(os.path.join(repo, "refs"))
    for name in sorted(os.listdir(staging)):
        with open(os.path.join(staging, name), "rb") as f:
            content = f.read()
        blob = hashlib.sha256(content).hexdigest()
        with open(os.path.join(blobs, blob), "wb") as f:
            f.write(content)
        os.symlink(os.path.join("..", "..", "blobs", blob), os.path.join(snapshot, name))
    with open(os.path.join(repo, "refs", "main"), "w") as f:
        f.write(REVISION)
    shutil.rmtree(staging)


def main(out):
    root = os.path.join(out, "safetensors")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    every = os.path.join(root, "every_dtype.safetensors")
    write(every, every_dtype_tensors(), metadata={"format": "pt", "owb.fixture": "every-dtype"})
    with open(os.path.join(root, "every_dtype.expected.json"), "w") as f:
        json.dump(header_facts(every), f, indent=2)
    write_sharded(os.path.join(root, "sharded"))
    write_hf_folder(os.path.join(root, "hf_folder"), 1.0)
    write_hub_cache(os.path.join(root, "hub"))
    print(f"safetensors fixtures in {root}")


if __name__ == "__main__":
    main(sys.argv[1])
