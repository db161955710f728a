"""`python -m mscadvisor`."""

from mscadvisor.cli import run

run()
