"""``asamblea trustee``: a trustee's own steps, on their own computer.

The cryptography runs here; the server only routes messages (``ASAMBLEA_URL`` or ``--server``,
authenticated with the trustee's own ``ASAMBLEA_TOKEN``). Nothing here needs the database, and
nothing secret is ever sent: the share file stays on this computer (mode 0600).

Air-gapped: on a connected machine ``trustee board ID --out board.json`` (and ``trustee request
ID --out request.json``); on the offline one ``trustee step --board-file board.json --share FILE
--out message.json`` (or ``trustee decrypt --request-file ... --out partial.json``); back on the
connected one ``trustee send``. See docs/adr/0012-trustees.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from asamblea.commands import InputError, UsageError

HELP = """\
a trustee's steps, run on their own computer (the server never sees a share)
  trustee status                                   your boards and what each waits for
  trustee board ID [--out FILE]                    a board, its fingerprints (FILE: for offline use)
  trustee step --board ID --share FILE             do your next key-generation step
  trustee step --board-file B --share FILE [--index I] --out MSG   the same, offline
  trustee send --board ID MSG                      send a message made offline
  trustee deal --board NEW --share OLDFILE [--board-file B --out MSG]
                                                   resharing: deal your share to the board that
                                                   replaces yours
  trustee request ID [--out FILE]                  a decryption request (FILE: for offline use)
  trustee decrypt --share FILE [--request ID]      decrypt every pending request of your board
  trustee decrypt --share FILE --request-file R --out PART         the same, offline
  trustee send-partial --request ID PART           send a partial decryption made offline
  trustee shuffle --mix ID                         shuffle a list of sealed ranked ballots with
                                                   proof, on this computer (every core), send it
  trustee backup --share FILE                      print a paper backup of your share
  trustee restore --out FILE                       type a paper backup back into a share file
Online verbs use ASAMBLEA_URL (or --server) and your own ASAMBLEA_TOKEN."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", default=None, help="the server (default: $ASAMBLEA_URL)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("status", help="your boards and their next steps")
    board = sub.add_parser("board", help="a board and its fingerprints")
    board.add_argument("board_id", type=int, metavar="ID")
    board.add_argument("--out", type=Path)
    step = sub.add_parser("step", help="your next key-generation step")
    step.add_argument("--board", type=int, metavar="ID")
    step.add_argument("--board-file", type=Path)
    step.add_argument("--share", type=Path, required=True)
    step.add_argument("--index", type=int, help="your index (offline, first step only)")
    step.add_argument("--out", type=Path, help="write the message here instead of sending it")
    deal = sub.add_parser("deal", help="resharing: deal your share to the replacing board")
    deal.add_argument("--board", type=int, metavar="NEW")
    deal.add_argument("--board-file", type=Path)
    deal.add_argument("--share", type=Path, required=True, help="your share of the old board")
    deal.add_argument("--out", type=Path)
    send = sub.add_parser("send", help="send a key-generation message made offline")
    send.add_argument("--board", type=int, required=True, metavar="ID")
    send.add_argument("message", type=Path)
    req = sub.add_parser("request", help="a decryption request")
    req.add_argument("request_id", type=int, metavar="ID")
    req.add_argument("--out", type=Path)
    dec = sub.add_parser("decrypt", help="partial decryptions with your share")
    dec.add_argument("--share", type=Path, required=True)
    dec.add_argument("--request", type=int, metavar="ID")
    dec.add_argument("--request-file", type=Path)
    dec.add_argument("--out", type=Path)
    sp = sub.add_parser("send-partial", help="send a partial decryption made offline")
    sp.add_argument("--request", type=int, required=True, metavar="ID")
    sp.add_argument("partial", type=Path)
    sub.add_parser("shuffle", help="shuffle a ranked vote's ballots with proof").add_argument(
        "--mix", type=int, required=True, metavar="ID"
    )
    sub.add_parser("backup", help="print a paper backup").add_argument(
        "--share", type=Path, required=True
    )
    sub.add_parser("restore", help="paper backup (stdin) to share file").add_argument(
        "--out", type=Path, required=True
    )


class Server:
    """The API, over HTTPS, as the trustee's own token."""

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/api{path}", data=data, method=method)  # noqa: S310
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read()).get("detail", exc.reason)
            except ValueError:
                detail = exc.reason
            raise UsageError(f"the server refused ({exc.code}): {detail}") from None
        except urllib.error.URLError as exc:
            raise UsageError(f"cannot reach {self.url}: {exc.reason}") from None

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self._call("POST", path, body)


def make_server(args: argparse.Namespace) -> Server:
    url = args.server or os.environ.get("ASAMBLEA_URL", "")
    if not url:
        raise UsageError("say which server: --server URL or ASAMBLEA_URL")
    token = os.environ.get("ASAMBLEA_TOKEN", "").strip() or None
    if token is None and os.environ.get("ASAMBLEA_TOKEN_FILE"):
        token = Path(os.environ["ASAMBLEA_TOKEN_FILE"]).read_text().splitlines()[0].strip()
    return Server(url, token)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")


