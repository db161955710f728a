"""The rule test cases beside the rules, collected by pytest; coverage and lint of the shipped
rules; and the same commands on rule packs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mscadvisor.authoring import profile_search
from mscadvisor.authoring.rule_lint import lint
from mscadvisor.authoring.rule_tests import run_case, run_cases, uncovered
from mscadvisor.kb.knowledge import load_knowledge_base
from tests.conftest import CliResult
from tests.packs import new_pack

SHIPPED = load_knowledge_base()


@pytest.mark.parametrize("case_id", sorted(SHIPPED.cases))
def test_shipped_rule_case(case_id: str) -> None:
    result = run_case(SHIPPED, SHIPPED.cases[case_id])
    assert result.passed, "\n".join(result.failures)


def test_every_shipped_rule_is_fired_by_a_case() -> None:
    assert uncovered(SHIPPED, run_cases(SHIPPED)) == []


def test_shipped_rules_lint_clean() -> None:
    assert lint(SHIPPED) == []


def write_pack(folder: Path, rules: str, cases: str) -> Path:
    """A pack with its rules in rules.toml and their test cases beside them."""
    new_pack(folder)
    (folder / "rules.toml").write_text(rules, encoding="utf-8")
    (folder / "rules.cases.toml").write_text(cases, encoding="utf-8")
    return folder


BAD_PACK = """
[[rule]]
id = "PACK-NEVER"
group = "pack"
category = "route"
summary = "Intranasal delivery for osteoporosis"
rationale = "No catalog route IN exists for OP, so this can never fire."
applies_to = { field = "candidate.id", op = "eq", value = "IN" }
when = { field = "disease.id", op = "eq", value = "OP" }
points = 1
level = "expert-synthesis"
citations = [{ section = "msc-op" }]

[[rule]]
id = "PACK-TWIN"
group = "pack"
category = "source"
summary = "Bone marrow collection hurts (again)"
rationale = "The same Table 4 item counted a second time, for the same candidate and profile."
applies_to = { tissue = "BM", modality = "cells" }
when = { avoid_invasive_harvest = true }
points = -1
level = "expert-synthesis"
table4_items = ["BM-D2"]
citations = [{ table = 4, item = "BM-D2" }]

[[rule]]
id = "PACK-AGE"
group = "pack"
category = "source"
summary = "Adipose donors over 50"
rationale = "An age threshold the review does not give, not declared as an assumption."
applies_to = { tissue = "AD", modality = "cells" }
when = { age = { above = 50 } }
points = -1
level = "expert-synthesis"
citations = [{ table = 4, item = "AD-D1" }]

[[rule]]
id = "PACK-UNCITED"
group = "pack"
category = "source"
summary = "Cord MSCs for osteoporosis"
rationale = "Per [41] cord MSCs helped too; this rule forgets to cite it."
applies_to = { tissue = "UC", modality = "cells" }
when = { disease = "OP" }
points = 5
level = "preclinical-in-vivo"
citations = [{ section = "msc-op" }]

