import sys
from pathlib import Path

# The builders live with the integration tests; the e2e tests build the same bodies.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "assemblies"))