def _fingerprints(board: dict[str, Any], out: Any) -> None:
    from asamblea.record.entries.trustees import group_fingerprint

    print(f"board {board['board']}: {board['k']} of {board['n']}, {board['state']}", file=out)
    for t in board["trustees"]:
        fp = group_fingerprint(t["fingerprint"]) if t["fingerprint"] else "(no certificate yet)"
        print(f"  trustee {t['index']:>2}  {t['name']:<30}  {fp}", file=out)
    if board.get("fingerprint"):
        print(f"  joint key  {group_fingerprint(board['fingerprint'])}", file=out)
    for line in board.get("meaning", []):
        print(f"  {line}", file=out)


def run(args: argparse.Namespace) -> int:
    from asamblea.trustees.sharefile import ShareFileError

    try:
        return _dispatch(args)
    except ShareFileError as exc:
        raise InputError(str(exc)) from None


def _dispatch(args: argparse.Namespace) -> int:
    from asamblea.trustees import sharefile

    action = args.action
    if action == "backup":
        sys.stdout.write(sharefile.paper_backup(sharefile.load(args.share)))
        return 0
    if action == "restore":
        restored = sharefile.from_paper(sys.stdin.read())
        if args.out.exists():
            raise UsageError(f"{args.out} exists: restore into a new file")
        sharefile.save(args.out, restored)
        print(f"restored trustee {restored.index}'s share of {restored.board} into {args.out}")
        return 0
    if action == "step":
        return _step(args)
    if action == "deal":
        return _deal(args)
    if action == "decrypt":
        return _decrypt(args)
    server = make_server(args)
    if action == "status":
        for row in server.get("/trustees/me"):
            steps = ", ".join(row["steps"]) or "nothing to do now"
            print(f"board {row['board']} ({row['uid']}), trustee {row['index']}: {steps}")
        return 0
    if action == "board":
        board = server.get(f"/trustees/boards/{args.board_id}")
        if args.out:
            _write_json(args.out, board)
        _fingerprints(board, sys.stdout)
        return 0
    if action == "request":
        request = server.get(f"/trustees/requests/{args.request_id}")
        if args.out:
            _write_json(args.out, request)
        print(f"request {request['id']}: {request['subject']}, {request['state']}")
        return 0
    if action == "send":
        message = _read_json(args.message)
        step = message.pop("step", None) if isinstance(message, dict) else None
        if step is None:
            raise InputError(f"{args.message}: not a message made by 'trustee step --out'")
        answer = server.post(f"/trustees/boards/{args.board}/{step}", message["message"])
        print(f"sent your {step}; the board is {answer['board_state']}")
        return 0
    if action == "shuffle":
        return _shuffle(server, args.mix)
    if action == "send-partial":
        answer = server.post(f"/trustees/requests/{args.request}/partial", _read_json(args.partial))
        print(f"sent; request {'decrypted' if answer['completed'] else 'still waiting'}")
        return 0
    raise UsageError(f"unknown action {action!r}")


def _step(args: argparse.Namespace) -> int:
    from asamblea.trustees import sharefile, steps

    server = None
    if args.board_file:
        board = _read_json(args.board_file)
    elif args.board:
        server = make_server(args)
        board = server.get(f"/trustees/boards/{args.board}")
    else:
        raise UsageError("say which board: --board ID (online) or --board-file FILE (offline)")
    if args.share.exists():
        share = sharefile.load(args.share)
    else:
        index = args.index
        if index is None and server is not None:
            mine = [r for r in server.get("/trustees/me") if r["uid"] == board["board"]]
            index = mine[0]["index"] if mine else None
        if index is None:
            raise UsageError("you are not on this board (offline, give --index)")
        share = steps.start(board, index)
    nxt = steps.next_step(board, share)
    sharefile.save(args.share, share)  # before anything leaves this computer
    if nxt.done:
        print(f"the board is ready; your share is in {args.share}. Keep it, and a paper backup.")
        _fingerprints(board, sys.stdout)
        return 0
    if nxt.step is None:
        who = ", ".join(str(i) for i in nxt.waiting)
        print(f"waiting for trustee(s) {who} to publish their {nxt.waiting_step}; run again later")
        return 0
    if args.out or server is None:
        if not args.out:
            raise UsageError("offline: say where to write the message with --out")
        _write_json(args.out, {"step": nxt.step, "message": nxt.message})
        print(f"your {nxt.step} is in {args.out}: send it with 'asamblea trustee send'")
        return 0
    answer = server.post(f"/trustees/boards/{args.board}/{nxt.step}", nxt.message)
    print(f"sent your {nxt.step}; the board is {answer['board_state']}")
    return 0


