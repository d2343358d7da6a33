"""The verifiable mix of sealed ranked ballots (crypto/shuffle.py, crypto/shuffle_verify.py), and a
whole STV election mixed by its trustees, beside Debian's belenios-tool 2.0 mixing as many ballots.

    .venv/bin/python bench/bench_mixnet.py [--ballots 300] [--candidates 10] [--rounds 3]
        [--pipeline 0] [--election 10000] [--seats 2] [--belenios-ballots N] [--jobs 2] [--keep]

1. Per ballot per core: ``--ballots`` sealed rankings of ``--candidates`` candidates (one
   ciphertext per rank, all ranks used: the widest ballot), shuffled with proof by one process
   (``shuffle_with_proof``), then the proof checked by one process (``check_shuffle_proof``,
   from the JSON texts as the record carries them). The cost is linear in ballots x ranks.
2. ``--rounds`` trustees shuffling in turn over the same list, each round verified.
3. ``--pipeline N`` (0 skips it): the same for N ballots, pure (no application).
4. ``--election N`` (0 skips it; default 10,000): an STV (Scottish) election of N voters and
   ``--candidates`` candidates, ``--seats`` seats, through the application on SQLite in a scratch
   directory: cast with sealing at the door (setup, timed apart), then, timed, the close
   (publication and the mix request), each of the 3 trustees of a 3-of-5 board shuffling with
   proof on "their computer" (this process) and posting it (the server verifies each proof before
   accepting it), 3 trustees' partial decryptions of the last output (the third decrypts and
   counts), the export and ``asamblea verify --jobs`` in a process of its own (every sealed
   ballot, every shuffle, every partial decryption, the count). End to end = close to verified.
5. belenios-tool 2.0 (Debian; ``apt-get install belenios-tool``) on an election of as many
   ballots (``--belenios-ballots``, default N) with one non-homomorphic question of
   ``--candidates`` answers (its STV ballots: one ciphertext per ballot in the 2048-bit group
   RFC-3526-2048, the only kind of group its non-homomorphic questions take), 3 trustees:
   ballots made and added (setup, timed apart), then timed, 3 ``election shuffle`` in turn, the
   3 partial decryptions and ``election verify``. The ratios to ours are printed per ballot
   (its cost is linear in ballots, on one core: about 0.4 s of CPU per ballot after the ballots
   are made, so 10,000 ballots take over an hour; ``--belenios-ballots 1000`` keeps a run under
   half an hour).

CPU seconds are printed beside wall seconds (the machine may be loaded: the load average is
printed). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from asamblea.crypto import shuffle as S  # noqa: E402
from asamblea.crypto import shuffle_verify as V  # noqa: E402
from asamblea.crypto.elgamal import Ciphertext, encrypt  # noqa: E402
from asamblea.crypto.group import base_mul, point_from_text, random_scalar  # noqa: E402
from asamblea.crypto.transcript import Context  # noqa: E402
from asamblea.record.recount_mixing import PARALLEL_FROM, check_over_cores  # noqa: E402


def _ballots(key: bytes, n: int, c: int) -> list[tuple[Ciphertext, ...]]:
    # Each ballot ranks every candidate (a rotation): c ciphertexts of 1..c.
    return [tuple(encrypt(key, 1 + (i + k) % c)[0] for k in range(c)) for i in range(n)]  # type: ignore[arg-type]


def _round(ctx: Context, ballots: list[tuple[Ciphertext, ...]]) -> tuple[list, float, float]:  # type: ignore[type-arg]
    t0 = time.process_time()
    outputs, proof = S.shuffle_with_proof(ctx, ballots)
    prove = time.process_time() - t0
    inputs_json, outputs_json, proof_json = (
        S.ballots_to_json(ballots),
        S.ballots_to_json(outputs),
        S.proof_to_json(proof),
    )
    t0 = time.process_time()
    V.check_shuffle_proof(
        ctx,
        V.ballots_from_json(inputs_json),
        V.ballots_from_json(outputs_json),
        V.proof_from_json(proof_json),
    )
    verify = time.process_time() - t0
    t0 = time.perf_counter()
    check_over_cores(
        ctx,
        V.ballots_from_json(inputs_json),
        V.ballots_from_json(outputs_json),
        V.proof_from_json(proof_json),
    )
    wall = time.perf_counter() - t0
    cores = os.cpu_count() or 1
    if len(ballots) * len(ballots[0]) >= PARALLEL_FROM and cores > 1:
        print(f"  the same verification over {cores} cores (asamblea verify): {wall:,.1f} s wall")
    return outputs, prove, verify


def run(n: int, c: int, rounds: int, label: str) -> None:
    key = base_mul(random_scalar())
    ctx = Context("bench/election/1", "q1", key)
    ballots = _ballots(key, n, c)
    print(f"== {label}: {n:,} ballots x {c} ranks, {rounds} shuffle(s) ==")
    total_p = total_v = 0.0
    for r in range(1, rounds + 1):
        ballots, prove, verify = _round(ctx, ballots)
        total_p += prove
        total_v += verify
        print(
            f"round {r}: shuffle+proof {prove:,.1f} s CPU ({1e3 * prove / n:,.2f} ms/ballot), "
            f"verify {verify:,.1f} s CPU ({1e3 * verify / n:,.2f} ms/ballot)"
        )
    print(
        f"per ballot per core, {c} candidates: shuffle with proof {1e3 * total_p / n / rounds:,.2f} ms, "
        f"verification {1e3 * total_v / n / rounds:,.2f} ms; "
        f"{rounds} rounds: {total_p:,.1f} s proving, {total_v:,.1f} s verifying (one core)"
    )


def _children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def peak_mib() -> tuple[float, float]:
    """Peak resident memory so far: this process, and the largest of its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


