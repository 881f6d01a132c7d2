"""Reads safetensors files from stdin, each as a u32 little-endian length then its bytes, and
writes one character per file: 1 if the reference parser (safetensors.deserialize) accepts it,
else 0. The Java differential test compares its own parser's verdicts with these."""
import struct
import sys

from safetensors import deserialize


def main():
    stream = sys.stdin.buffer
    verdicts = []
    while True:
        prefix = stream.read(4)
        if len(prefix) < 4:
            break
        (length,) = struct.unpack("<I", prefix)
        content = stream.read(length)
        try:
            deserialize(content)
            verdicts.append("1")
        except Exception:  # the reference reports every rejection as an exception
            verdicts.append("0")
    sys.stdout.write("".join(verdicts) + "\n")


if __name__ == "__main__":
    main()
