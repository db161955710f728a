"""Defaults that the engine, the CLI, the API and rule tests share. A module of its own, without
imports, so that the CLI can read it at start-up for free."""

REGIMENS = 3  # complete regimens proposed per recommendation
