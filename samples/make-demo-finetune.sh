#!/usr/bin/env bash
# The sample fine-tune the demo, the notebooks and the tests diff against SmolLM2: samples/models/smollm2-finetune/
# (samples/make_smollm2_diff.py: known edits, as an edited GGUF and a float32 safetensors folder). Written once.
#   bash samples/make-demo-finetune.sh [PYTHON] [SMOLLM2.gguf]     prints the folder
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${1:-$(bash "$ROOT/samples/python-env.sh")}"
SMOL="${2:-$(bash "$ROOT/samples/fetch-smollm2.sh")}"
DEST="$ROOT/samples/models/smollm2-finetune"
if [[ ! -f "$DEST/expected.json" ]]; then
  echo "owb: writing the sample fine-tune of SmolLM2 into $DEST ..." >&2
  "$PY" "$ROOT/samples/make_smollm2_diff.py" "$SMOL" "$DEST" >&2
fi
echo "$DEST"
