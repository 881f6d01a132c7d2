"""Writes the small generated checkpoints the tests read (into the folder given, ignored by git)."""
import os, sys
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
import make_audit_fixtures; make_audit_fixtures.main(out)
