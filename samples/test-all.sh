#!/usr/bin/env bash
# Every test: installs what the tests need when missing (Python reference packages, the SmolLM2
# sample, generated fixtures), then runs the Maven test suite. Called by ./owb test and .ci/run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$(bash samples/python-env.sh)"
SMOL="$(bash samples/fetch-smollm2.sh)"
"$PY" samples/make_fixtures.py "$ROOT/samples/generated" >&2
# The web UI's browser tests drive Debian's headless Chromium through chromedriver; install both
# when missing (apt, non-interactive, as root or through password-less sudo). Without them those
# tests skip, so a failed install only warns.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  if command -v apt-get >/dev/null 2>&1 && { [ -z "$SUDO" ] || sudo -n true 2>/dev/null; }; then
    { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver \
      || { $SUDO apt-get update -q && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; }; } >&2 \
      || echo "warning: could not install chromium and chromium-driver; the browser tests will skip" >&2
  else
    echo "note: no chromium/chromedriver and no apt-get as root; the browser tests will skip" >&2
  fi
fi
FINETUNE="$(bash samples/make-demo-finetune.sh "$PY" "$SMOL")"  # the sample fine-tune of SmolLM2, with known edits
mvn -B -ntp verify -Dowb.python="$PY" -Dowb.smollm2="$SMOL" -Dowb.smollm2.finetune="$FINETUNE" \
  -Dowb.fixtures="$ROOT/samples/generated" "$@"
# The notebooks, executed headless against a real ./owb serve (copies with outputs in target/notebooks/).
"$PY" notebooks/run.py --out "$ROOT/target/notebooks"
