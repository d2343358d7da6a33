"""``asamblea key`` (the record's signing keys) and ``asamblea export-record``."""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path

from asamblea.commands import UsageError, django_setup

HELP_KEY = """Manage an organisation's record signing key (Ed25519, signs checkpoints).

An operator verb: the keys are sealed with this server's SECRET_KEY, so whoever runs it on the
server is trusted with them; the audit log names the operating-system user.

  generate       make the first key (done automatically at the first checkpoint otherwise)
  rotate         propose a new key (the platform operator, signed in); a registrar of the
                 organisation approves (`asamblea approval approve N`); the handover
                 checkpoint is signed by the new and the old key
  export-public  print the verifier key(s) to publish and pin (`asamblea verify --key`)
  backup         write every key, encrypted with a passphrase, to --output (mode 0600);
                 passphrase from $ASAMBLEA_KEY_BACKUP_PASSPHRASE or asked for
  restore        re-store the keys of a backup (--input) under the current SECRET_KEY
See docs/record.md."""

HELP_EXPORT_RECORD = """Export an organisation's public record to DIR for offline verification.

Writes DIR/entries.jsonl (line n is leaf n), DIR/checkpoints/ (signed notes named by tree size),
DIR/key.pub and DIR/keys.pub, after signing a checkpoint over every entry so far.
Check it with `asamblea verify DIR --key KEY`."""


def configure_key(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=["generate", "rotate", "export-public", "backup", "restore"]
    )
    parser.add_argument("--organisation", required=True, metavar="SLUG")
    parser.add_argument("--output", metavar="FILE", help="backup file to write")
    parser.add_argument("--input", metavar="FILE", help="backup file to restore")
    parser.add_argument("--all", action="store_true", help="export-public: every key, oldest first")


def _organisation(slug: str):  # type: ignore[no-untyped-def]
    from asamblea.registry.models import Organisation

    org = Organisation.objects.filter(slug=slug).first()
    if org is None:
        raise UsageError(f"no organisation {slug!r}")
    return org


def run_key(args: argparse.Namespace) -> int:
    django_setup()
    from asamblea.core.action import Operator
    from asamblea.core.errors import ActionError
    from asamblea.recordstore import actions, export

    operator = Operator.current()
    org = _organisation(args.organisation)
    try:
        if args.action == "generate":
            key = actions.do_generate_key(operator, org)
            print(key.vkey)
        elif args.action == "rotate":
            # Two people (SYSTEM.md): the platform operator, signed in as themself, proposes; a
            # registrar of the organisation approves with `asamblea approval approve N`.
            from asamblea.commands.auth import authenticated_user
            from asamblea.core.permissions import Forbidden

            try:
                proposed = actions.check_propose_key_rotation(authenticated_user(), org)
            except Forbidden as exc:
                raise UsageError(exc.detail) from None
            print(
                f"approval {proposed.pk}: key rotation proposed; a registrar of "
                f"{org.slug} approves it with `asamblea approval approve {proposed.pk}`"
            )
        elif args.action == "export-public":
            text = export.keys_pub(org) if args.all else export.key_pub(org)
            if not text:
                raise UsageError("the organisation has no key yet (asamblea key generate)")
            print(text, end="")
        elif args.action == "restore":
            if not args.input:
                raise UsageError("restore needs --input FILE")
            blob = Path(args.input).read_bytes()
            passphrase = os.environ.get("ASAMBLEA_KEY_BACKUP_PASSPHRASE") or getpass.getpass(
                "Backup passphrase: "
            )
            count = actions.do_restore_keys(operator, org, blob, passphrase)
            print(f"restored {count} key(s)")
        else:
            return _backup(args, org)
    except ActionError as exc:
        raise UsageError(exc.detail) from exc
    return 0


def _backup(args: argparse.Namespace, org) -> int:  # type: ignore[no-untyped-def]
    from asamblea.core.action import Operator
    from asamblea.recordstore import actions

    if not args.output:
        raise UsageError("backup needs --output FILE")
    out = Path(args.output)
    if out.exists():
        raise UsageError(f"{out} exists; choose a new file")
    passphrase = os.environ.get("ASAMBLEA_KEY_BACKUP_PASSPHRASE")
    if not passphrase:
        passphrase = getpass.getpass("Backup passphrase (12+ characters): ")
        if getpass.getpass("Again: ") != passphrase:
            raise UsageError("the passphrases differ")
    blob = actions.backup_keys(Operator.current(), org, passphrase)
    # Created 0600 from the start: the file holds private keys (encrypted, but still).
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(blob)
    print(f"wrote {out}; keep it and its passphrase apart, off this machine")
    return 0


def configure_export_record(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR")
    parser.add_argument("--organisation", required=True, metavar="SLUG")


def run_export_record(args: argparse.Namespace) -> int:
    django_setup()
    from asamblea.recordstore.export import export_to_dir

    org = _organisation(args.organisation)
    counts = export_to_dir(org, args.directory)
    print(
        f"exported {counts['entries']} entries and {counts['checkpoints']} checkpoints "
        f"to {args.directory}"
    )
    return 0
