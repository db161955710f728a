"""`python -m mscadvisor`."""

from mscadvisor.cli.main import run

run()
