"""Make the collection importable as ansible_collections.footballpred.rehearsal from a
checkout (the collections/ symlink points back at the repository root)."""

import sys
from pathlib import Path

COLLECTIONS_DIR = Path(__file__).resolve().parent.parent / "collections"
if str(COLLECTIONS_DIR) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_DIR))
