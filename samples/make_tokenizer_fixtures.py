"""Writes the tokenizer fixtures into OUTDIR/tokenizer (git-ignored; run by make_fixtures.py).

The Hugging Face hub is out of reach, so the tokenizer.json files are trained here with the
`tokenizers` library itself, one per pre-tokenizer family the engine supports:

  gpt2-bpe         byte-level BPE, GPT-2's ByteLevel regex, merges written as "a b" strings
  gpt2-prefix-bpe  the same vocabulary with ByteLevel(add_prefix_space=True)
  llama3-bpe       Split(Llama 3 regex) + ByteLevel(use_regex=False), ignore_merges, BOS template
  qwen2-bpe        NFC + Split(Qwen2 regex) + ByteLevel(use_regex=False)
  smollm-bpe       Digits(individual) + ByteLevel, as SmolLM2's tokenizer.json has it
  llama2-spm       SentencePiece-style BPE with byte fallback: Prepend("▁") + Replace(" ", "▁")
  metaspace-spm    the same vocabulary with Metaspace(prepend_scheme="first"), transformers 5's Llama,
                   and the Metaspace decoder

and GGUF vocabularies, dumped as their metadata key-values (JSON) for the Java side to load:

  llama3-bpe-gguf  llama3-bpe as convert_hf_to_gguf stores it (pre "llama-bpe"); reference: llama3-bpe
  qwen2-bpe-gguf   qwen2-bpe likewise (pre "qwen2"); reference: qwen2-bpe
  llama-gguf       the llama2-spm vocabulary as convert_hf_to_gguf would store it (tokens, scores,
                   token types; no merges), read back by transformers' GGUF converter
  smollm2-gguf     the real SmolLM2-135M-Instruct vocabulary from its GGUF (samples/fetch-smollm2.sh)

For each, expected.json gets the ids and decodings Hugging Face gives for every corpus line, the
whole corpus, edge cases and seeded random strings.
"""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

SAMPLES = Path(__file__).resolve().parent
CORPUS = (SAMPLES / "tokenizer_corpus.txt").read_text(encoding="utf-8")

GPT2_SPLIT = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
               r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

EDGE_CASES = [
    "", " ", "  ", "\n", "\n\n\n", "\t", "\r\n", "a\r\nb", "  \n\n  x", " Hello", "Hello ", "Hello  world",
    "hello\u00a0world", "x" + " " * 40 + "y", "1" * 25, "3.14159265358979", "12 345 6789", "a1b22c333d4444",
    "<|endoftext|>", "<|endoftext|><|endoftext|>", " <|endoftext|> ", "<s>", "<s> Hello", "Hello <s> world",
    "</s>", "<unk>", "<|begin_of_text|>Hi", "<|im_start|>system\nYou are helpful.<|im_end|>\n",
    "<mask>", "a <mask> b", "a<mask>b", "[SW]", "a [SW] b", "a[SW]b",
    "don't", "DON'T", "'s", "''", "’", "e\u0301", "\u0301", "🏳️‍🌈", "👨‍👩‍👧", "\ufeff", "\u200b", "\x00", "\x7f",
    "\U0010ffff", "日本", "▁", "▁▁x", "<0x41>", "\\n", "Ġ", "ĠĠ",
]

# Characters the random strings are drawn from: every class the pre-tokenizer regexes distinguish.
FUZZ_ALPHABET = (list("abcXYZ019 '\t\n\r.,!?-_/\\\"") + ["  ", "'s", "'LL", "1234", "Ġ", "▁", "é", "e\u0301", "ß",
                 "中", "文", "日", "한", "ع", "ب", "٣", "१", "½", "Ω", "ж", "😀", "👍🏽", "\u200d", "🇫🇷", "\u00a0",
                 "\u3000", "\u2028", "\u0085", "\u000b", "<|endoftext|>", "<s>", "</s>", "<mask>", "[SW]", "<", "|"])


def fuzz_strings(count, seed):
    rng = random.Random(seed)
    return ["".join(rng.choice(FUZZ_ALPHABET) for _ in range(rng.randint(0, 30))) for _ in range(count)]


def training_text():
    """The corpus, plus seeded pseudo-words so the merges are not only the corpus's own words."""
    rng = random.Random(20240601)
    syllables = ["ka", "lo", "mi", "ten", "ra", "sho", "ve", "un", "der", "in", "the", "ing", "ion", "er", "qu",
                 "st", "an", "re", "on", "at", "es", "or"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(3000)]
    lines = [" ".join(words[i:i + 12]) for i in range(0, len(words), 12)]
    return CORPUS.splitlines() * 3 + lines