class Clock:
    """Wall and CPU (this process and its children: worker pools, asamblea verify) of each named
    step; cores used = CPU / wall."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float, float]] = []

    def step(self, name: str, fn):  # type: ignore[no-untyped-def]
        t, c, k = time.perf_counter(), time.process_time(), _children()
        out = fn()
        wall, cpu = time.perf_counter() - t, time.process_time() - c + _children() - k
        self.steps.append((name, wall, cpu))
        me, kids = peak_mib()
        print(
            f"  {name}: {wall:,.1f} s wall, {cpu:,.1f} s CPU, {cpu / max(wall, 1e-9):.2f} cores "
            f"(peak so far: {me:,.0f} MiB here, {kids:,.0f} MiB the largest child)",
            flush=True,
        )
        return out

    def total(self, prefix: str = "") -> tuple[float, float]:
        chosen = [(w, c) for n, w, c in self.steps if n.startswith(prefix)]
        return sum(w for w, _ in chosen), sum(c for _, c in chosen)


def election(n: int, candidates: int, seats: int, jobs: int, work: Path) -> dict[str, float]:
    """An STV election through the application: see the module's docstring, item 4."""
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
            "ASAMBLEA_SECRET_KEY": secrets.token_urlsafe(40),
            "ASAMBLEA_VAR_DIR": str(work / "var"),
        }
    )
    from asamblea.commands import django_setup

    django_setup()
    import datetime as dt

    import fixture
    from django.core.management import call_command

    from asamblea.commands.trustee import shuffle_here
    from asamblea.core.action import System
    from asamblea.core.clock import now
    from asamblea.elections import actions
    from asamblea.elections.models import Election
    from asamblea.recordstore import actions as record_actions
    from asamblea.recordstore.export import export_to_dir
    from asamblea.registry import actions as registry
    from asamblea.registry.models import Body, Member, Membership
    from asamblea.trustees.actions.decryption import check_post_partial
    from asamblea.trustees.actions.mixing import check_post_shuffle
    from asamblea.trustees.models import DecryptionRequest, MixRequest, Trustee
    from asamblea.trustees.sharefile import partials_for

    call_command("migrate", verbosity=0)
    org = registry.do_create_organisation(None, slug="bench-mix", name="Bench mix")
    unit = registry.do_create_body(None, org, code="U1", name="Unit", kind=Body.Kind.WORKPLACE)
    assembly = registry.do_create_body(
        None, org, code="A1", name="Assembly", kind=Body.Kind.ASSEMBLY
    )
    at = now()
    Member.objects.bulk_create(
        [
            Member(organisation=org, member_ref=f"M{i:07d}", display_name=f"M {i}", created_at=at)
            for i in range(max(n, candidates))
        ],
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        [
            Membership(member_id=pk, unit=unit, joined_on=dt.date(2020, 1, 1))
            for pk in Member.objects.filter(organisation=org).values_list("pk", flat=True)
        ],
        batch_size=1000,
    )
    vote = actions.do_create_election(
        None,
        organisation=org,
        unit=unit,
        body=assembly,
        title="Bench STV",
        method="stv-scottish",
        seats=seats,
    )
    actions.do_open_nominations(None, vote)
    for member in Member.objects.filter(organisation=org).order_by("member_ref")[:candidates]:
        actions.do_nominate(None, vote, member)
    shares = fixture.make_board(org, k=3, n=5)
    opened = actions.do_open_election(None, vote)
    vote = opened.election
    keys = actions.candidate_keys(vote)
    box = actions.BallotBox.load(vote.pk)
    rng = random.Random(2026)  # noqa: S311 - benchmark data
    t, c = time.perf_counter(), time.process_time()
    codes = list(opened.printed_codes.values())[:n]
    for code in codes:
        ranking = rng.sample(keys, rng.randint(1, len(keys)))
        actions.check_cast(box, code, {"ranking": ranking}, secrets.token_urlsafe(24))
    print(
        f"  (setup) {n:,} STV rankings of {candidates} candidates cast, sealed at the door: "
        f"{time.perf_counter() - t:,.1f} s wall, {time.process_time() - c:,.1f} s CPU",
        flush=True,
    )
    clock = Clock()
    clock.step(
        "close: publish the sealed ballots, ask for the mix",
        lambda: actions.do_close_election(System("bench officer"), vote),
    )
    mix = MixRequest.objects.get(subject=f"election:{vote.pk}:rankings")
    from asamblea.crypto.transcript import Context

    context = Context(mix.seal_id, mix.question, point_from_text(mix.board.public_key))
    for index in (1, 2, 3):
        mix.refresh_from_db()
        trustee = Trustee.objects.select_related("user").get(board=mix.board, index=index)
        current = V.ballots_from_json(mix.current)

        def prove(current=current):  # type: ignore[no-untyped-def]
            # As ``asamblea trustee shuffle`` does: over every core for a large list.
            outputs, proof = shuffle_here(context, current, jobs)
            return {
                "round": mix.shuffles.count() + 1,
                "ballots": S.ballots_to_json(outputs),
                "proof": S.proof_to_json(proof),
            }

        payload = clock.step(f"trustee {index}: shuffle with proof (trustee's computer)", prove)
        clock.step(
            f"trustee {index}: post; the server verifies the proof and publishes it",
            lambda trustee=trustee, payload=payload: check_post_shuffle(
                trustee.user, mix.pk, payload
            ),
        )
    request = DecryptionRequest.objects.get(subject=f"election:{vote.pk}:rankings")
    key = point_from_text(request.board.public_key)
    for share in shares[:3]:
        trustee = Trustee.objects.select_related("user").get(board=request.board, index=share.index)
        payload = clock.step(
            f"trustee {share.index}: {request.total:,} partial decryptions (trustee's computer)",
            lambda share=share: partials_for(share, key, request.groups),
        )
        clock.step(
            f"trustee {share.index}: post; verified (the third decrypts and counts)",
            lambda trustee=trustee, payload=payload: check_post_partial(
                trustee.user, request.pk, payload
            ),
        )
    vote = Election.objects.get(pk=vote.pk)
    out = work / "record"

    def export() -> None:
        record_actions.do_sign_checkpoint(org)
        export_to_dir(org, out)

    clock.step("export the record", export)

    def verify() -> str:
        done = subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-m", "asamblea", "verify", str(out), "--key", str(out / "key.pub")]
            + ["--jobs", str(jobs)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])
        return next(line for line in done.stdout.splitlines() if line.startswith("recounted:"))

    recounted = clock.step(f"asamblea verify --jobs {jobs} (a process of its own)", verify)
    print(f"  {recounted.strip()}")
    print(
        f"  result: {vote.state}, winners {vote.result['winners']}, spoilt {vote.result['spoilt']}"
    )
    wall, cpu = clock.total()
    me, kids = peak_mib()
    print(
        f"end to end ({n:,} ballots x {candidates} ranks, 3 trustees mix, 3 decrypt, verified): "
        f"{wall:,.1f} s wall, {cpu:,.1f} s CPU, {cpu / wall:.2f} cores on average of "
        f"{os.cpu_count()}; peak memory {me:,.0f} MiB (this process: server and trustees), "
        f"{kids:,.0f} MiB (the largest child); goal: under 600 s wall on this machine: "
        f"{'MET' if wall < 600 else 'NOT MET'}"
    )
    return {
        "ballots": n,
        "shuffle": clock.total("trustee 1: shuffle")[1],
        "server_check": clock.total("trustee 1: post; the server")[1],
        "verify": clock.steps[-1][2],
        "wall": wall,
        "cpu": cpu,
    }


