#!/usr/bin/env bash
# Creates .venv with samples/requirements.txt when missing or outdated; prints the python to use.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQ="$ROOT/samples/requirements.txt"
if [[ ! -x "$VENV/bin/python" || ! -f "$VENV/.req" ]] || ! cmp -s "$REQ" "$VENV/.req"; then
  echo "owb: installing Python reference packages into .venv ..." >&2
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ" >&2
  cp "$REQ" "$VENV/.req"
fi
echo "$VENV/bin/python"