def train(tokenizer, vocab_size, special_tokens, alphabet=(), limit_alphabet=None):
    options = {} if limit_alphabet is None else {"limit_alphabet": limit_alphabet}
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=special_tokens,
                                  initial_alphabet=list(alphabet), show_progress=False, **options)
    tokenizer.train_from_iterator(training_text(), trainer=trainer)
    return tokenizer


def byte_level_bpe(split_pattern, special_tokens, normalizer=None, digits=False):
    """Trains a byte-level BPE. split_pattern None means ByteLevel's own (GPT-2) regex."""
    tokenizer = Tokenizer(models.BPE())
    if normalizer is not None:
        tokenizer.normalizer = normalizer
    if split_pattern is None:
        steps = [pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    else:
        steps = [pre_tokenizers.Split(Regex(split_pattern), behavior="isolated"),
                 pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]
    if digits:
        steps = [pre_tokenizers.Digits(individual_digits=True)] + steps
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(steps) if len(steps) > 1 else steps[0]
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    return train(tokenizer, 1500, special_tokens, alphabet=pre_tokenizers.ByteLevel.alphabet())


def with_json(tokenizer, edit):
    """A copy of the tokenizer with its JSON edited (for options the Python API does not reach)."""
    spec = json.loads(tokenizer.to_str())
    edit(spec)
    return Tokenizer.from_str(json.dumps(spec))


def add_vocab_without_merges(spec, words):
    """Whole-word tokens that no merge produces: only ignore_merges can emit them."""
    vocab = spec["model"]["vocab"]
    next_id = max(max(vocab.values()), max(t["id"] for t in spec["added_tokens"])) + 1
    for word in words:
        if word not in vocab:
            vocab[word] = next_id
            next_id += 1


def gpt2():
    tokenizer = byte_level_bpe(None, ["<|endoftext|>"])
    tokenizer.add_special_tokens([AddedToken("<mask>", lstrip=True, normalized=False, special=True),
                                  AddedToken("<|im_start|>", normalized=False, special=True),
                                  AddedToken("<|im_end|>", normalized=False, special=True)])
    tokenizer.add_tokens([AddedToken("[SW]", single_word=True, normalized=True)])

    def merges_as_strings(spec):
        spec["model"]["merges"] = [" ".join(pair) for pair in spec["model"]["merges"]]
    return with_json(tokenizer, merges_as_strings)


def gpt2_prefix(base):
    tokenizer = Tokenizer.from_str(base.to_str())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    return tokenizer


def llama3():
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    tokenizer = byte_level_bpe(LLAMA3_SPLIT, specials)
    tokenizer.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                                      special_tokens=[("<|begin_of_text|>", tokenizer.token_to_id("<|begin_of_text|>"))]),
    ])

    def ignore_merges(spec):
        spec["model"]["ignore_merges"] = True
        add_vocab_without_merges(spec, ["Ġquick", "Ġbrown", "Ġfibonacci", "Ġsupercalifragilisticexpialidocious",
                                        "1234", "ĠShouting"])
    return with_json(tokenizer, ignore_merges)


def qwen2():
    tokenizer = byte_level_bpe(QWEN2_SPLIT, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                               normalizer=normalizers.NFC())
    return tokenizer


def smollm():
    return byte_level_bpe(None, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], digits=True)


def sentencepiece_bpe():
    """Llama 2 / TinyLlama shape: <unk> <s> </s>, 256 <0xNN> byte tokens, then the learned pieces."""
    trained = Tokenizer(models.BPE(unk_token="<unk>"))
    trained.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    trained.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never", split=True)
    # A small alphabet leaves rare characters (CJK, emoji) to the byte fallback.
    train(trained, 1200, [], limit_alphabet=90)
    spec = json.loads(trained.to_str())
    learned = sorted(spec["model"]["vocab"].items(), key=lambda item: item[1])
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for byte in range(256):
        vocab[f"<0x{byte:02X}>"] = len(vocab)
    for token, _ in learned:
        vocab.setdefault(token, len(vocab))
    merges = [tuple(pair) for pair in spec["model"]["merges"]]
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tokenizer.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in ("<unk>", "<s>", "</s>")])
    tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tokenizer.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                           decoders.Strip(" ", 1, 0)])
    tokenizer.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                             special_tokens=[("<s>", 1)])
    return tokenizer


def metaspace(base):
    """Also decodes with the Metaspace decoder (no Fuse: it drops every ▁ of the first token)."""
    tokenizer = Tokenizer.from_str(base.to_str())
    tokenizer.normalizer = None
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    tokenizer.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(replacement="▁", prepend_scheme="first")])
    return tokenizer


