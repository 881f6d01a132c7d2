#!/usr/bin/env bash
# Refreshes the README's screenshots from the running product: runs the browser tests (which
# drive headless Chromium against a real server on the sample models and save one PNG per view
# under server/target/screenshots/), then copies those PNGs here, shrunk to 1200 px wide and to
# as many colours (at most 256) as keep each under 140 KB, when Pillow is there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# OWB_PYTHON, OWB_SMOLLM2, OWB_SMOLLM2_FINETUNE, OWB_FIXTURES name existing ones instead of making them here.
PY="${OWB_PYTHON:-$(bash samples/python-env.sh)}"
SMOL="${OWB_SMOLLM2:-$(bash samples/fetch-smollm2.sh)}"
FINETUNE="${OWB_SMOLLM2_FINETUNE:-$(bash samples/make-demo-finetune.sh "$PY" "$SMOL")}"
FIXTURES="${OWB_FIXTURES:-$ROOT/samples/generated}"
mvn -B -ntp -q test -Dtest=WebUiTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dowb.smollm2="$SMOL" -Dowb.smollm2.finetune="$FINETUNE" -Dowb.fixtures="$FIXTURES" "$@"
"$PY" - "$ROOT/server/target/screenshots" "$ROOT/docs/screenshots" <<'PY'
import shutil, sys
from pathlib import Path
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
try:
    from PIL import Image
except ImportError:
    Image = None
for view in ["models", "tensors", "attention", "lens", "diff", "probes", "patching"]:
    png = src / f"{view}.png"
    if not png.exists():
        print(f"no screenshot of {view} (its test skipped or took none)")
        continue
    if Image is None:
        shutil.copy(png, dst / png.name)
    else:
        im = Image.open(png).convert("RGB")
        im = im.resize((1200, round(im.height * 1200 / im.width)), Image.LANCZOS)
        for colours in (256, 192, 128, 96, 64):  # as many colours as fit in 140 KB
            im.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(dst / png.name, optimize=True)
            if (dst / png.name).stat().st_size <= 140 * 1024:
                break
    print(f"{dst / png.name}: {(dst / png.name).stat().st_size // 1024} KB")
PY
