"""sha256 without OpenSSL: the same digests, and a recommendation that never loads OpenSSL."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mscadvisor.kb.digest import sha256


@given(st.lists(st.binary(max_size=300), max_size=4))
def test_the_digests_are_hashlibs(chunks: list[bytes]) -> None:
    ours, theirs = sha256(b""), hashlib.sha256()
    for chunk in chunks:
        ours.update(chunk)
        theirs.update(chunk)
    assert ours.hexdigest() == theirs.hexdigest() and ours.digest() == theirs.digest()


@pytest.mark.subprocess
def test_a_recommendation_from_the_cache_loads_neither_openssl_pydantic_nor_the_parser(
    tmp_path: Path,
) -> None:
    """What a run saves by finding its cache by the files' stamps and hashing the knowledge
    with CPython's own sha256: OpenSSL's library (about 2 ms to load), pydantic, and the
    condition parser (the hash writes conditions with ``conditions.long_form``)."""
    probe = (
        "import sys; from mscadvisor.cli.main import main\n"
        "try: main(['recommend', '-d', 'POF', '-f', 'json'])\n"
        "except SystemExit: pass\n"
        "unwanted = {'_hashlib', 'hashlib', 'pydantic', 'mscadvisor.kb.condition_syntax'}\n"
        "print(sorted(unwanted & set(sys.modules)), file=sys.stderr)"
    )
    env = {**os.environ, "MSCADVISOR_CACHE_DIR": str(tmp_path), "MSCADVISOR_NO_CACHE": "0"}
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
        )
        for _ in "12"
    ]
    first, second = (run.stderr.strip().splitlines()[-1] for run in runs)
    assert "pydantic" in first  # the first run compiles the rules, with pydantic
    assert second == "[]"