def byte_level_gguf_metadata(tokenizer, pre, bos, eos, add_bos):
    """A byte-level tokenizer.json's vocabulary as convert_hf_to_gguf stores it: tokens by id,
    special added tokens typed CONTROL (3), the rest NORMAL (1), merges as "a b" strings."""
    spec = json.loads(tokenizer.to_str())
    vocab = tokenizer.get_vocab(with_added_tokens=True)
    tokens = [f"[PAD{i}]" for i in range(max(vocab.values()) + 1)]
    for token, index in vocab.items():
        tokens[index] = token
    special = {t["content"] for t in spec["added_tokens"] if t["special"]}
    return {"general.architecture": "llama", "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": pre,
            "tokenizer.ggml.tokens": tokens, "tokenizer.ggml.token_type": [3 if t in special else 1 for t in tokens],
            "tokenizer.ggml.merges": [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]],
            "tokenizer.ggml.bos_token_id": vocab[bos], "tokenizer.ggml.eos_token_id": vocab[eos],
            "tokenizer.ggml.add_bos_token": add_bos}


def llama_gguf_metadata(spm):
    """The SentencePiece vocabulary as a GGUF stores it: tokens by id, scores (earlier piece, higher
    score, as SentencePiece writes them), token types (1 normal, 2 unknown, 3 control, 6 byte)."""
    vocab = spm.get_vocab(with_added_tokens=True)
    tokens = [None] * len(vocab)
    for token, index in vocab.items():
        tokens[index] = token
    types, scores = [], []
    for index, token in enumerate(tokens):
        if token == "<unk>":
            types.append(2)
        elif token in ("<s>", "</s>"):
            types.append(3)
        elif token.startswith("<0x") and len(token) == 6:
            types.append(6)
        else:
            types.append(1)
        scores.append(0.0 if types[-1] != 1 else float(-index))
    return {"general.architecture": "llama", "tokenizer.ggml.model": "llama", "tokenizer.ggml.pre": "default",
            "tokenizer.ggml.tokens": tokens, "tokenizer.ggml.scores": scores, "tokenizer.ggml.token_type": types,
            "tokenizer.ggml.bos_token_id": 1, "tokenizer.ggml.eos_token_id": 2,
            "tokenizer.ggml.unknown_token_id": 0, "tokenizer.ggml.add_bos_token": True,
            "tokenizer.ggml.add_eos_token": False, "tokenizer.ggml.add_space_prefix": True}


def gguf_tokenizer_metadata(path):
    """Every tokenizer.* key-value of a GGUF (but the chat template), plus general.architecture."""
    from gguf import GGUFReader
    reader = GGUFReader(path)
    metadata = {}
    for key, field in reader.fields.items():
        if key == "general.architecture" or (key.startswith("tokenizer.") and key != "tokenizer.chat_template"):
            value = field.contents()
            metadata[key] = [v.item() if hasattr(v, "item") else v for v in value] if isinstance(value, list) else value
    return metadata


def from_gguf_metadata(metadata):
    """What transformers builds from these key-values (AutoTokenizer.from_pretrained(..., gguf_file=...)
    calls the same converter; its file reader needs torch, the converter does not)."""
    from transformers.integrations.gguf.gguf_tokenizer_mapping import GGUF_TOKENIZER_MAPPING, convert_gguf_tokenizer
    tokenizer_dict = {name: metadata["tokenizer." + key] for key, name in GGUF_TOKENIZER_MAPPING["tokenizer"].items()
                      if "tokenizer." + key in metadata}
    backend, _ = convert_gguf_tokenizer(metadata["general.architecture"], tokenizer_dict)
    return backend


def smollm2_reference(metadata):
    """transformers' converter gives SmolLM2 GPT-2's pre-tokenizer; SmolLM2's own tokenizer.json (and
    llama.cpp's "smollm" pre-tokenizer) first split every digit apart. That is the reference here."""
    backend = from_gguf_metadata(metadata)
    backend.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                     pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    return backend


def llama_gguf_reference(metadata):
    backend = from_gguf_metadata(metadata)
    bos = metadata["tokenizer.ggml.bos_token_id"]
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[(metadata["tokenizer.ggml.tokens"][bos], bos)])
    return backend


def expected_cases(tokenizer):
    """Cases in groups: each corpus line, the whole corpus, edge cases, seeded random strings
    (OWB_TOKENIZER_RANDOM_CASES of them, 300 unless set: raise it for a longer hunt)."""
    groups = {"corpus lines": CORPUS.split("\n"), "whole corpus": [CORPUS], "edge cases": EDGE_CASES,
              "random strings": fuzz_strings(int(os.environ.get("OWB_TOKENIZER_RANDOM_CASES", "300")), seed=7)}
    return {group: [expected_case(tokenizer, text) for text in texts] for group, texts in groups.items()}


