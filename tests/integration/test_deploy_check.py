"""`python -m django check --deploy` with production settings warns about nothing but HSTS preload."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys

import pytest

ALLOWED = {"security.W021"}  # HSTS preload: a decision for the operator, not a default


def _check(tmp_path, **extra: str) -> tuple[int, set[str], str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ASAMBLEA_") and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="asamblea.settings",
        ASAMBLEA_PRODUCTION="1",
        ASAMBLEA_DEBUG="0",
        ASAMBLEA_SECRET_KEY=secrets.token_urlsafe(64),
        ASAMBLEA_ALLOWED_HOSTS="asamblea.example.org",
        ASAMBLEA_VAR_DIR=str(tmp_path / "var"),
        **extra,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = proc.stdout + proc.stderr
    return proc.returncode, set(re.findall(r"\(([a-z_.]+\.[WE]\d+)\)", output)), output


@pytest.mark.slow
def test_production_settings_pass_the_deploy_check_except_hsts_preload(tmp_path):
    status, issues, output = _check(tmp_path)
    assert status == 0, output
    assert issues <= ALLOWED, output


@pytest.mark.slow
def test_the_deploy_check_would_catch_a_weakened_setting(tmp_path):
    # Pins that the check above can fail: turning the HTTPS redirect off must be reported.
    _status, issues, output = _check(tmp_path, ASAMBLEA_SSL_REDIRECT="0")
    assert "security.W008" in issues, output
