"""sha256 without OpenSSL.

``hashlib`` loads OpenSSL's library when it is imported: about 2 ms of every start-up, more than
it saves. A recommendation hashes only its knowledge (about 140 KB), which CPython's own sha256
module does in half a millisecond. The digests are sha256's either way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Protocol


class Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...


HEX_DIGITS = frozenset("0123456789abcdef")  # of a hex digest, as ``hexdigest`` writes it


def _constructor() -> Callable[[bytes], Digest]:
    """CPython's own sha256 (the module has no type stubs), or hashlib's in a Python built
    without it."""
    try:
        if sys.version_info >= (3, 12):
            from _sha2 import sha256  # type: ignore[import-not-found]
        else:
            from _sha256 import sha256  # type: ignore[import-not-found]
    except ImportError:
        from hashlib import sha256
    constructor: Callable[[bytes], Digest] = sha256
    return constructor


sha256 = _constructor()
