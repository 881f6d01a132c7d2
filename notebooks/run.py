"""Executes the notebooks headless against a real `./owb serve` on loopback.

    python notebooks/run.py                 # writes executed copies to target/notebooks/
    python notebooks/run.py --in-place      # refreshes the committed outputs
    python notebooks/run.py 01-audit-smollm2.ipynb --models DIR ...

Starts the server on a free port over the model folders (default: samples/models), points the
notebooks at it through $OWB_URL, runs every cell with nbclient (a failing cell fails the run with
its traceback), stops the server. Exit code 1 when a notebook failed, 2 when the server did not start.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def start_server(model_roots):
    cmd = [str(ROOT / "owb"), "serve", "--port", "0"]
    for r in model_roots:
        cmd += ["--models", str(r)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 600  # the launcher may build first
    for line in proc.stdout:
        match = re.search(r"on (http://\S+)", line)
        if match:
            return proc, match.group(1)
        if time.monotonic() > deadline:
            break
    proc.kill()
    sys.exit(f"error: `{' '.join(cmd)}` did not report its URL (exit code {proc.wait()})")


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def execute(path, out_path, url):
    nb = nbformat.read(path, as_version=4)
    # IPC sockets in a private folder rather than TCP on loopback: nothing else on the machine can reach the kernel.
    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(tempfile.mkdtemp()) / "kernel"))
    client = NotebookClient(nb, km=km, timeout=900, record_timing=False,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    os.environ["OWB_URL"] = url
    started = time.monotonic()
    try:
        client.execute()
    except CellExecutionError as e:
        nbformat.write(nb, out_path)
        print(f"FAILED {path.name}: {str(e).strip().splitlines()[-1]}", file=sys.stderr)
        return False
    finally:
        if km.has_kernel:  # a kernel manager we made is ours to stop; nbclient leaves it running
            km.shutdown_kernel(now=True)
    nbformat.write(nb, out_path)
    print(f"ok     {path.name} ({time.monotonic() - started:.1f} s) -> {out_path}", file=sys.stderr)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook file names (default: all in notebooks/)")
    parser.add_argument("--in-place", action="store_true", help="write outputs into the notebooks themselves")
    parser.add_argument("--out", default=str(ROOT / "target" / "notebooks"), help="folder for executed copies")
    parser.add_argument("--models", action="append", help="model folder to serve (repeatable)")
    parser.add_argument("--url", help="use this running server instead of starting one")
    args = parser.parse_args()

    paths = [NOTEBOOKS / n for n in args.notebooks] if args.notebooks else sorted(NOTEBOOKS.glob("*.ipynb"))
    missing = [p for p in paths if not p.is_file()]
    if missing:
        sys.exit(f"error: no such notebook: {missing[0]}")
    out_dir = Path(args.out)
    if not args.in_place:
        out_dir.mkdir(parents=True, exist_ok=True)
    roots = args.models or [str(ROOT / "samples" / "models")]

    proc, url = (None, args.url) if args.url else start_server(roots)
    try:
        results = [execute(p, p if args.in_place else out_dir / p.name, url) for p in paths]
    finally:
        if proc is not None:
            stop_server(proc)
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