def expected_case(tokenizer, text):
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    return {
        "text": text,
        "ids": ids,
        "ids_with_special_tokens": tokenizer.encode(text, add_special_tokens=True).ids,
        "decoded": tokenizer.decode(ids, skip_special_tokens=False),
        "decoded_skipping_special_tokens": tokenizer.decode(ids, skip_special_tokens=True),
    }


# Patterns whose Oniguruma meaning java.util.regex spells differently, with text that tells them apart.
REGEX_PATTERNS = [GPT2_SPLIT, LLAMA3_SPLIT, QWEN2_SPLIT, r"\s+", r"\d+", r"\w+", r"\h+", r"(?i:'s|k)", r"a{,2}",
                  r"x{y", r"^\S+", r"\S+$", r"a.b", r"(?m)a.b", r"\p{Han}+", r"[\p{Lu}\p{Lt}]+\p{Ll}*", r"\v",
                  r"[[:alpha:]]+", r"\p{^L}+", r"[^\s\p{L}\p{N}]++", r"(?>\p{L}+)(?# a comment)"]
REGEX_TEXTS = ["Hello world  1234567 3.14 don't DON'T 'ſ Kelvin \u212a", "a\u3000b\u00a0c\u2003d\u0085e\u000bf\tg\n\nh",
               "١٢٣ ४५६ ½ x{y aaa a\nb a.b", "中文字 日本語 한국어 café naïve ÆØÅ", "line one\nline two\r\nthree ",
               "🙂 👨‍👩‍👧 e\u0301 0xBEEF deadbeef", "    leading\t\ttabs   trailing   "]


def regex_cases():
    """For each pattern and text: the pieces tokenizers' Split(Regex, "isolated") cuts."""
    return [{"pattern": pattern, "text": text,
             "pieces": [piece for piece, _ in pre_tokenizers.Split(Regex(pattern), behavior="isolated").pre_tokenize_str(text)]}
            for pattern in REGEX_PATTERNS for text in REGEX_TEXTS]


def smollm2_path():
    path = os.environ.get("OWB_SMOLLM2")
    if path:
        return path
    result = subprocess.run(["bash", str(SAMPLES / "fetch-smollm2.sh")], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def write_json(path, value):
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")


def main(out):
    folder = Path(out) / "tokenizer"
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}

    base_gpt2 = gpt2()
    spm = sentencepiece_bpe()
    for name, tokenizer in [("gpt2-bpe", base_gpt2), ("gpt2-prefix-bpe", gpt2_prefix(base_gpt2)),
                            ("llama3-bpe", llama3()), ("qwen2-bpe", qwen2()), ("smollm-bpe", smollm()),
                            ("llama2-spm", spm), ("metaspace-spm", metaspace(spm))]:
        file = f"{name}.tokenizer.json"
        tokenizer.save(str(folder / file))
        expected[name] = {"tokenizer_json": file, "cases": expected_cases(Tokenizer.from_file(str(folder / file)))}

    # GGUF copies of byte-level tokenizers: the model's own tokenizer.json is the reference.
    for name, pre, bos, eos, add_bos in [("llama3-bpe", "llama-bpe", "<|begin_of_text|>", "<|end_of_text|>", True),
                                         ("qwen2-bpe", "qwen2", "<|endoftext|>", "<|im_end|>", False)]:
        original = Tokenizer.from_file(str(folder / f"{name}.tokenizer.json"))
        file = f"{name}-gguf.metadata.json"
        write_json(folder / file, byte_level_gguf_metadata(original, pre, bos, eos, add_bos))
        expected[f"{name}-gguf"] = {"gguf_metadata": file, "cases": expected[name]["cases"]}

    metadata = llama_gguf_metadata(spm)
    write_json(folder / "llama-gguf.metadata.json", metadata)
    expected["llama-gguf"] = {"gguf_metadata": "llama-gguf.metadata.json",
                              "cases": expected_cases(llama_gguf_reference(metadata))}

    gguf = smollm2_path()
    if gguf:
        metadata = gguf_tokenizer_metadata(gguf)
        write_json(folder / "smollm2-gguf.metadata.json", metadata)
        expected["smollm2-gguf"] = {"gguf_metadata": "smollm2-gguf.metadata.json",
                                    "cases": expected_cases(smollm2_reference(metadata))}
    else:
        print("make_tokenizer_fixtures: no SmolLM2 GGUF; its tokenizer fixture is skipped", file=sys.stderr)

    write_json(folder / "expected.json", expected)
    write_json(folder / "regex.json", regex_cases())


if __name__ == "__main__":
    main(sys.argv[1])
