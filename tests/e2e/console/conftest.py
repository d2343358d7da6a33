import sys
from pathlib import Path

# The console's fresh organisation is built as in the integration tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "console"))
