"""Vendor the pinned @noble/curves and @noble/hashes ES modules for the browser's ballot sealer.

Usage: .venv/bin/python tools/vendor_noble.py

Installs exactly what tools/vendor_noble/package-lock.json pins (``npm ci --ignore-scripts``, so
no package runs code at install) into a temporary folder, then copies into
src/asamblea/elections/static/elections/vendor/noble/ only the modules that ``curves/ed25519.js``
(ristretto255), ``hashes/sha2.js`` (SHA-512, SHA-256) and ``ciphers/chacha.js``
(XChaCha20-Poly1305, for the trustees' key generation) import, following their imports. Bare
imports between the two packages (``'@noble/hashes/sha2.js'``) are rewritten to relative paths,
because the page may not carry an import map (an inline script, which the strict CSP refuses).
Source-map comments are dropped (the maps are not shipped). Each package's LICENSE is copied and
a VERSION file names the versions and the lock file's integrity hashes.

Nothing else is changed in the files. node_modules is never committed; the output is.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / "tools" / "vendor_noble"
OUT = ROOT / "src" / "asamblea" / "elections" / "static" / "elections" / "vendor" / "noble"
ENTRY_POINTS = (
    ("curves", "ed25519.js"),
    ("hashes", "sha2.js"),
    ("hashes", "utils.js"),
    ("ciphers", "chacha.js"),
)
IMPORT = re.compile(r"""(\bfrom\s+|\bimport\s+|\bexport\s+\*\s+from\s+)(['"])([^'"]+)\2""")
SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$\n?", re.MULTILINE)


def _resolve(package: str, current: str, spec: str) -> tuple[str, str]:
    """(package, path inside it) of an import written in ``package/current``."""
    if spec.startswith("@noble/"):
        name, _, rest = spec[len("@noble/") :].partition("/")
        return name, rest
    if spec.startswith("."):
        joined = (Path(current).parent / spec).as_posix()
        parts: list[str] = []
        for part in joined.split("/"):
            if part == "..":
                parts.pop()
            elif part not in ("", "."):
                parts.append(part)
        return package, "/".join(parts)
    raise SystemExit(f"{package}/{current}: unexpected import {spec!r}")


def _relative(from_file: str, to_file: str) -> str:
    up = len(Path(from_file).parts) - 1
    return ("./" if up == 0 else "../" * up) + to_file


def vendor(modules: Path, out: Path) -> list[str]:
    todo = list(ENTRY_POINTS)
    done: set[tuple[str, str]] = set()
    while todo:
        package, path = todo.pop()
        if (package, path) in done:
            continue
        done.add((package, path))
        text = (modules / package / path).read_text(encoding="utf-8")

        def rewrite(m: re.Match[str], package: str = package, path: str = path) -> str:
            target = _resolve(package, path, m.group(3))
            todo.append(target)
            if m.group(3).startswith("."):
                return m.group(0)  # relative imports stay as written
            # Relative path from this file (under out/package/) to the target (under out/).
            target_path = f"{target[0]}/{target[1]}"
            return (
                f"{m.group(1)}{m.group(2)}{_relative(f'{package}/{path}', target_path)}{m.group(2)}"
            )

        text = IMPORT.sub(rewrite, text)
        text = SOURCE_MAP.sub("", text)
        dest = out / package / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    return sorted(f"{p}/{f}" for p, f in done)


def main() -> int:
    lock = json.loads((PINS / "package-lock.json").read_text())
    with tempfile.TemporaryDirectory(prefix="vendor-noble-") as tmp:
        shutil.copy(PINS / "package.json", tmp)
        shutil.copy(PINS / "package-lock.json", tmp)
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is needed (Debian: apt-get install npm)")
        subprocess.run(  # noqa: S603 (a fixed argument list, the lock file pins what is fetched)
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=tmp, check=True
        )
        modules = Path(tmp) / "node_modules" / "@noble"
        if OUT.exists():
            shutil.rmtree(OUT)
        files = vendor(modules, OUT)
        lines = [
            "Vendored by tools/vendor_noble.py from the npm registry; do not edit by hand.",
            "",
        ]
        for name in ("curves", "hashes", "ciphers"):
            meta = json.loads((modules / name / "package.json").read_text())
            pinned = lock["packages"][f"node_modules/@noble/{name}"]
            shutil.copy(modules / name / "LICENSE", OUT / name / "LICENSE")
            lines.append(f"@noble/{name} {meta['version']} ({meta['license']})")
            lines.append(f"  integrity {pinned['integrity']}")
        lines += ["", "Files (imports rewritten to relative paths, source-map comments dropped):"]
        lines += [f"  {f}" for f in files]
        (OUT / "VERSION").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"vendored {len(files)} modules into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
