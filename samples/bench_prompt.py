"""The fixed prompt the forward-pass benchmarks use: a passage tokenized with SmolLM2's tokenizer, repeated,
cut to 512 ids. The ids are committed (samples/fixtures/smollm2/bench_prompt.json) so that every engine,
Java included, runs exactly the same tokens; `python samples/bench_prompt.py FOLDER` rewrites them from
FOLDER/tokenizer.json (the F32 folder of samples/gguf_to_safetensors.py).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROMPT_JSON = ROOT / "samples" / "fixtures" / "smollm2" / "bench_prompt.json"
MAX_TOKENS = 512

PASSAGE = (
    "The lighthouse keeper climbed the spiral stairs each evening, counting the steps as his father had "
    "taught him: one hundred and twelve, no more and no fewer. At the top he trimmed the wick, polished the "
    "great lens until it shone like a second moon, and wrote the weather in a ledger whose first pages were "
    "older than the town itself. Ships passed far out on the water, their lights small and patient. Some "
    "nights the fog came in so thick that the beam seemed to stop a few yards from the glass, and on those "
    "nights he sounded the horn every thirty seconds until dawn. In 1887 a storm tore the roof from the "
    "boathouse; in 1903 the lens was replaced; in 1951 electricity arrived and the wick was kept only out of "
    "habit. When the coast guard finally automated the light, they found the ledgers stacked neatly in the "
    "watch room, every line filled in the same careful hand.\n"
)


def bench_ids(n: int) -> list[int]:
    doc = json.loads(PROMPT_JSON.read_text())
    if n > len(doc["ids"]):
        raise SystemExit(f"error: {PROMPT_JSON} holds {len(doc['ids'])} ids, {n} asked")
    return doc["ids"][:n]


def write(folder: Path) -> None:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    once = tok.encode(PASSAGE, add_special_tokens=False).ids
    ids = (once * (MAX_TOKENS // len(once) + 1))[:MAX_TOKENS]
    PROMPT_JSON.parent.mkdir(parents=True, exist_ok=True)
    PROMPT_JSON.write_text(json.dumps({
        "note": "PASSAGE of samples/bench_prompt.py tokenized with SmolLM2-135M's tokenizer (no BOS), "
                "repeated and cut; benchmarks take the first 128 or 512",
        "passage_tokens": len(once), "ids": ids}) + "\n")
    print(f"wrote {PROMPT_JSON} ({len(ids)} ids, passage = {len(once)} tokens)", file=sys.stderr)


if __name__ == "__main__":
    write(Path(sys.argv[1]))