def _decrypt(args: argparse.Namespace) -> int:
    from asamblea.crypto.group import point_from_text
    from asamblea.trustees import sharefile

    share = sharefile.load(args.share)
    if share.share is None:
        raise UsageError("this file holds no share yet: finish the key generation first")
    if args.request_file:
        request = _read_json(args.request_file)
        if not args.out:
            raise UsageError("offline: say where to write the partial decryption with --out")
        _check_request(request, share)
        key = point_from_text(request["public_key"])
        _write_json(args.out, sharefile.partials_for(share.share, key, request["groups"]))
        print(f"your partial decryption is in {args.out}: send it with 'trustee send-partial'")
        return 0
    server = make_server(args)
    if args.request is not None:
        ids = [args.request]
    else:
        mine = [r for r in server.get("/trustees/me") if r["uid"] == share.board]
        ids = mine[0]["requests"] if mine else []
    if not ids:
        print("no decryption is waiting for you")
    for rid in ids:
        request = server.get(f"/trustees/requests/{rid}")
        _check_request(request, share)
        key = point_from_text(request["public_key"])
        payload = sharefile.partials_for(share.share, key, request["groups"])
        answer = server.post(f"/trustees/requests/{rid}/partial", payload)
        state = "decrypted" if answer["completed"] else "waiting for other trustees"
        print(f"request {rid} ({request['subject']}): sent; {state}")
    return 0


# From this many ciphertexts (ballots x ranks) a shuffle runs on every core of this computer.
SHUFFLE_PARALLEL_FROM = 20_000


def shuffle_here(context: Any, ballots: Any, jobs: int | None = None) -> Any:
    """``shuffle_with_proof`` on this computer, over ``jobs`` processes (default: every core) for
    a large list; the permutation and the randomness stay in this process and its workers."""
    from asamblea.crypto import shuffle

    jobs = jobs or os.cpu_count() or 1
    if jobs < 2 or len(ballots) * len(ballots[0]) < SHUFFLE_PARALLEL_FROM:
        return shuffle.shuffle_with_proof(context, ballots)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        return shuffle.shuffle_with_proof(context, ballots, mapper=pool.map)


def _shuffle(server: Server, mix_id: int) -> int:
    """Fetch the current list, re-encrypt and permute it with a proof here (the permutation and
    the randomness never leave this process), check the proof as the server will, and send it."""
    from asamblea.crypto import shuffle, shuffle_verify
    from asamblea.crypto.group import point_from_text
    from asamblea.crypto.transcript import Context

    mix = server.get(f"/trustees/mixes/{mix_id}")
    if mix["state"] != "pending":
        print(f"mix {mix_id} ({mix['subject']}) is complete: nothing to shuffle")
        return 0
    ctx = Context(mix["seal_id"], mix["question"], point_from_text(mix["public_key"]))
    current = shuffle_verify.ballots_from_json(mix["ballots"], "ballots")
    print(f"shuffling {len(current):,} ballots of {mix['subject']} ...", file=sys.stderr)
    outputs, proof = shuffle_here(ctx, current)
    payload = {
        "round": mix["round"],
        "ballots": shuffle.ballots_to_json(outputs),
        "proof": shuffle.proof_to_json(proof),
    }
    answer = server.post(f"/trustees/mixes/{mix_id}/shuffle", payload)
    state = "mixed: the decryption can start" if answer["completed"] else "waiting for others"
    print(f"mix {mix_id}: round {answer['round']} accepted; {state}")
    return 0


def _check_request(request: dict[str, Any], share: Any) -> None:
    if request["uid"] != share.board:
        raise UsageError(f"request {request['id']} is for board {request['uid']}, not yours")
    print(f"request {request['id']}: {request['subject']}", file=sys.stderr)


def _deal(args: argparse.Namespace) -> int:
    from asamblea.trustees import sharefile, steps

    server = None
    if args.board_file:
        board = _read_json(args.board_file)
    elif args.board:
        server = make_server(args)
        board = server.get(f"/trustees/boards/{args.board}")
    else:
        raise UsageError("say which board: --board NEW (online) or --board-file FILE (offline)")
    share = sharefile.load(args.share)
    nxt = steps.deal_step(board, share)
    sharefile.save(args.share, share)  # the dealing is kept before it leaves
    if nxt.done:
        print("enough old trustees have dealt already: nothing to do")
        return 0
    if nxt.step is None:
        who = ", ".join(str(i) for i in nxt.waiting)
        print(f"waiting for new trustee(s) {who} to publish their certificate; run again later")
        return 0
    if args.out or server is None:
        if not args.out:
            raise UsageError("offline: say where to write the dealing with --out")
        _write_json(args.out, {"step": "dealing", "message": nxt.message})
        print(f"your dealing is in {args.out}: send it with 'asamblea trustee send'")
        return 0
    answer = server.post(f"/trustees/boards/{args.board}/dealing", nxt.message)
    print(f"dealt your share to board {board['board']}; it is {answer['board_state']}")
    return 0
