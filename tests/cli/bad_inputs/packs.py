"""Bad rule packs: a folder that is not a pack, a pack that is too big, too deep or not the
user's own, what a pack cannot hold (symlinked folders, .TOML names, dates as text), conditions
nested too deep, and rule text that trips rules lint."""

from __future__ import annotations

import os
from pathlib import Path

from mscadvisor.errors import EXIT_KNOWLEDGE_BASE
from tests.cli.bad_inputs import BadInput, Setup

MANIFEST = 'name = "lab"\nversion = "1.0"\n'
RULE = """[[rule]]
id = "LAB-RULE"
group = "lab"
category = "source"
summary = {summary}
rationale = {rationale}
applies_to = {applies_to}
points = 1
level = "expert-synthesis"
citations = [{{ table = 4, item = "BM-D1" }}]
"""


def rule(
    summary: str = '"Bone marrow"',
    rationale: str = '"Table 4."',
    applies_to: str = '{ tissue = "BM" }',
) -> str:
    return RULE.format(summary=summary, rationale=rationale, applies_to=applies_to)


def pack(files: dict[str, str], manifest: str | None = MANIFEST) -> Setup:
    """A folder ``pack`` holding these files (by relative path), with its manifest if given."""

    def setup(folder: Path) -> None:
        root = folder / "pack"
        root.mkdir()
        if manifest is not None:
            (root / "pack.toml").write_text(manifest, encoding="utf-8")
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")

    return setup


def then(first: Setup, change: Setup) -> Setup:
    def setup(folder: Path) -> None:
        first(folder)
        change(folder)

    return setup


def nested(combinator: str, depth: int) -> str:
    condition = '{ tissue = "BM" }'
    for _ in range(depth):
        condition = (
            f"{{ not = {condition} }}" if combinator == "not" else f"{{ all = [{condition}] }}"
        )
    return condition


def linked_folder(folder: Path) -> None:
    (folder / "elsewhere").mkdir()
    (folder / "elsewhere" / "rules.toml").write_text(rule(), encoding="utf-8")
    (folder / "pack" / "more").symlink_to(folder / "elsewhere")


def group_writable(folder: Path) -> None:
    os.chmod(folder / "pack" / "rules.toml", 0o664)


def owned_by_another_user(folder: Path) -> None:
    os.chown(folder / "pack" / "rules.toml", 4242, 4242)


RECOMMEND = "{m} --rules pack recommend -d OP"

CASES: list[BadInput] = [
    BadInput(
        "pack-given-twice",
        "{m} --rules pack --rules {tmp}/pack/ recommend -d OP",
        EXIT_KNOWLEDGE_BASE,
        "/pack: this rule pack is given twice (also as pack); give it once",
        pack({"rules.toml": rule()}),
    ),
    BadInput(
        "pack-that-is-the-rules-tree",
        "{m} rules test --base pack pack",
        EXIT_KNOWLEDGE_BASE,
        "pack: this rule pack is the rules tree itself (pack); leave it out",
        pack({"rules.toml": rule()}),
    ),
    BadInput(
        "pack-given-by-the-variable-and-the-option",
        "{m} --rules pack recommend -d OP",
        EXIT_KNOWLEDGE_BASE,
        "pack: this rule pack is given twice; give it once (a pack named by $MSCADVISOR_RULES)",
        pack({"rules.toml": rule()}),
        env={"MSCADVISOR_RULES": "pack"},
    ),
    BadInput(
        "rules-check-of-a-pack",
        "{m} rules check pack",  # a whole tree is checked so; a pack goes on top of one
        EXIT_KNOWLEDGE_BASE,
        "a rule pack has none and loads on top of a whole tree, as in "
        "`mscadvisor --rules PACK rules check`",
        pack({"rules.toml": rule()}),
    ),
    BadInput(
        "pack-without-manifest",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "not a rule pack: pack has no pack.toml; see README",
        pack({"pyproject.toml": '[project]\nname = "x"\n'}, manifest=None),
    ),
    BadInput(
        "pack-manifest-without-version",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "pack.toml: field version: required field is missing",
        pack({}, manifest='name = "lab"\n'),
    ),
    BadInput(
        "pack-manifest-number-version",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "pack.toml: field version: Input should be a valid string (got 1)",
        pack({}, manifest='name = "lab"\nversion = 1\n'),
    ),
    BadInput(
        "pack-manifest-long-name",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "pack.toml: field name: must be 1 to 64 characters",
        pack({}, manifest=f'name = "{"x" * 65}"\nversion = "1"\n'),
    ),
    BadInput(
        "pack-manifest-holding-rules",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "pack.toml: [[rule]] in the pack's manifest",
        pack({}, manifest=MANIFEST + rule()),
    ),
    BadInput(
        "pack-record-outside-manifest",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "rules.toml: unknown top-level key 'pack'",
        pack({"rules.toml": '[[pack]]\nname = "x"\nversion = "1"\n'}),
    ),
    BadInput(
        "pack-too-deep",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "folders nested more than 8 levels deep",
        pack({"/".join("d" * 9) + "/rules.toml": rule()}),
    ),
    BadInput(
        "pack-symlinked-folder",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "more: a symbolic link to a folder",
        then(pack({}), linked_folder),
    ),
    BadInput(
        "pack-uppercase-suffix",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "RULES.TOML: a rule file's name ends in .toml, in lower case; rename it RULES.toml",
        pack({"RULES.TOML": rule()}),
    ),
    BadInput(
        "pack-group-writable",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "rules.toml: writable by other users",
        then(pack({"rules.toml": rule()}), group_writable),
    ),
    BadInput(
        "pack-date-as-text",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "rules.toml: [[rule]] id 'LAB-RULE': field summary: a TOML date or time, which no field "
        "takes; write text in quotes (got 1979-05-27)",
        pack({"rules.toml": rule(summary="1979-05-27")}),
    ),
    BadInput(
        "pack-deep-not",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "rules.toml: [[rule]] id 'LAB-RULE': applies_to: conditions nested more than 16 deep",
        pack({"rules.toml": rule(applies_to=nested("not", 20))}),
    ),
    BadInput(
        "pack-400-nested-not",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "rules.toml: nested more than 32 levels deep",
        pack({"rules.toml": rule(applies_to=nested("not", 400))}),
    ),
    BadInput(
        "pack-300-nested-all",
        RECOMMEND,
        EXIT_KNOWLEDGE_BASE,
        "rules.toml: nested more than 32 levels deep",
        pack({"rules.toml": rule(applies_to=nested("all", 300))}),
    ),
    BadInput(
        "lint-overlong-reference-number",
        "{m} rules lint pack",
        0,
        "",
        pack({"rules.toml": rule(rationale=f'"As [{"9" * 5000}] reports."')}),
        stdout_fragment="0 finding(s)",
    ),
]

if os.getuid() == 0:  # only root can give a file to another user
    CASES.append(
        BadInput(
            "pack-owned-by-another-user",
            RECOMMEND,
            EXIT_KNOWLEDGE_BASE,
            "rules.toml: owned by another user (uid 4242)",
            then(pack({"rules.toml": rule()}), owned_by_another_user),
        )
    )
