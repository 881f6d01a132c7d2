"""Writes the small generated checkpoints the tests read (into the folder given, ignored by git)."""
import os, sys
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
import make_gguf_fixtures; make_gguf_fixtures.main(out)
import make_safetensors_fixtures; make_safetensors_fixtures.main(out)
import subprocess; subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "make_tokenizer_fixtures.py"), out], check=True)
import make_model_fixtures; make_model_fixtures.weights_main(os.path.join(out, "models"))  # tiny models, see samples/fixtures/models
import make_audit_fixtures; make_audit_fixtures.main(out)
import make_diff_fixtures; make_diff_fixtures.main(out)  # base/fine-tune pair with known edits
