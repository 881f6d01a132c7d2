#!/usr/bin/env bash
# Every test: installs what the tests need when missing (Python reference packages, the SmolLM2
# sample, generated fixtures), then runs the Maven test suite. Called by ./owb test and .ci/run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$(bash samples/python-env.sh)"
SMOL="$(bash samples/fetch-smollm2.sh)"
"$PY" samples/make_fixtures.py "$ROOT/samples/generated" >&2
"$PY" samples/make_smollm2_diff.py "$SMOL" "$ROOT/samples/generated/smollm2-diff" >&2  # fine-tunes of SmolLM2 with known edits
mvn -B -ntp verify -Dowb.python="$PY" -Dowb.smollm2="$SMOL" -Dowb.fixtures="$ROOT/samples/generated" "$@"
# The notebooks, executed headless against a real ./owb serve (copies with outputs in target/notebooks/).
"$PY" notebooks/run.py --out "$ROOT/target/notebooks"