def _bel(args: list[str], cwd: Path, stdin: str | None = None) -> str:
    env = {**os.environ, "BELENIOS_USE_URANDOM": "1"}
    done = subprocess.run(  # noqa: S603 - Debian's belenios-tool
        ["belenios-tool", *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"belenios-tool {' '.join(args)}: {done.stderr[-500:]}")
    return done.stdout


def belenios(n: int, candidates: int, work: Path) -> dict[str, float] | None:
    """belenios-tool 2.0 mixing ``n`` ballots: see the module's docstring, item 5."""
    if shutil.which("belenios-tool") is None:
        print("== belenios-tool is not installed (apt-get install belenios-tool): no comparison ==")
        return None
    version = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "belenios-tool"], capture_output=True, text=True
    ).stdout
    print(
        f"== belenios-tool {version or '?'}: {n:,} ballots, one non-homomorphic question of "
        f"{candidates} answers (RFC-3526-2048), 3 trustees ==",
        flush=True,
    )
    d = work / "belenios"
    d.mkdir()
    g = ["--group", "RFC-3526-2048"]
    t, k = time.perf_counter(), _children()
    uuid = _bel(["setup", "generate-token"], d).strip()
    _bel(["setup", "generate-credentials", "--uuid", uuid, *g, "--count", str(n)], d)
    next(d.glob("*.pubcreds")).rename(d / "public_creds.json")
    creds = [line.split()[1] for line in next(d.glob("*.privcreds")).read_text().splitlines()]
    for _ in range(3):
        _bel(["setup", "generate-trustee-key", *g], d)
    (d / "public_keys.jsons").write_text("".join(p.read_text() for p in sorted(d.glob("*.pubkey"))))
    _bel(["setup", "make-trustees"], d)
    (d / "public_keys.jsons").unlink()
    answers = [str(i) for i in range(1, candidates + 1)]
    template = {
        "description": "bench",
        "name": "bench",
        "questions": [
            {"type": "NonHomomorphic", "value": {"question": "STV?", "answers": answers}}
        ],
    }
    (d / "template.json").write_text(json.dumps(template))
    _bel(["setup", "make-election", "--uuid", uuid, *g, "--template", "template.json"], d)
    _bel(["archive", "init"], d)
    for name in ("election.json", "trustees.json", "public_creds.json"):
        (d / name).unlink()

    def make(i: int) -> str:
        # Belenios' STV ballot: the rank given to each answer (a full ranking).
        ranks = list(range(1, candidates + 1))
        rng_i = random.Random(i)  # noqa: S311 - benchmark data
        rng_i.shuffle(ranks)
        vote = d / f"vote-{i % 8}-{threading_id()}.json"
        vote.write_text(json.dumps([ranks]))
        return _bel(
            ["election", "generate-ballot", "--privcred", "/dev/stdin", "--ballot", str(vote)],
            d,
            creds[i],
        )

    with ThreadPoolExecutor(2) as pool:
        ballots = list(pool.map(make, range(n)))
    for b in ballots:
        _bel(["archive", "add-event", "--type=Ballot"], d, b)
    _bel(["archive", "add-event", "--type=EndBallots"], d, "")
    tally = _bel(["election", "compute-encrypted-tally"], d)
    _bel(["archive", "add-event", "--type=EncryptedTally"], d, tally)
    print(
        f"  (setup) credentials, keys, {n:,} ballots made and added: "
        f"{time.perf_counter() - t:,.1f} s wall, {_children() - k:,.1f} s CPU",
        flush=True,
    )
    clock = Clock()
    for i in (1, 2, 3):
        shuffled = clock.step(
            f"belenios trustee {i}: election shuffle",
            lambda i=i: _bel(["election", "shuffle", f"--trustee-id={i}"], d),
        )
        _bel(["archive", "add-event", "--type=Shuffle"], d, shuffled)
    _bel(["archive", "add-event", "--type=EndShuffles"], d, "")
    for i, key in enumerate(sorted(d.glob("*.privkey")), start=1):
        part = clock.step(
            f"belenios trustee {i}: partial decryption",
            lambda key=key, i=i: _bel(
                ["election", "decrypt", "--privkey", key.name, f"--trustee-id={i}"], d
            ),
        )
        _bel(["archive", "add-event", "--type=PartialDecryption"], d, part)
    result = _bel(["election", "compute-result"], d)
    _bel(["archive", "add-event", "--type=Result"], d, result)
    clock.step(
        "belenios election verify (every ballot, shuffle and decryption)",
        lambda: _bel(["election", "verify"], d),
    )
    wall, cpu = clock.total()
    print(f"belenios end to end (after the ballots): {wall:,.1f} s wall, {cpu:,.1f} s CPU")
    return {
        "ballots": n,
        "shuffle": clock.total("belenios trustee 1: election shuffle")[1],
        "verify": clock.steps[-1][2],
        "wall": wall,
        "cpu": cpu,
    }


