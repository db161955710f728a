"""The console script and ``python -m mscadvisor``: the CLI with the garbage collector kept
out of start-up, and without the interpreter's teardown at exit.

Starting up allocates about a hundred thousand objects (imports, the knowledge base, the
result) and frees almost none of them as cycles, yet the collector would walk them again and
again while they are made. So it is off for the whole run; a command that runs long (batch)
freezes what start-up made and turns it back on.

At exit the interpreter would then free every one of those objects and every module, one by
one, which the system does at once when the process ends: a few milliseconds of every run.
So once the command has returned, what is registered to run at exit (``atexit``: coverage
measurement, worker pools) runs, the standard streams are flushed and the process ends, with
the command's exit code. That is only for a run that is the whole program: the console script,
or ``python -m mscadvisor``. A run inside another program (a profiler, a debugger, ``coverage
run``, ``runpy``), or watched by a tracer or profiler, exits as it always did, back to that
program; so does a run while another thread runs, waiting for it, or when a stream cannot be
flushed, reporting it.
"""

import atexit
import gc
import os
import sys
from types import FrameType
from typing import NoReturn


def run() -> NoReturn:
    gc.disable()
    alone = _whole_program(sys._getframe(1))
    from mscadvisor.cli.main import main

    code = main()
    if not alone:
        sys.exit(code)
    end(code)


def _whole_program(caller: FrameType) -> bool:
    """Whether the code that called ``run`` is the program's own top level (the console
    script, or ``python -m``'s module, below runpy), with no tracer or profiler watching."""
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return False
    above = caller.f_back
    while above is not None and above.f_globals.get("__name__") == "runpy":
        above = above.f_back
    return above is None


def end(code: int) -> NoReturn:
    """Exit with code, skipping the interpreter's teardown where nothing needs it."""
    threading = sys.modules.get("threading")
    if threading is None or threading.active_count() == 1:
        atexit._run_exitfuncs()  # each runs once: this also unregisters them
        try:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
        except OSError:
            pass  # the interpreter's own exit reports it, as it always has
        else:
            os._exit(code)
    sys.exit(code)
