"""Make the collection importable as ansible_collections.footballpred.rehearsal from a
checkout (the collections/ symlink points back at the repository root), and the shared
test code as ``support`` (tests/support)."""

import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
COLLECTIONS_DIR = TESTS_DIR.parent / "collections"
for path in (COLLECTIONS_DIR, TESTS_DIR):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