def threading_id() -> int:
    import threading

    return threading.get_ident()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=300)
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pipeline", type=int, default=0)
    parser.add_argument("--election", type=int, default=10_000)
    parser.add_argument("--seats", type=int, default=2)
    parser.add_argument("--belenios-ballots", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    run(args.ballots, args.candidates, args.rounds, "per ballot")
    if args.pipeline:
        run(args.pipeline, args.candidates, args.rounds, "pipeline")
    ours = theirs = None
    work = Path(tempfile.mkdtemp(prefix="asamblea-bench-mixnet-"))
    try:
        if args.election:
            print(
                f"== an STV election of {args.election:,} ballots, {args.candidates} candidates, "
                f"mixed by 3 trustees, decrypted, counted and verified ==",
                flush=True,
            )
            ours = election(args.election, args.candidates, args.seats, args.jobs, work)
        n_bel = args.election if args.belenios_ballots is None else args.belenios_ballots
        if n_bel:
            theirs = belenios(n_bel, args.candidates, work)
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if ours and theirs:
        same = "" if ours["ballots"] == theirs["ballots"] else ", per ballot (not the same count)"
        for what, label in (
            ("shuffle", "one shuffle with proof, CPU"),
            ("verify", "verifying the whole election, CPU"),
            ("cpu", "end to end after the ballots (close or shuffles to verified), CPU"),
        ):
            a, b = theirs[what] / theirs["ballots"], ours[what] / ours["ballots"]
            print(
                f"{label}: belenios-tool {1e3 * a:,.1f} ms per ballot ({theirs[what]:,.1f} s for "
                f"{theirs['ballots']:,} ballots of 1 ciphertext, 2048-bit group), ours "
                f"{1e3 * b:,.1f} ms ({ours[what]:,.1f} s for {ours['ballots']:,} ballots of "
                f"{args.candidates} ciphertexts, ristretto255): ratio belenios/ours {a / b:.1f}"
                f"{same}"
            )
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
