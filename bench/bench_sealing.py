"""Sealed ballots (asamblea.crypto) against Debian's belenios-tool 2.0 on the same yes/no election.

    .venv/bin/python bench/bench_sealing.py [--ballots 10000] [--samples 200] [--workers N]
        [--app-ballots 10000] [--database-url URL] [--ballot-file FILE]
        [--belenios-ballots N] [--skip-belenios]

1. Primitives: libsodium's ristretto255 operations through pysodium's wrappers and through our
   direct calls (group.py), in microseconds: where the time of a proof goes.
2. One ballot: seal and verify a yes/no ballot (two ciphertexts, two 0/1 proofs, one 0..1 proof
   of the sum), each timed alone over ``--samples`` ballots on one core; verification starts from
   the canonical JSON bytes, as a verifier reading the record does. Plurality (5 candidates) and
   approval (5, at most 3) for scale, and a profile of where verification's time goes.
3. The post-vote pipeline for ``--ballots`` yes/no ballots, sealed beforehand into a file (not
   timed), then streamed chunk by chunk (1,000 ballots, as the record publishes them; never all
   in memory): verify every ballot and refuse copied ciphertexts over ``--workers`` processes, add
   the ciphertexts up, three partial decryptions of a 3-of-5 board with proofs, verify the
   partials, combine and take the discrete logarithms. Cores used and peak memory are printed.
   ``--ballots 1000000`` is the issue's million-ballot run (about half an hour on 2 cores).
4. belenios-tool 2.0 (when installed: ``apt-get install belenios-tool``) on the same election:
   a 3-of-5 Pedersen board, a question of answers Yes/No with 0..1 selected, the same ballots
   (two thirds yes). Timed: making one ballot (a process each, as the tool works; wall and CPU),
   ``election verify``, the encrypted tally, three partial decryptions, the result, and the final
   verification. Belenios runs on one core; ratios are Belenios' time over ours.

5. The same pipeline through the application for ``--app-ballots`` voters (0 skips it): a recall
   vote under a 3-of-5 board on SQLite in a temporary folder (or ``--database-url``), the ballots
   cast with the plain selection and sealed at the door (setup), then timed: the close, three
   trustees' partial decryptions through their action, the count, the export of the record and
   ``asamblea verify``'s check of it over ``--workers`` processes.

Goals (issue 18): seal <= 2 ms per ballot, verify <= 1 ms per ballot per core, the 10,000-ballot
pipeline < 60 s. Nothing is asserted: figures are printed for ADR 0008.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pickle
import pstats
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from asamblea.crypto import ballot as B  # noqa: E402
from asamblea.crypto import group as G  # noqa: E402
from asamblea.crypto import threshold as T  # noqa: E402
from asamblea.crypto.elgamal import Ciphertext, DiscreteLog  # noqa: E402
from asamblea.crypto.transcript import BoardContext, Context  # noqa: E402

ELECTION = "bench/recall"
YES_NO = B.Question.yes_no("recall")


def _us(fn, number: int = 2000, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, time.perf_counter() - started)
    return 1e6 * best / number


def primitives() -> dict[str, float]:
    import pysodium

    k = G.random_scalar()
    kb = k.to_bytes(32, "little")
    p = G.base_mul(G.random_scalar())
    q = G.base_mul(G.random_scalar())
    rows = {
        "scalar mult, variable base": (
            lambda: pysodium.crypto_scalarmult_ristretto255(kb, p),
            lambda: G.mul(k, p),
        ),
        "scalar mult, generator": (
            lambda: pysodium.crypto_scalarmult_ristretto255_base(kb),
            lambda: G.base_mul(k),
        ),
        "addition": (
            lambda: pysodium.crypto_core_ristretto255_add(p, q),
            lambda: G.add(p, q),
        ),
        "validity check (decode)": (
            lambda: pysodium.crypto_core_ristretto255_is_valid_point(p),
            lambda: G.is_point(p),
        ),
    }
    print("== ristretto255 through libsodium (best of 5, microseconds per call) ==")
    print(f"{'operation':<28} {'pysodium':>9} {'direct':>9}")
    figures = {}
    for name, (wrapped, ours) in rows.items():
        a, b = _us(wrapped), _us(ours)
        figures[name] = b
        print(f"{name:<28} {a:>9.1f} {b:>9.1f}")
    # What a verifier computes per equation: a*G + b*Q and a*P + b*Q (ADR 0018).
    from asamblea.crypto import decaf

    sodium_base = _us(lambda: G.add(G.base_mul(k), G.mul(k, q)))
    sodium_two = _us(lambda: G.add(G.mul(k, p), G.mul(k, q)))
    print("== a verifier's sum of two products (best of 5, microseconds per call) ==")
    print(f"{'operation':<28} {'libsodium':>9} {'libdecaf':>9}")
    if decaf.AVAILABLE:
        decaf_base = _us(lambda: decaf.base_combo(k, k, q))
        decaf_two = _us(lambda: decaf.combo(k, p, k, q))
        print(f"{'a*G + b*Q':<28} {sodium_base:>9.1f} {decaf_base:>9.1f}")
        print(f"{'a*P + b*Q':<28} {sodium_two:>9.1f} {decaf_two:>9.1f}")
    else:
        print(f"{'a*G + b*Q':<28} {sodium_base:>9.1f} {'absent':>9}")
        print(f"{'a*P + b*Q':<28} {sodium_two:>9.1f} {'absent':>9}")
        print("libdecaf0 is not installed: verification runs on libsodium alone (ADR 0018)")
    return figures


def _ms(values: list[float]) -> str:
    return f"median {1e3 * statistics.median(values):.3f} ms, mean {1e3 * statistics.mean(values):.3f} ms"


def one_ballot(samples: int) -> dict[str, float]:
    pk = G.base_mul(G.random_scalar())
    shapes = {
        "yes/no": (YES_NO, [[1, 0], [0, 1], [0, 0]]),
        "plurality of 5, blank allowed": (
            B.Question.plurality("seat", 5),
            [[0, 0, 1, 0, 0], [0, 0, 0, 0, 0]],
        ),
        "approval of at most 3 of 5": (
            B.Question.approval("committee", 5, 3),
            [[1, 0, 1, 0, 1], [0, 1, 0, 0, 0]],
        ),
    }
    figures = {}
    print(f"== one ballot, {samples} samples each, one core ==")
    for label, (question, choices) in shapes.items():
        n = samples if label == "yes/no" else max(samples // 4, 10)
        seal_t, verify_t, verify_cpu, sizes = [], [], [], []
        for i in range(n):
            started = time.perf_counter()
            sealed, _ = B.seal_ballot(pk, ELECTION, [question], [choices[i % len(choices)]])
            seal_t.append(time.perf_counter() - started)
            data = B.canonical_bytes(sealed)
            sizes.append(len(data))
            started, cpu = time.perf_counter(), time.process_time()
            B.verify_ballot(pk, ELECTION, [question], B.ballot_from_json(json.loads(data)))
            verify_cpu.append(time.process_time() - cpu)
            verify_t.append(time.perf_counter() - started)
        print(
            f"{label}: seal {_ms(seal_t)}; verify {_ms(verify_t)} (CPU: {_ms(verify_cpu)}); "
            f"{max(sizes)} bytes of JSON"
        )
        figures[f"{label} seal"] = statistics.median(seal_t)
        figures[f"{label} verify"] = statistics.median(verify_t)
        # Per core: the CPU one verification takes, which other work on the machine does not
        # inflate as it does the wall time.
        figures[f"{label} verify cpu"] = statistics.median(verify_cpu)
    # Where verification's time goes.
    ballots = [
        B.canonical_bytes(B.seal_ballot(pk, ELECTION, [YES_NO], [[1, 0]])[0]) for _ in range(100)
    ]
    profiler = cProfile.Profile()
    profiler.enable()
    for data in ballots:
        B.verify_ballot(pk, ELECTION, [YES_NO], B.ballot_from_json(json.loads(data)))
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    # libsodium and libdecaf are called through ctypes, which cProfile does not see as a call of
    # its own: their time lands in the thin wrapper that made the call (group.py, decaf.py).
    buckets: dict[str, tuple[int, float]] = {}
    for (filename, _, name), (_, calls, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if filename.endswith("group.py") and name in ("mul", "base_mul", "sub"):
            key = f"libsodium via group.{name}"
        elif filename.endswith("group.py") and name in ("add", "is_point"):
            # libsodium's or, with libdecaf, PointSum.add and the cached decoding.
            key = f"group.{name}"
        elif filename.endswith("decaf.py") and name in ("base_combo", "combo", "combo_minus"):
            key = f"libdecaf via decaf.{name}"
        elif name in (
            "challenge",
            "<method 'update' of '_hashlib.HASH' objects>",
            "scalar_from_hash",
        ):
            key = "Fiat-Shamir hashing"
        elif (
            filename.endswith("ballot.py") and "json" in name or "json" in filename or "b64" in name
        ):
            key = "JSON parsing and base64url"
        else:
            key = "other Python"
        c, t = buckets.get(key, (0, 0.0))
        buckets[key] = (c + calls if key.startswith(("libsodium", "libdecaf")) else 0, t + tottime)
    print("where yes/no verification spends its time (cProfile, 100 ballots; the profiler itself")
    print("inflates the Python share):")
    for key, (calls, t) in sorted(buckets.items(), key=lambda kv: -kv[1][1]):
        per = f"{calls / 100:>5.1f} calls/ballot" if calls else " " * 17
        print(f"  {key:<36} {per} {100 * t / total:>5.1f}%")
    return figures


# --- the post-vote pipeline ---------------------------------------------------------------------

_PK: G.Point = G.IDENTITY


def _init(pk: bytes) -> None:
    global _PK
    _PK = G.Point(pk)


def _seal_chunk(choices: list[list[int]]) -> list[bytes]:
    return [B.canonical_bytes(B.seal_ballot(_PK, ELECTION, [YES_NO], [c])[0]) for c in choices]


def _verify_chunk(chunk: list[bytes]) -> tuple[tuple[bytes, ...], list[bytes], int, float]:
    """Verify a chunk; return the sum of its valid ballots (yes alpha, yes beta, no alpha, no
    beta), their ciphertexts' alphas (to refuse copies across chunks), the count refused and
    the CPU seconds this worker spent (wall time per core would count the other users of a
    shared machine)."""
    cpu = time.process_time()
    sums = [G.PointSum() for _ in range(4)]
    alphas: list[bytes] = []
    refused = 0
    for data in chunk:
        try:
            sealed = B.ballot_from_json(json.loads(data))
            B.verify_ballot(_PK, ELECTION, [YES_NO], sealed)
        except B.InvalidBallot:
            refused += 1
            continue
        yes, no = sealed.answers[0].choices
        for total, point in zip(sums, (yes.alpha, yes.beta, no.alpha, no.beta), strict=True):
            total.add(point)
        alphas += [bytes(yes.alpha), bytes(no.alpha)]
    parts = tuple(bytes(total.value()) for total in sums)
    return parts, alphas, refused, time.process_time() - cpu


CHUNK = 1000  # ballots per chunk, as the record publishes them


def _choice_chunks(n: int) -> Iterator[list[list[int]]]:
    for start in range(0, n, CHUNK):
        yield [[0, 1] if i % 3 == 2 else [1, 0] for i in range(start, min(n, start + CHUNK))]


def _file_chunks(path: Path) -> Iterator[list[bytes]]:
    with path.open("rb") as f:
        chunk: list[bytes] = []
        for line in f:
            chunk.append(line.rstrip(b"\n"))
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _peak_mib() -> tuple[float, float]:
    """Peak resident memory of this process and of the largest worker, in MiB (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def _seal_file(n: int, workers: int, public_key: bytes, ballot_file: Path | None) -> Path:
    """Seal ``n`` ballots (two thirds yes) into a file: setup, not timed as part of the pipeline."""
    if ballot_file is None:
        ballot_file = Path(tempfile.mkdtemp(prefix="asamblea-bench-sealed-")) / "ballots.jsonl"
    started = time.perf_counter()
    with (
        Pool(workers, initializer=_init, initargs=(public_key,)) as pool,
        ballot_file.open("wb") as out,
    ):
        for part in pool.imap(_seal_chunk, _choice_chunks(n)):
            out.writelines(b + b"\n" for b in part)
    print(
        f"(setup) sealing {n:,} ballots on {workers} worker(s) into a file of "
        f"{ballot_file.stat().st_size / 2**20:,.0f} MiB: {time.perf_counter() - started:.1f} s"
    )
    return ballot_file


def pipeline(n: int, workers: int, ballot_file: Path | None = None) -> dict[str, float]:
    """Seal ``n`` ballots into a file (setup), then stream it: verify every ballot and refuse
    copies over ``workers`` processes, chunk by chunk (never all ballots in memory), add up the
    encrypted tally, three partial decryptions of a 3-of-5 board, verify them, combine."""
    print(f"== post-vote pipeline: {n:,} yes/no ballots, 3-of-5 board, {workers} worker(s) ==")
    board = BoardContext("bench/board", 3, 5)
    # A kept ballot file is reused with the board it was sealed under (``FILE.board``, the
    # bench's own throw-away trustees' keys), so the timed part can run again without sealing.
    sidecar = ballot_file.with_name(ballot_file.name + ".board") if ballot_file else None
    if ballot_file is not None and ballot_file.exists() and sidecar and sidecar.exists():
        params, keys = pickle.loads(sidecar.read_bytes())  # noqa: S301 (the bench wrote it)
        print(f"(setup) reusing {ballot_file} and the board it was sealed under")
    else:
        started = time.perf_counter()
        ids = [T.new_trustee(board, i) for i in range(1, 6)]
        certs = [c for _, c in ids]
        polys = [T.make_polynomial(board, s, certs) for s, _ in ids]
        keys = [T.complete_key(board, s, certs, polys) for s, _ in ids]
        params = T.assemble_board(board, certs, polys, [vk for _, vk in keys])
        print(
            "key generation of the board (all five trustees, one machine): "
            f"{time.perf_counter() - started:.2f} s"
        )
        ballot_file = _seal_file(n, workers, params.public_key, ballot_file)
        if sidecar is not None:
            sidecar.write_bytes(pickle.dumps((params, keys)))
    tmp = None
    if ballot_file is None:  # unreachable: _seal_file names one
        raise AssertionError
    if ballot_file.parent.name.startswith("asamblea-bench-sealed-"):
        tmp = ballot_file.parent

    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    sums = [G.IDENTITY] * 4
    seen: set[bytes] = set()
    copies = refused = verified = 0
    verify_cpu = 0.0
    last = t0
    with Pool(workers, initializer=_init, initargs=(params.public_key,)) as pool:
        for part_sum, alphas, bad, cpu in pool.imap(_verify_chunk, _file_chunks(ballot_file)):
            sums = [G.add(a, G.Point(b)) for a, b in zip(sums, part_sum, strict=True)]
            for alpha in alphas:
                copies += alpha in seen
                seen.add(alpha)
            refused += bad
            verified += len(alphas) // 2
            verify_cpu += cpu
            if time.perf_counter() - last > 30:
                last = time.perf_counter()
                rate = verified / (last - t0)
                print(f"  ... {verified:,} verified ({rate:,.0f}/s)", flush=True)
    stages["verify every ballot, refuse copies, add up"] = time.perf_counter() - t0
    main_cpu = time.process_time() - cpu0
    tally = (Ciphertext(sums[0], sums[1]), Ciphertext(sums[2], sums[3]))

    ctx = Context(ELECTION, YES_NO.question_id, params.public_key)
    t = time.perf_counter()
    partials = [T.partial_decrypt(ctx, keys[j][0], tally) for j in (0, 2, 4)]
    stages["3 partial decryptions with proofs"] = time.perf_counter() - t

    t = time.perf_counter()
    for p in partials:
        T.verify_partial_decryption(ctx, params, tally, p)
    stages["verify the partial decryptions"] = time.perf_counter() - t

    t = time.perf_counter()
    dlog = DiscreteLog(n)
    result = T.combine(ctx, params, tally, partials, dlog)
    stages["combine (verifies again) and discrete log"] = time.perf_counter() - t
    total = time.perf_counter() - t0
    if tmp is not None:
        shutil.rmtree(tmp)

    expected = [sum(1 for i in range(n) if i % 3 != 2), sum(1 for i in range(n) if i % 3 == 2)]
    assert result == expected and refused == 0 and copies == 0, (result, expected, refused, copies)
    for name, seconds in stages.items():
        print(f"  {name:<44} {seconds:>8.3f} s")
    own, child = _peak_mib()
    print(
        f"  {'total':<44} {total:>8.2f} s   result yes={result[0]:,} no={result[1]:,}; "
        f"{workers} worker process(es) on {os.cpu_count()} core(s); peak memory: this process "
        f"{own:,.0f} MiB, largest worker {child:,.0f} MiB, so at most "
        f"{own + workers * child:,.0f} MiB together"
    )
    verify = stages["verify every ballot, refuse copies, add up"]
    print(
        f"  verification: {1e3 * verify / n:.3f} ms wall per ballot on {workers} worker(s), "
        f"{1e3 * verify_cpu / n:.3f} ms CPU per ballot in the workers, "
        f"{1e3 * main_cpu / n:.3f} ms in the collecting process"
    )
    return {
        "pipeline": total,
        "verify_cpu": verify_cpu / n,
        "peak_mib": own + workers * child,
        **stages,
    }


# --- the same, through the application -----------------------------------------------------------


def app_pipeline(n: int, workers: int, database_url: str | None) -> dict[str, float]:
    """A recall vote of ``n`` members through the application (SQLite in a temporary folder, or
    ``database_url``): ``n`` ballots cast with the plain selection and sealed at the door (setup),
    then timed: the close (ballots published in chunks, encrypted tally, decryption requested),
    three trustees' partial decryptions posted through their action (3-of-5 board), the count,
    the export of the record and ``asamblea verify``'s check of it over ``workers`` processes."""
    print(f"== the post-vote pipeline through the application: {n:,} voters, 3-of-5 board ==")
    tmp = Path(tempfile.mkdtemp(prefix="asamblea-bench-app-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="asamblea.settings",
        DATABASE_URL=database_url or f"sqlite:///{tmp / 'bench.sqlite3'}",
        ASAMBLEA_VAR_DIR=str(tmp),
        ASAMBLEA_SECRET_KEY=secrets.token_urlsafe(40),
    )
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    from asamblea.core.action import System
    from asamblea.core.clock import now
    from asamblea.elections import actions as elections
    from asamblea.record.verify import DirSource, verify_record
    from asamblea.recordstore.export import export_to_dir
    from asamblea.registry import actions as registry
    from asamblea.registry.models import Body, Member, Membership
    from asamblea.trustees.actions.boards import do_create_board
    from asamblea.trustees.actions.decryption import check_post_partial
    from asamblea.trustees.ceremony import run_in_process
    from asamblea.trustees.models import DecryptionRequest, Trustee
    from asamblea.trustees.sharefile import partials_for

    t = time.perf_counter()
    slug = f"bench-{secrets.token_hex(3)}"
    org = registry.do_create_organisation(None, slug=slug, name="Bench")
    unit = registry.do_create_body(None, org, code="U1", name="Unit", kind=Body.Kind.WORKPLACE)
    assembly = registry.do_create_body(
        None, org, code="A1", name="Assembly", kind=Body.Kind.ASSEMBLY
    )
    at = now()
    Member.objects.bulk_create(
        [
            Member(organisation=org, member_ref=f"M{i:07d}", display_name=f"M {i}", created_at=at)
            for i in range(n)
        ],
        batch_size=1000,
    )
    members = list(Member.objects.filter(organisation=org).order_by("member_ref"))
    Membership.objects.bulk_create(
        [Membership(member=m, unit=unit, joined_on=at.date()) for m in members], batch_size=1000
    )
    users = []
    for i, member in enumerate(members[:5]):
        user = get_user_model().objects.create_user(
            f"trustee-{i}", password=secrets.token_urlsafe(16)
        )
        member.user = user
        member.save(update_fields=["user"])
        users.append(user)
    board = do_create_board(System("bench"), org, unit=None, k=3, n=5, trustees=users)
    shares = [f.share for f in run_in_process(board)]
    election = elections.do_create_election(
        None, organisation=org, unit=unit, body=assembly, title="Recall", kind="recall",
        method="yesno",
    )  # fmt: skip
    elections.do_open_nominations(None, election)
    codes = list(elections.do_open_election(None, election).printed_codes.values())
    print(f"(setup) {n:,} members, the board's key generation, the vote opened: "
          f"{time.perf_counter() - t:.1f} s")  # fmt: skip
    t = time.perf_counter()
    box = elections.BallotBox.load(election.pk)
    for i, code in enumerate(codes):
        vote = "no" if i % 3 == 2 else "yes"
        elections.check_cast(box, code, {"vote": vote}, secrets.token_urlsafe(24))
    cast = time.perf_counter() - t
    print(f"(setup) {n:,} casts sealed at the door, one process: {cast:.1f} s "
          f"({1e3 * cast / n:.2f} ms each)")  # fmt: skip

    stages: dict[str, float] = {}

    cpu: dict[str, float] = {}

    def _cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def timed(label: str, fn: Any) -> Any:
        t, c = time.perf_counter(), _cpu()
        out = fn()
        stages[label] = time.perf_counter() - t
        cpu[label] = _cpu() - c
        print(f"  {label:<44} {stages[label]:>8.2f} s   ({cpu[label]:.2f} s CPU)", flush=True)
        return out

    timed(
        "close (publish, encrypted tally, request)",
        lambda: elections.do_close_election(None, election),
    )
    request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:tally")

    def decrypt() -> None:
        for share in shares[:3]:
            trustee = Trustee.objects.select_related("user").get(board=board, index=share.index)
            payload = partials_for(share, G.point_from_text(board.public_key), request.groups)
            check_post_partial(trustee.user, request.pk, payload)
            request.refresh_from_db()

    timed("3 partial decryptions posted and checked", decrypt)
    election.refresh_from_db()
    timed("count from the decrypted totals", lambda: elections.do_count_election(None, election))
    timed("export the record", lambda: export_to_dir(org, tmp / "export"))
    summary = timed(
        f"asamblea verify, {workers} process(es)",
        lambda: verify_record(DirSource(tmp / "export"), jobs=workers),
    )
    election.refresh_from_db()
    total = sum(stages.values())
    total_cpu = sum(cpu.values())
    tally = (election.result or {}).get("tally")
    own, child = _peak_mib()
    print(
        f"  {'total':<44} {total:>8.2f} s   ({total_cpu:.1f} s CPU over all processes)\n"
        f"  tally {tally}; {summary.entries:,} record entries; "
        f"peak memory: this process {own:,.0f} MiB, largest worker {child:,.0f} MiB"
    )
    yes = sum(1 for i in range(n) if i % 3 != 2)
    assert tally and (tally["yes"], tally["no"]) == (yes, n - yes), tally
    shutil.rmtree(tmp, ignore_errors=True)
    return {"app_pipeline": total, "app_cpu": total_cpu, **stages}


# --- belenios-tool ------------------------------------------------------------------------------


def _run(args: list[str], cwd: Path, stdin: str | None = None) -> str:
    env = {**os.environ, "BELENIOS_USE_URANDOM": "1"}
    result = subprocess.run(
        ["belenios-tool", *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env
    )
    if result.returncode != 0:
        raise RuntimeError(f"belenios-tool {' '.join(args)}: {result.stderr[-500:]}")
    return result.stdout


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def belenios(n: int, workers: int, samples: int) -> dict[str, float] | None:
    if shutil.which("belenios-tool") is None:
        print("== belenios-tool is not installed (apt-get install belenios-tool): no comparison ==")
        return None
    version = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "belenios-tool"], capture_output=True, text=True
    ).stdout
    print(f"== belenios-tool {version or '?'}: {n:,} yes/no ballots, 3-of-5 Pedersen board ==")
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="asamblea-bench-belenios-") as tmp:
        d = Path(tmp)
        g = ["--group", "BELENIOS-2048"]
        uuid = _run(["setup", "generate-token"], d).strip()
        t = time.perf_counter()
        _run(["setup", "generate-credentials", "--uuid", uuid, *g, "--count", str(n)], d)
        print(f"(setup) {n:,} credentials: {time.perf_counter() - t:.1f} s")
        next(d.glob("*.pubcreds")).rename(d / "public_creds.json")
        creds = [line.split()[1] for line in next(d.glob("*.privcreds")).read_text().splitlines()]
        t = time.perf_counter()
        key = ["setup", "generate-trustee-key-threshold", *g]
        for _ in range(5):
            _run([*key, "--step", "1"], d)
        (d / "certs.jsons").write_text("".join(p.read_text() for p in sorted(d.glob("*.cert"))))
        certs = ["--certs", "certs.jsons"]
        _run([*key, *certs, "--step", "2"], d)
        trustee_keys = sorted(d.glob("*.key"))
        polys = "".join(
            _run([*key, *certs, "--key", k.name, "--step", "3", "--threshold", "3"], d)
            for k in trustee_keys
        )
        (d / "polynomials.jsons").write_text(polys)
        _run([*key, *certs, "--step", "4", "--polynomials", "polynomials.jsons"], d)
        for k in trustee_keys:
            vin = (d / (k.stem + ".vinput")).read_text()
            (d / (k.stem + ".voutput")).write_text(
                _run([*key, *certs, "--key", k.name, "--step", "5"], d, vin)
            )
        vouts = "".join((d / (k.stem + ".voutput")).read_text() for k in trustee_keys)
        (d / "threshold.json").write_text(
            _run([*key, *certs, "--step", "6", "--polynomials", "polynomials.jsons"], d, vouts)
        )
        (d / "public_keys.jsons").write_text("")
        _run(["setup", "make-trustees"], d)
        (d / "threshold.json").unlink()
        template = {
            "description": "bench",
            "name": "bench",
            "questions": [{"answers": ["Yes", "No"], "min": 0, "max": 1, "question": "Recall?"}],
            "administrator": "bench",
            "credential_authority": "bench",
        }
        (d / "template.json").write_text(json.dumps(template))
        _run(["setup", "make-election", "--uuid", uuid, *g, "--template", "template.json"], d)
        _run(["archive", "init"], d)
        for name in ("election.json", "trustees.json", "public_creds.json"):
            (d / name).unlink()
        print(f"(setup) board and election: {time.perf_counter() - t:.1f} s")
        (d / "yes.json").write_text("[[1,0]]")
        (d / "no.json").write_text("[[0,1]]")

        def make(i: int) -> str:
            vote = "no.json" if i % 3 == 2 else "yes.json"
            return _run(
                ["election", "generate-ballot", "--privcred", "/dev/stdin", "--ballot", vote],
                d,
                creds[i],
            )

        # A bare start of the tool, to tell its start-up from its work in the figure below.
        cpu0 = _cpu_children()
        for _ in range(20):
            _run(["sha256-b64"], d, "x")
        print(f"(a bare start of belenios-tool: {1e3 * (_cpu_children() - cpu0) / 20:.1f} ms CPU)")
        # Making a ballot, timed alone on one core (a process per ballot, as the tool works).
        first = min(samples, n)
        cpu0, t = _cpu_children(), time.perf_counter()
        ballots = [make(i) for i in range(first)]
        wall = (time.perf_counter() - t) / first
        cpu = (_cpu_children() - cpu0) / first
        figures["seal"] = cpu
        print(f"making one ballot: {1e3 * wall:.1f} ms wall per process, {1e3 * cpu:.1f} ms CPU")
        t = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            ballots += list(pool.map(make, range(first, n)))
        print(
            f"(setup) the other {n - first:,} ballots on {workers} worker(s): {time.perf_counter() - t:.1f} s"
        )
        t = time.perf_counter()
        for b in ballots:
            _run(["archive", "add-event", "--type=Ballot"], d, b)
        print(f"(setup) adding {n:,} ballots to the archive: {time.perf_counter() - t:.1f} s")

        def timed(label: str, fn) -> None:  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            fn()
            figures[label] = time.perf_counter() - t
            print(f"  {label:<44} {figures[label]:>8.2f} s")

        timed("verify every ballot (election verify)", lambda: _run(["election", "verify"], d))
        _run(["archive", "add-event", "--type=EndBallots"], d, "")
        timed(
            "encrypted tally",
            lambda: _run(
                ["archive", "add-event", "--type=EncryptedTally"],
                d,
                _run(["election", "compute-encrypted-tally"], d),
            ),
        )

        def decrypt() -> None:
            for tid, k in enumerate(trustee_keys[:3], start=1):
                partial = _run(
                    [
                        "election",
                        "decrypt-threshold",
                        "--key",
                        k.name,
                        "--decryption-key",
                        k.stem + ".dkey",
                        "--trustee-id",
                        str(tid),
                    ],
                    d,
                )
                _run(["archive", "add-event", "--type=PartialDecryption"], d, partial)

        timed("3 partial decryptions with proofs", decrypt)
        timed(
            "result (verifies the partials, combines)",
            lambda: _run(
                ["archive", "add-event", "--type=Result"],
                d,
                _run(["election", "compute-result"], d),
            ),
        )
        timed("final verification (election verify)", lambda: _run(["election", "verify"], d))
        result = json.loads(
            subprocess.run(
                ["sh", "-c", "tar -xOf *.bel $(tar -tf *.bel | grep data.json | tail -n 1)"],
                cwd=d,
                capture_output=True,
                text=True,
            ).stdout
        )
        print(f"  result {result['result']}")
        figures["pipeline"] = sum(
            figures[k]
            for k in (
                "verify every ballot (election verify)",
                "encrypted tally",
                "3 partial decryptions with proofs",
                "result (verifies the partials, combines)",
            )
        )
        figures["verify"] = figures["verify every ballot (election verify)"] / n
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--belenios-ballots", type=int, default=None)
    parser.add_argument("--skip-belenios", action="store_true")
    parser.add_argument(
        "--app-ballots",
        type=int,
        default=10_000,
        help="voters of the pipeline through the application (0: skip it)",
    )
    parser.add_argument("--database-url", default=None, help="for the application's pipeline")
    parser.add_argument(
        "--ballot-file", type=Path, default=None, help="keep the sealed ballots in this file"
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} core(s); load average {os.getloadavg()[0]:.2f}")
    primitives()
    ours = one_ballot(args.samples)
    pipe = pipeline(args.ballots, args.workers, args.ballot_file)
    app = (
        app_pipeline(args.app_ballots, args.workers, args.database_url)
        if args.app_ballots
        else None
    )
    bel = None
    n_bel = args.ballots if args.belenios_ballots is None else args.belenios_ballots
    if not args.skip_belenios and n_bel > 0:
        bel = belenios(n_bel, args.workers, min(args.samples, 50))
    print("== summary (goals from issue 18) ==")
    seal, verify = ours["yes/no seal"], ours["yes/no verify"]
    print(f"seal one yes/no ballot:         {1e3 * seal:7.3f} ms   (goal <= 2 ms)")
    print(
        f"verify one ballot on one core:  {1e3 * ours['yes/no verify cpu']:7.3f} ms CPU "
        f"({1e3 * verify:.3f} ms wall)   (goal <= 1 ms)"
    )
    print(f"verify, CPU per ballot in the pipeline: {1e3 * pipe['verify_cpu']:7.3f} ms")
    if args.ballots == 10_000:
        print(f"10,000-ballot pipeline:        {pipe['pipeline']:7.1f} s    (goal < 60 s)")
    print(
        f"{args.ballots:,}-ballot tally with every proof verified: {pipe['pipeline']:7.1f} s on "
        f"{args.workers} worker(s), peak memory at most {pipe['peak_mib']:,.0f} MiB "
        "(goal for 1,000,000: < 15 min, < 2 GB)"
    )
    if app is not None:
        print(
            f"{args.app_ballots:,}-voter pipeline through the application (close, 3 partial "
            f"decryptions, count, export, verify): {app['app_pipeline']:7.1f} s, "
            f"{app['app_cpu']:.1f} s CPU   (goal < 60 s)"
        )
    if bel is not None:
        scale = args.ballots / n_bel
        print(
            f"belenios-tool: making a ballot {1e3 * bel['seal']:.1f} ms CPU "
            f"(x{bel['seal'] / seal:.1f} ours); verifying one {1e3 * bel['verify']:.2f} ms "
            f"(x{bel['verify'] / verify:.1f} ours per core); pipeline {bel['pipeline']:.1f} s "
            f"for {n_bel:,} ballots (x{bel['pipeline'] * scale / pipe['pipeline']:.1f} ours"
            f"{', scaled to the same size' if scale != 1 else ''})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
