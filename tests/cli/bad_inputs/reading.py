"""Bad files where a file is read: profiles, weights and rule files that are special files,
too large, too deep, hold overlong numbers, duplicate keys or values of the wrong type."""

from __future__ import annotations

import os
from pathlib import Path

from mscadvisor.errors import EXIT_KNOWLEDGE_BASE, EXIT_USAGE
from tests.cli.bad_inputs import BadInput, Setup

NINES = "9" * 5000
DEEP_JSON = "[" * 5000 + "]" * 5000


def text_file(name: str, text: str) -> Setup:
    def setup(folder: Path) -> None:
        (folder / name).write_text(text, encoding="utf-8")

    return setup


def in_pack(folder: Path, name: str) -> None:
    """Make the folders of name; one called pack gets the manifest that makes it a rule pack."""
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    if (folder / name).parent.name == "pack":
        (folder / name).parent.joinpath("pack.toml").write_text('name = "p"\nversion = "1"\n')


def fifo(name: str) -> Setup:
    def setup(folder: Path) -> None:
        in_pack(folder, name)
        os.mkfifo(folder / name)

    return setup


def link_to_zero(name: str) -> Setup:
    def setup(folder: Path) -> None:
        in_pack(folder, name)
        (folder / name).symlink_to("/dev/zero")

    return setup


def profile(text: str, suffix: str = "json") -> tuple[Setup, str]:
    return text_file(f"p.{suffix}", text), f"{{m}} recommend --profile p.{suffix}"


def weights(text: str) -> Setup:
    return text_file("w.toml", text)


