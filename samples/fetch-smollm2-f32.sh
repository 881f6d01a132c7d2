#!/usr/bin/env bash
# Writes samples/models/smollm2-f32 (SmolLM2-135M-Instruct as a float32 Hugging Face folder, dequantized from
# the Q4_1 GGUF of fetch-smollm2.sh; ~540 MB) when missing. Prints the folder's path.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/samples/models/smollm2-f32"
if [[ ! -f "$DEST/model.safetensors" ]]; then
  GGUF="$(bash "$ROOT/samples/fetch-smollm2.sh")"
  PY="${OWB_PYTHON:-$(bash "$ROOT/samples/python-env.sh")}"
  echo "owb: writing $DEST from $GGUF ..." >&2
  "$PY" "$ROOT/samples/gguf_to_safetensors.py" "$GGUF" "$DEST" >&2
fi
echo "$DEST"