[[rule]]
id = "PACK-UNLISTED-ERRATUM"
group = "pack"
category = "source"
summary = "Dental pulp for osteoporosis, the gingiva question aside"
rationale = "Per [42], filed under dental pulp although its title says gingiva (E-DP-42)."
applies_to = { tissue = "DP", modality = "cells" }
when = { disease = "OP" }
points = 1
level = "preclinical-in-vivo"
citations = [{ ref = 42 }]
"""

BAD_PACK_CASES = """
[[case]]
id = "PACK-CASE-WRONG"
summary = "An expectation that does not hold"
profile = { disease = "OP", modality = "cells" }
expect = [{ top = "AD-cells", category = "source" }]
"""


def test_lint_finds_the_faults_of_a_pack(tmp_path: Path) -> None:
    kb = load_knowledge_base([write_pack(tmp_path / "pack", BAD_PACK, BAD_PACK_CASES)])
    found = {(f.rule, f.code) for f in lint(kb)}
    assert ("PACK-NEVER", "never-fires") in found
    assert ("PACK-UNCITED", "uncited-mention") in found
    (unlisted,) = [f for f in lint(kb) if f.rule == "PACK-UNLISTED-ERRATUM"]
    assert unlisted.code == "uncited-mention" and "erratum E-DP-42" in unlisted.message
    assert ("PACK-AGE", "undeclared-assumption") in found
    # a Table 4 item scored twice for one candidate and profile (the shipped rule sorts first)
    assert ("PACK-TWIN", "double-count") in found or (
        "T4-BM-D2-AVOID-HARVEST",
        "double-count",
    ) in found


def test_rules_commands_on_a_pack(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    pack = str(write_pack(tmp_path / "pack", BAD_PACK, BAD_PACK_CASES))
    tested = cli("rules", "test", pack)
    assert tested.code == 1
    assert "FAIL  PACK-CASE-WRONG" in tested.out and "expected top source AD-cells" in tested.out
    # the pack's points for cord cells in osteoporosis break a shipped scenario case
    assert "FAIL  CASE-SCENARIO-OP-CELLS" in tested.out
    failed = tested.out.count("\nFAIL  ") + tested.out.startswith("FAIL  ")
    total = len(SHIPPED.cases) + BAD_PACK_CASES.count("[[case]]")
    assert tested.out.rstrip().endswith(f"{total - failed} passed, {failed} failed")
    assert tested.out.count("PASS  ") == total - failed
    coverage = cli("rules", "coverage", pack)
    assert coverage.code == 1 and "not covered: PACK-NEVER" in coverage.out
    linted = cli("rules", "lint", pack)
    assert linted.code == 1 and "PACK-NEVER: never-fires" in linted.out


def test_rules_commands_on_the_shipped_rules(cli: Callable[..., CliResult]) -> None:
    tested = cli("rules", "test").out
    assert tested.rstrip().endswith(f"{len(SHIPPED.cases)} passed, 0 failed")
    assert tested.count("PASS  ") == len(SHIPPED.cases)
    coverage = cli("rules", "coverage")
    assert coverage.code == 0
    assert coverage.out.startswith(
        f"{len(SHIPPED.rules) - 2} of {len(SHIPPED.rules)} rules fired by at least one test "
        "case (2 dormant)\n"
    )
    assert "  dormant: EV-SRC-CLINICAL-CONTROLLED (no record fires it yet" in coverage.out
    shown = cli("rules", "show", "EV-SRC-CLINICAL-CONTROLLED").out
    assert "dormant: No controlled clinical study in the review reported efficacy" in " ".join(
        shown.split()
    )
    assert cli("rules", "lint").out.strip() == "0 finding(s)"


def test_rules_list_and_show(cli: Callable[..., CliResult]) -> None:
    listed = cli("rules", "list", "--kind", "table4", "-d", "OP", "-f", "json").json()["rows"]
    ids = {r["id"] for r in listed}
    assert "T4-BM-A2-OSTEOGENIC" in ids and "T4-UC-A4-ALLOGENEIC-CHOSEN" in ids
    assert all(r["group"] == "table4" for r in listed)
    (shown,) = cli("rules", "show", "H2H-41-DENTAL-PULP-BEST-OP", "-f", "json").json()["rows"]
    assert shown["when_text"] == "disease.id = OP"
    assert shown["effect"] == "+2"
    (ref,) = [c for c in shown["citations"] if c["ref"] == 41]
    assert ref["doi_url"] == "https://doi.org/10.3389/fphar.2024.1349199"
    assert cli("rules", "show", "T4-BM-D1-DONOR-AGEE").code == 2
    assert cli("rules", "list", "--kind", "tabel4").code == 2


def test_rules_commands_on_an_edited_copy_of_the_tree(
    rules_copy: Path, cli: Callable[..., CliResult]
) -> None:
    """--base DIR reads a whole tree instead of the shipped one; the same tree given as a pack
    would clash with every shipped id."""
    cases = rules_copy / "scoring" / "table4.cases.toml"
    cases.write_text(
        cases.read_text("utf-8").replace(
            'id = "CASE-T4-OP-CELLS"', 'id = "CASE-T4-OP-CELLS-EDITED"'
        ),
        "utf-8",
    )
    table4 = rules_copy / "scoring" / "table4.toml"
    table4.write_text(
        table4.read_text("utf-8").replace(
            "Own bone marrow at 60 or older", "Own bone marrow, edited"
        ),
        "utf-8",
    )
    base = str(rules_copy)
    tested = cli("rules", "test", "--base", base)
    assert tested.code == 0 and "PASS  CASE-T4-OP-CELLS-EDITED" in tested.out
    assert tested.out.rstrip().endswith(f"{len(SHIPPED.cases)} passed, 0 failed")
    assert cli("rules", "coverage", "--base", base).code == 0
    assert cli("rules", "lint", "--base", base).out.strip() == "0 finding(s)"
    shown = cli("rules", "show", "T4-BM-D1-DONOR-AGE", "--base", base, "-f", "json").json()
    (shown,) = shown["rows"]
    assert shown["summary"].startswith("Own bone marrow, edited")
    listed = cli("rules", "list", "--base", base, "--kind", "table4", "-f", "json").json()["rows"]
    assert "Own bone marrow, edited" in {r["summary"][:23] for r in listed}
    assert cli("rules", "check", "--base", base).out == cli("rules", "check", base).out
    both = cli("rules", "check", base, "--base", str(rules_copy.parent))
    assert both.code == 2 and "give the rules tree once" in both.err
    as_pack = cli("rules", "test", base)
    assert as_pack.code == 3 and "duplicate id" in as_pack.err and as_pack.out == ""


COPY = """
[[rule]]
id = "COPY-{n:04}"
group = "pack"
category = "source"
summary = "Bone marrow collection hurts"
rationale = "Counted once more, as [{big}] says."
applies_to = {{ tissue = "BM", modality = "cells" }}
when = {{ avoid_invasive_harvest = true }}
points = {points}
level = "expert-synthesis"
table4_items = ["BM-D2"]
citations = [{{ table = 4, item = "BM-D2" }}]
"""


def test_lint_reports_a_group_of_copies_once(tmp_path: Path) -> None:
    """Many copies of one rule make one finding of each kind, not one per pair of copies; a
    bracketed number too long to be a reference is not read as one."""
    copies = "".join(COPY.format(n=n, big="9" * 5000, points=-1) for n in range(300))
    opposite = COPY.format(n=9999, big=1, points=2)
    kb = load_knowledge_base([write_pack(tmp_path / "pack", copies + opposite, "")])
    found = [(f.rule, f.code, f.message) for f in lint(kb) if f.rule.startswith("COPY-")]
    five = "COPY-0001, COPY-0002, COPY-0003, COPY-0004, COPY-0005"
    assert found == [
        (
            "COPY-0000",
            "contradiction",
            "same selector and condition as COPY-9999 with the opposite sign, and no "
            "conflicts_with declared",
        ),
        (
            "COPY-0000",
            "double-count",
            f"scores Table 4 item BM-D2 again with {five} and 295 more: all can fire for the "
            "same candidate and profile",
        ),
        (
            "COPY-0000",
            "double-count",
            "scores Table 4 item BM-D2 again with T4-BM-D2-AVOID-HARVEST: both can fire for the "
            "same candidate and profile",
        ),
        (
            "COPY-0000",
            "duplicate",
            f"same selector, condition, effect kind and citations as {five} and 294 more",
        ),
        (
            "COPY-9999",
            "uncited-mention",
            "the rationale mentions [1] but the rule does not cite it",
        ),
    ]


def pack_rule(
    name: str,
    when: str,
    applies_to: str = '{ tissue = "UC", modality = "cells" }',
    table4_item: str | None = None,
) -> str:
    """A pack rule for lint to judge: +1 for the candidates it selects when its condition holds,
    scoring a Table 4 item if given."""
    cited = (
        f'table4_items = ["{table4_item}"]\ncitations = [{{ table = 4, item = "{table4_item}" }}]'
        if table4_item
        else 'citations = [{ section = "msc-pof" }]'
    )
    return f"""