CASES: list[BadInput] = [
    BadInput(
        "profile-fifo",
        "{m} recommend --profile p.json",
        EXIT_USAGE,
        "profile p.json: is a pipe or FIFO, not a file",
        fifo("p.json"),
    ),
    BadInput(
        "profile-dev-zero",
        "{m} recommend --profile z.json",
        EXIT_USAGE,
        "profile z.json: is a device, not a file",
        link_to_zero("z.json"),
    ),
    BadInput(
        "weights-fifo",
        "{m} --weights w.toml recommend -d OP",
        EXIT_USAGE,
        "weights w.toml: is a pipe or FIFO, not a file",
        fifo("w.toml"),
    ),
    BadInput(
        "weights-dev-zero",
        "{m} --weights w.toml recommend -d OP",
        EXIT_USAGE,
        "weights w.toml: is a device, not a file",
        link_to_zero("w.toml"),
    ),
    BadInput(
        "weights-process-substitution-with-jobs",
        "printf '[groups]\\ntable4 = 1\\n' > src.toml; "
        '{m} --weights <(cat src.toml) batch in.jsonl --jobs 2; rc=$?; rm src.toml; exit "$rc"',
        EXIT_USAGE,
        "is a pipe or FIFO, not a file",
        text_file("in.jsonl", '{"disease": "OP"}\n'),
    ),
    BadInput(
        "pack-file-fifo",
        "{m} --rules pack recommend -d OP",
        EXIT_KNOWLEDGE_BASE,
        "rules.toml: is a pipe or FIFO, not a file",
        fifo("pack/rules.toml"),
    ),
    BadInput(
        "pack-file-dev-zero",
        "{m} --rules pack recommend -d OP",
        EXIT_KNOWLEDGE_BASE,
        "rules.toml: is a device, not a file",
        link_to_zero("pack/rules.toml"),
    ),
    BadInput(
        "profile-json-deep",
        profile(DEEP_JSON)[1],
        EXIT_USAGE,
        "profile p.json: nested more than 32 levels deep",
        profile(DEEP_JSON)[0],
    ),
    BadInput(
        "profile-json-deep-in-a-field",
        profile('{"disease": "OP", "needs": ' + "[" * 100 + "]" * 100 + "}")[1],
        EXIT_USAGE,
        "nested more than 32 levels deep",
        profile('{"disease": "OP", "needs": ' + "[" * 100 + "]" * 100 + "}")[0],
    ),
    BadInput(
        "profile-toml-deep",
        profile("needs = " + "[" * 5000 + "]" * 5000, "toml")[1],
        EXIT_USAGE,
        "profile p.toml: nested more than 32 levels deep",
        profile("needs = " + "[" * 5000 + "]" * 5000, "toml")[0],
    ),
    BadInput(
        "profile-json-huge-age",
        profile(f'{{"disease": "OP", "age": {NINES}}}')[1],
        EXIT_USAGE,
        "a number of 5000 characters",
        profile(f'{{"disease": "OP", "age": {NINES}}}')[0],
    ),
    BadInput(
        "profile-toml-huge-age",
        profile(f'disease = "OP"\nage = {NINES}\n', "toml")[1],
        EXIT_USAGE,
        "an integer of more than 40 digits",
        profile(f'disease = "OP"\nage = {NINES}\n', "toml")[0],
    ),
    BadInput(
        "profile-json-nan-age",
        profile('{"disease": "OP", "age": NaN}')[1],
        EXIT_USAGE,
        "NaN is not a number JSON allows",
        profile('{"disease": "OP", "age": NaN}')[0],
    ),
    BadInput(
        "profile-json-duplicate-key",
        profile('{"disease": "OP", "disease": "POF"}')[1],
        EXIT_USAGE,
        "profile p.json: duplicate key 'disease'",
        profile('{"disease": "OP", "disease": "POF"}')[0],
    ),
    BadInput(
        "profile-comorbidities-object",
        profile('{"disease": "OP", "comorbidities": {}}')[1],
        EXIT_USAGE,
        "field comorbidities: expected a list of comorbidity ids, got {}",
        profile('{"disease": "OP", "comorbidities": {}}')[0],
    ),
    BadInput(
        "profile-comorbidities-empty-text",
        profile('{"disease": "OP", "comorbidities": ""}')[1],
        EXIT_USAGE,
        "field comorbidities: expected a list of comorbidity ids, got ''",
        profile('{"disease": "OP", "comorbidities": ""}')[0],
    ),
    BadInput(
        "profile-needs-zero",
        profile('{"disease": "OP", "needs": 0}')[1],
        EXIT_USAGE,
        "field needs: expected a list of need ids, got 0",
        profile('{"disease": "OP", "needs": 0}')[0],
    ),
    BadInput(
        "profile-needs-false",
        profile('{"disease": "OP", "needs": false}')[1],
        EXIT_USAGE,
        "field needs: expected a list of need ids, got false",
        profile('{"disease": "OP", "needs": false}')[0],
    ),
    BadInput(
        "profile-age-toml-date",
        profile('disease = "OP"\nage = 1970-01-01\n', "toml")[1],
        EXIT_USAGE,
        "field age: expected a whole number of years, got 1970-01-01 (a date)",
        profile('disease = "OP"\nage = 1970-01-01\n', "toml")[0],
    ),
    BadInput(
        "profile-sex-false",
        profile('{"disease": "OP", "sex": false}')[1],
        EXIT_USAGE,
        "field sex: expected a non-empty string, got false",
        profile('{"disease": "OP", "sex": false}')[0],
    ),
    BadInput(
        "sex-unknown-word",
        "{m} recommend -d POF --sex f",
        EXIT_USAGE,
        "command line: unknown sex 'f'; valid: female",
    ),
    BadInput(
        "profile-folder",
        "mkdir p.json; {m} recommend --profile p.json; rc=$?; rmdir p.json; exit $rc",
        EXIT_USAGE,
        "profile p.json: is a folder, not a file",
    ),
    BadInput(
        "what-if-huge-age",
        f"{{m}} recommend -d OP --what-if age={NINES}",
        EXIT_USAGE,
        "age",
    ),
    BadInput("what-if-superscript-age", "{m} recommend -d OP --what-if age=²", EXIT_USAGE, "age"),
    BadInput(
        "weights-nan",
        "{m} --weights w.toml recommend -d OP",
        EXIT_USAGE,
        "weights w.toml: number nan is out of range",
        weights("[groups]\ntable4 = nan\n"),
    ),
    BadInput(
        "weights-inf",
        "{m} --weights w.toml recommend -d OP",
        EXIT_USAGE,
        "number inf is out of range",
        weights("[groups]\ntable4 = inf\n"),
    ),
    BadInput(
        "weights-1e308",
        "{m} --weights w.toml recommend -d OP",
        EXIT_USAGE,
        "expected a number from 0 to 100",
        weights("[groups]\ntable4 = 1e308\n"),
    ),
    BadInput(
        "weights-deep",
        "{m} --weights w.toml recommend -d OP",
        EXIT_USAGE,
        "nested more than 32 levels deep",
        weights("[groups]\ntable4 = " + "[" * 5000 + "]" * 5000 + "\n"),
    ),
    BadInput(
        "weights-oversized",
        "{m} --weights w.toml recommend -d OP",
        EXIT_USAGE,
        "over the 262144-byte limit",
        weights("#" * 300_000),
    ),
]
CASES += [
    BadInput(
        "no-cache-unclear-value",
        "{m} recommend -d OP",
        EXIT_USAGE,
        "MSCADVISOR_NO_CACHE='maybe': expected 1, true, yes or on",
        env={"MSCADVISOR_NO_CACHE": "maybe"},
    ),
]


