"""`python -m mscadvisor`."""

from mscadvisor.cli.entry import run

run()
