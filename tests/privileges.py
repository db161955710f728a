"""Running a child process as an ordinary user would run, so that file permissions apply to it
even when the tests run as root (which reads and writes anything)."""

from __future__ import annotations

import ctypes

# Linux capabilities that let root ignore file permissions (linux/capability.h), and the prctl
# call that removes one from the bounding set of a process and of everything it executes.
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


def obey_file_permissions() -> None:
    """In a child about to run (as ``preexec_fn``): give up the capabilities that bypass file
    permissions. A no-op for an ordinary user, who has none of them."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop a capability")
