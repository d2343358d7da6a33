"""The cryptographic core stays pure, and its verifiers never run prover code.

A verifier that called a prover (to "recompute" a proof, say) would check the prover against
itself; a verifier must stand on group operations, hashing and the equations alone. These tests
walk the source: every function reachable from a verifier is listed, and none may be a prover.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "asamblea" / "crypto"

VERIFIERS = {
    "verify_secret_key",
    "verify_dleq",
    "verify_interval",
    "verify_randomness",
    "verify_ballot",
    "check_opened_ballot",
    "cast_fingerprints",
    "find_copied",
    "ballot_from_json",
    "verify_certificate",
    "assemble_board",
    "verify_partial_decryption",
    "combine",
    "verify_ranking",
    "check_opened_ranking",
    "find_copied_rank",
    "ranking_from_json",
    "ranking_from_values",
    "check_shuffle_proof",
    "proof_from_json",
    "ballots_from_json",
}
PROVERS = {
    "prove_secret_key",
    "prove_dleq",
    "prove_interval",
    "prove_randomness",
    "seal_ballot",
    "encrypt",
    "reencrypt",
    "random_scalar",
    "new_trustee",
    "make_polynomial",
    "complete_key",
    "partial_decrypt",
    "_sign",
    "_encrypt_share",
    "_decrypt_share",
    "seal_ranking",
    "gen_shuffle",
    "gen_permutation_commitment",
    "gen_commitment_chain",
    "gen_shuffle_proof",
    "shuffle_with_proof",
}


def _call_graph() -> dict[str, set[str]]:
    """Function name -> names it calls (by bare name or attribute), over the whole package.

    Names are merged across modules, which can only add edges: the check errs on the strict side.
    """
    graph: dict[str, set[str]] = {}
    for path in SRC.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                called = graph.setdefault(node.name, set())
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call):
                        f = inner.func
                        if isinstance(f, ast.Name):
                            called.add(f.id)
                        elif isinstance(f, ast.Attribute):
                            called.add(f.attr)
                    elif isinstance(inner, ast.Name) and inner.id in PROVERS:
                        called.add(inner.id)  # a prover passed as a value counts as a call
    return graph


def _reachable(graph: dict[str, set[str]], root: str) -> set[str]:
    seen, todo = set(), [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(graph.get(name, ()))
    return seen


def test_every_listed_verifier_and_prover_exists() -> None:
    graph = _call_graph()
    assert set(graph) >= VERIFIERS | PROVERS


def test_no_verifier_reaches_prover_code() -> None:
    graph = _call_graph()
    leaks = {v: sorted(_reachable(graph, v) & PROVERS) for v in sorted(VERIFIERS)}
    assert {v: p for v, p in leaks.items() if p} == {}


def test_the_crypto_package_imports_no_django_and_nothing_outside_itself() -> None:
    allowed_third_party = {"pysodium", "rfc8785"}
    for path in SRC.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top == "asamblea":
                    assert name.startswith("asamblea.crypto"), f"{path.name} imports {name}"
                else:
                    import sys

                    assert top in sys.stdlib_module_names or top in allowed_third_party, (
                        f"{path.name} imports {name}"
                    )