def unreadable(name: str, text: str = "") -> Setup:
    def setup(folder: Path) -> None:
        in_pack(folder, name)
        (folder / name).write_text(text, encoding="utf-8")
        (folder / name).chmod(0)

    return setup


def unsearchable(name: str) -> Setup:
    """A rule pack folder nobody may enter."""

    def setup(folder: Path) -> None:
        in_pack(folder, f"{name}/rules.toml")
        (folder / name).chmod(0)

    return setup


CASES += [
    BadInput(
        "profile-unreadable",
        "{m} recommend --profile p.json",
        EXIT_USAGE,
        "profile p.json: cannot read: Permission denied",
        unreadable("p.json", '{"disease": "OP"}'),
    ),
    BadInput(
        "weights-unreadable",
        "{m} --weights w.toml recommend -d OP",
        EXIT_USAGE,
        "weights w.toml: cannot read: Permission denied",
        unreadable("w.toml"),
    ),
    BadInput(
        "pack-file-unreadable",
        "{m} --rules pack recommend -d OP",
        EXIT_KNOWLEDGE_BASE,
        "rules.toml: cannot read: Permission denied",
        unreadable("pack/rules.toml"),
    ),
    # The parser does not check that a path can be read: each reader says so in its own words.
    BadInput(
        "refresh-export-unreadable",
        "{m} trials-refresh export.json",
        EXIT_USAGE,
        "export.json: cannot read: Permission denied",
        unreadable("export.json", "{}"),
    ),
    BadInput(
        "pack-folder-unsearchable",
        "{m} --rules pack recommend -d OP",
        EXIT_KNOWLEDGE_BASE,
        "pack: cannot open folder: Permission denied",
        unsearchable("pack"),
    ),
    BadInput(
        "rules-check-folder-unsearchable",
        "{m} rules check pack",
        EXIT_KNOWLEDGE_BASE,
        "pack: cannot open folder: Permission denied",
        unsearchable("pack"),
    ),
]

LONG_TEXT = "Z" * 100_000
CASES += [
    BadInput(
        "profile-huge-text-value",
        profile(f'{{"disease": "OP", "sex": "{LONG_TEXT}"}}')[1],
        EXIT_USAGE,
        "unknown sex 'ZZZZZZZZZZ",
        profile(f'{{"disease": "OP", "sex": "{LONG_TEXT}"}}')[0],
    ),
    BadInput(
        "disease-flag-huge",
        f"{{m}} recommend -d {LONG_TEXT}",
        EXIT_USAGE,
        "... (100000 characters); valid: AD, AS",
    ),
    BadInput(
        "what-if-huge-value",
        f"{{m}} recommend -d OP --what-if sex={LONG_TEXT}",
        EXIT_USAGE,
        "characters)",
    ),
]
CASES += [
    BadInput(
        "profile-folder-without-suffix",
        "mkdir prof; {m} recommend --profile prof; rc=$?; rmdir prof; exit $rc",
        EXIT_USAGE,
        "profile prof: is a folder, not a file",
    ),
    BadInput(
        "profile-misspelt-value",
        profile('disease = "POF"\ndonor = "autologus"\n', "toml")[1],
        EXIT_USAGE,
        "mscadvisor: error: profile p.toml: unknown donor 'autologus' (did you mean 'autologous'?)",
        profile('disease = "POF"\ndonor = "autologus"\n', "toml")[0],
    ),
    BadInput(
        "pack-without-manifest-one-line",
        "mkdir pack; {m} --rules pack recommend -d OP; rc=$?; rmdir pack; exit $rc",
        EXIT_KNOWLEDGE_BASE,
        "mscadvisor: error: invalid knowledge base: not a rule pack: pack has no pack.toml",
    ),
    BadInput(
        "pack-manifest-a-folder",
        "mkdir -p pack/pack.toml; {m} --rules pack recommend -d OP; rc=$?; rm -r pack; exit $rc",
        EXIT_KNOWLEDGE_BASE,
        "invalid knowledge base: pack/pack.toml: is a folder, not a file (the pack's manifest)",
    ),
    BadInput(
        "pack-manifest-a-fifo",
        "mkdir pack; mkfifo pack/pack.toml; {m} --rules pack recommend -d OP; rc=$?; rm -r pack; "
        "exit $rc",
        EXIT_KNOWLEDGE_BASE,
        "pack/pack.toml: is a pipe or FIFO, not a file (the pack's manifest)",
    ),
]
