import sys
from pathlib import Path

# The tests' own helpers (case_runner, datasets) are imported by name.
sys.path.insert(0, str(Path(__file__).parent))
