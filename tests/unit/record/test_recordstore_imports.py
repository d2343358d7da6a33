"""The record store depends on the registry one way, with no import hidden inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import asamblea.recordstore

PACKAGE = Path(asamblea.recordstore.__file__).parent


def function_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.append(f"{path.name}:{node.lineno} in {func.name}()")
    return found


def test_the_record_store_imports_at_module_level_only():
    # Django's AppConfig.ready is the one place an app may import its own modules late.
    found = [
        hit
        for path in sorted(PACKAGE.glob("*.py"))
        for hit in function_level_imports(path)
        if not hit.startswith("apps.py:")
    ]
    assert found == []


def test_the_finder_sees_an_import_inside_a_function(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from asamblea.registry.models import Organisation\n")
    assert function_level_imports(planted) == ["planted.py:2 in f()"]
