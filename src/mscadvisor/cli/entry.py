"""The console script and ``python -m mscadvisor``: the CLI with the garbage collector kept
out of start-up.

Starting up allocates about a hundred thousand objects (imports, the knowledge base, the
result) and frees almost none of them as cycles, yet the collector would walk them again and
again while they are made, and once more as the interpreter exits. So it is off for the
whole run and what exists at exit is frozen out of its reach; a command that runs long (batch)
freezes what start-up made and turns it back on.
"""

import gc
import sys


def run() -> None:
    gc.disable()
    from mscadvisor.cli.main import main

    code = main()
    gc.freeze()  # the collection at exit then skips everything start-up made
    sys.exit(code)
