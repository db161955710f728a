"""Bad input to gaps: an unknown disease or view, an export file it cannot write (wrong suffix,
a missing folder, a folder in the file's place), and a rule pack that names no valid route."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mscadvisor.errors import EXIT_KNOWLEDGE_BASE, EXIT_RUNTIME, EXIT_USAGE
from tests.cli.bad_inputs import BadInput
from tests.packs import new_pack


def folder_named(name: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        (folder / name).mkdir()

    return setup


def pack_route(text: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        new_pack(folder / "pack")
        (folder / "pack" / "routes.toml").write_text(text, encoding="utf-8")

    return setup


CASES: list[BadInput] = [
    BadInput(
        "gaps-unknown-disease",
        "{m} gaps -d GOUT",
        EXIT_USAGE,
        "unknown disease 'GOUT'; valid: AD, AS, FRAILTY, OP, POF, SKIN",
    ),
    BadInput(
        "gaps-empty-disease",
        "{m} gaps -d ''",
        EXIT_USAGE,
        "unknown disease ''",
    ),
    BadInput(
        "gaps-unknown-view",
        "{m} gaps --view grid",
        EXIT_USAGE,
        "Invalid value for '--view': 'grid' is not one of 'both', 'route', 'preconditioning'",
    ),
    BadInput(
        "gaps-export-png",
        "{m} gaps -d POF --export map.png",
        EXIT_USAGE,
        "--export map.png: expected a file name ending in .html or .svg, such as report.html "
        "(the ending picks the format)",
    ),
    BadInput(
        "gaps-export-into-missing-folder",
        "{m} gaps -d POF -f json --export nowhere/map.svg",
        EXIT_RUNTIME,
        "cannot write nowhere/map.svg: No such file or directory",
    ),
    BadInput(
        "gaps-export-onto-a-folder",
        "{m} gaps -d POF --export map.svg",
        EXIT_RUNTIME,
        "cannot write map.svg: Is a directory",
        folder_named("map.svg"),
    ),
    BadInput(
        "gaps-pack-route-for-unknown-disease",
        "{m} --rules pack gaps -d POF",
        EXIT_KNOWLEDGE_BASE,
        "pack/routes.toml: [[route]] id 'XR': field diseases: unknown id 'GOUT'",
        pack_route('[[route]]\nid = "XR"\nname = "x"\ndiseases = ["GOUT"]\n'),
    ),
]