[[rule]]
id = "PACK-{name}"
group = "pack"
category = "source"
summary = "A condition to lint"
rationale = "What the lint test needs."
applies_to = {applies_to}
when = {when}
points = 1
level = "expert-synthesis"
assumption = "A made-up threshold."
{cited}
"""


@pytest.mark.parametrize(
    ("name", "when", "never"),
    [
        ("MALE-POF", '{ disease = "POF", sex = "male" }', True),  # POF allows female only
        ("OP-ETIOLOGY-POF", '{ disease = "POF", etiology = "glucocorticoid-induced" }', True),
        ("OLD-AND-YOUNG", "{ age = { at_least = 70, below = 60 } }", True),
        ("FEMALE-POF", '{ disease = "POF", sex = "female" }', False),
        ("OVER-119", "{ age = { above = 119 } }", False),  # 120 is a valid age
        ("OVER-120", "{ age = { above = 120 } }", True),
        ("AGE-GIVEN", "{ age = { given = true } }", False),  # no number to take neighbours of
        ("POF-FERTILITY", '{ disease = "POF", needs = { contains = "fertility" } }', False),
        ("GIVEN-AND-NAMED", '{ comorbidities = { given = true, contains = "diabetes" } }', False),
        ("EXOSOMES-FOR-CELLS", '{ modality = "exosomes" }', True),  # leaves UC-cells out
        ("OWN-CORD-CELLS", '{ donor = "autologous" }', True),  # EXCL-PERINATAL-AUTOLOGOUS
        ("ANY-DONOR-CORD-CELLS", '{ donor = { not = "allogeneic" } }', False),  # any
    ],
)
def test_lint_finds_conditions_no_valid_profile_meets(
    tmp_path: Path, name: str, when: str, never: bool
) -> None:
    """A condition that no profile the disease allows can make true never fires."""
    pack = write_pack(tmp_path / "pack", pack_rule(name, when), "")
    found = {(f.rule, f.code) for f in lint(load_knowledge_base([pack]))}
    assert ((f"PACK-{name}", "never-fires") in found) is never


def test_lint_tries_the_number_above_a_threshold(tmp_path: Path) -> None:
    """A rule scoring a Table 4 item that fires above an age is a double count with another
    rule scoring it, when both can fire at an age over the threshold."""
    rule = pack_rule(
        "BM-OVER-50",
        "{ age = { above = 50 } }",
        '{ tissue = "BM", modality = "cells" }',
        "BM-D2",
    )
    kb = load_knowledge_base([write_pack(tmp_path / "pack", rule, "")])
    doubles = [f"{f.rule}: {f.message}" for f in lint(kb) if f.code == "double-count"]
    pair = ("PACK-BM-OVER-50", "T4-BM-D2-AVOID-HARVEST")
    assert any(all(rule in found for rule in pair) for found in doubles), doubles


def test_a_condition_with_too_many_values_to_try_is_taken_to_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = pack_rule("OLD-AND-YOUNG", "{ age = { at_least = 70, below = 60 } }")
    kb = load_knowledge_base([write_pack(tmp_path / "pack", pack, "")])
    assert ("PACK-OLD-AND-YOUNG", "never-fires") in {(f.rule, f.code) for f in lint(kb)}
    monkeypatch.setattr(profile_search, "MAX_TRIALS", 6)  # fewer than the ages to try
    assert ("PACK-OLD-AND-YOUNG", "never-fires") not in {(f.rule, f.code) for f in lint(kb)}


@pytest.mark.parametrize(
    ("applies_to", "when"),
    [
        # T4-BM-D2-AVOID-HARVEST asks for a donor other than allogeneic: with every field
        # compared too, more combinations than a search tries at once.
        (
            '{ tissue = "BM", modality = "cells" }',
            '{ donor = "allogeneic", avoid_invasive_harvest = true, sex = { given = true }, '
            "age = { at_least = 18 }, comorbidities = { any_of = [ "
            '"diabetes", "obesity", "thromboembolism", "cardiovascular", "immunocompromised", '
            '"cancer-history"] }, needs = { any_of = ["large-cell-dose", "durable-effect", '
            '"fertility"] } }',
        ),
        # Exosomes leave BM-cells out, so only BM-exosomes can count, which it does not select.
        ('{ tissue = "BM" }', '{ modality = "exosomes", avoid_invasive_harvest = true }'),
    ],
)
def test_lint_reports_no_double_count_that_cannot_happen(
    tmp_path: Path, applies_to: str, when: str
) -> None:
    rule = pack_rule("BM-D2", when, applies_to, "BM-D2")
    kb = load_knowledge_base([write_pack(tmp_path / "pack", rule, "")])
    assert [f for f in lint(kb) if f.code == "double-count"] == []


def test_a_set_naming_too_many_values_is_taken_to_hold_before_its_subsets_are_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = '["diabetes", "obesity", "cancer-history"]'
    when = f"{{ comorbidities = {{ any_of = {named}, none_of = {named} }} }}"
    kb = load_knowledge_base([write_pack(tmp_path / "pack", pack_rule("SETS", when), "")])
    assert ("PACK-SETS", "never-fires") in {(f.rule, f.code) for f in lint(kb)}
    monkeypatch.setattr(profile_search, "MAX_TRIALS", 7)  # fewer than the 8 subsets
    made = []
    monkeypatch.setattr(profile_search, "combinations", lambda *a: made.append(a) or iter(()))
    assert ("PACK-SETS", "never-fires") not in {(f.rule, f.code) for f in lint(kb)}
    assert ["cancer-history", "diabetes", "obesity"] not in [list(a[0]) for a in made]


def test_lint_reports_a_double_count_once_per_rule(tmp_path: Path) -> None:
    """Rules on one Table 4 item that can all fire together make one finding each, naming the
    later ones, not one per pair."""
    rules = "".join(
        pack_rule(
            f"AGE-{age}",
            f"{{ age = {{ at_least = {age} }} }}",
            '{ tissue = "BM", modality = "cells" }',
            "BM-D3",
        )
        for age in range(20, 50)
    )
    kb = load_knowledge_base([write_pack(tmp_path / "pack", rules, "")])
    found = [f for f in lint(kb) if f.code == "double-count" and f.rule.startswith("PACK-AGE-")]
    # Each also names the shipped rule on the item, T4-BM-D3-LARGE-DOSE, which sorts last.
    assert [f.rule for f in found] == [f"PACK-AGE-{age}" for age in range(20, 50)]
    assert found[0].message == (
        "scores Table 4 item BM-D3 again with PACK-AGE-21, PACK-AGE-22, PACK-AGE-23, "
        "PACK-AGE-24, PACK-AGE-25 and 25 more: each can fire for the same candidate and profile"
    )
    assert found[-1].message == (
        "scores Table 4 item BM-D3 again with T4-BM-D3-LARGE-DOSE: both can fire for the same "
        "candidate and profile"
    )


CONTROLLED_TRIAL = """
[[trial]]
id = "NCT09999999"
nct = "NCT09999999"
disease = "AS"
purpose = "Adipose MSCs versus placebo in atherosclerosis"
tissue = "AD"
modality = "cells"
route = "IV"
phase = "2"
enrollment = 60
status = "Completed"
results = "Lipids improved against placebo"
outcome = "efficacy-reported"
design = "controlled"
"""


def test_a_dormant_rule_scores_the_evidence_it_waits_for(tmp_path: Path) -> None:
    """No controlled study in the review reported efficacy, so the shipped controlled-study
    rules are dormant; a pack that adds one wakes them, and coverage no longer lists them."""
    from mscadvisor.authoring.reports import rules_coverage
    from mscadvisor.authoring.rule_tests import dormant, woken
    from mscadvisor.engine.profile import build_profile
    from mscadvisor.engine.scoring import score

    waiting = {"EV-SRC-CLINICAL-CONTROLLED", "EV-ROUTE-CLINICAL-CONTROLLED"}
    assert set(dormant(SHIPPED, run_cases(SHIPPED))) == waiting
    pack = new_pack(tmp_path / "pack")
    (pack / "trials.toml").write_text(CONTROLLED_TRIAL, encoding="utf-8")
    kb = load_knowledge_base((pack,))
    result = score(kb, build_profile({"disease": "AS"}, kb, "test"))
    fired = {
        (c.id, contribution.rule)
        for candidates in result.ranked.values()
        for c in candidates
        for contribution in c.contributions
    }
    assert {("AD-cells", "EV-SRC-CLINICAL-CONTROLLED"), ("IV", "EV-ROUTE-CLINICAL-CONTROLLED")} <= (
        fired
    )
    results = run_cases(kb)
    assert dormant(kb, results) == []
    # Its reason is now out of date, and the shipped case that pins it says so too.
    assert woken(kb, results) == sorted(waiting)
    assert [r.case.id for r in results if not r.passed] == ["CASE-EV-AS-COHORT"]
    assert not rules_coverage(kb).ok
