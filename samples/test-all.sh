#!/usr/bin/env bash
# Every test: installs what the tests need when missing (Python reference packages, the SmolLM2
# sample, generated fixtures), then runs the Maven test suite. Called by ./owb test and .ci/run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$(bash samples/python-env.sh)"
SMOL="$(bash samples/fetch-smollm2.sh)"
"$PY" samples/make_fixtures.py "$ROOT/samples/generated" >&2
FINETUNE="$(bash samples/make-demo-finetune.sh "$PY" "$SMOL")"  # the sample fine-tune of SmolLM2, with known edits
mvn -B -ntp verify -Dowb.python="$PY" -Dowb.smollm2="$SMOL" -Dowb.smollm2.finetune="$FINETUNE" \
  -Dowb.fixtures="$ROOT/samples/generated" "$@"
# The notebooks, executed headless against a real ./owb serve (copies with outputs in target/notebooks/).
"$PY" notebooks/run.py --out "$ROOT/target/notebooks"
