"""The results of the maintenance commands, built once for both of their formats: rules check,
test, coverage and lint, and cache info.

``to_dict`` is a report's JSON document (schemas/rules-check.schema.json, rules-test,
rules-coverage, rules-lint, cache-info), with the schema_version every document carries;
``lines`` is the plain text the command prints by default; ``ok`` is False when the command
exits 1 (a failing case, an uncovered rule, a lint finding), in either format. The command line
only prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from mscadvisor.authoring.rule_lint import Finding, lint
from mscadvisor.authoring.rule_tests import CaseResult, dormant, run_cases, uncovered, woken
from mscadvisor.engine.result import SCHEMA_VERSION
from mscadvisor.kb import cache
from mscadvisor.kb.knowledge import KnowledgeBase


class Report(Protocol):
    @property
    def ok(self) -> bool: ...

    def to_dict(self) -> dict[str, Any]: ...

    def lines(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class RulesCheck:
    """A rules tree (and packs) that loaded and validated, with its records counted."""

    kb: KnowledgeBase

    @property
    def ok(self) -> bool:
        return True  # a tree that does not validate raises before there is a report

    def counts(self) -> dict[str, int]:
        """The number of records of each kind, by the name the text shows."""
        kb = self.kb
        return {
            "diseases": len(kb.diseases),
            "tissues": len(kb.tissues),
            "modalities": len(kb.modalities),
            "routes": len(kb.routes),
            "preconditioning": len(kb.preconditioning),
            "references": len(kb.references),
            "studies": len(kb.studies),
            "trials": len(kb.trials),
            "errata": len(kb.errata),
            "rules": len(kb.rules),
            "test cases": len(kb.cases),
        }

    def to_dict(self) -> dict[str, Any]:
        kb = self.kb
        return {
            "schema_version": SCHEMA_VERSION,
            "knowledge_base": {k: v for k, v in kb.identity().items() if k != "weights"},
            "files": list(kb.files),
            "counts": {kind.replace(" ", "_"): n for kind, n in self.counts().items()},
        }

    def lines(self) -> list[str]:
        kb = self.kb
        head = f"ok: {len(kb.files)} file(s), knowledge base {kb.info.version}, sha256 {kb.sha256}"
        return [head, *(f"  {kind:16} {n}" for kind, n in self.counts().items())]


@dataclass(frozen=True, slots=True)
class RulesTest:
    """Every rule test case run, passed or with what went wrong."""

    results: tuple[CaseResult, ...]

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "passed": len(self.results) - self.failed,
            "failed": self.failed,
            "cases": [
                {
                    "id": r.case.id,
                    "summary": r.case.summary,
                    "passed": r.passed,
                    "failures": list(r.failures),
                }
                for r in self.results
            ],
        }

    def lines(self) -> list[str]:
        out = []
        for r in self.results:
            out.append(f"{'PASS' if r.passed else 'FAIL'}  {r.case.id}: {r.case.summary}")
            out += [f"      - {failure}" for failure in r.failures]
        out.append(f"{len(self.results) - self.failed} passed, {self.failed} failed")
        return out


@dataclass(frozen=True, slots=True)
class RulesCoverage:
    """How many rules some test case fires, the ones none does, and the dormant ones (which
    wait for evidence no record holds yet, so no case can fire them)."""

    rules: int
    uncovered: tuple[str, ...]
    dormant: tuple[str, ...]
    woken: tuple[str, ...]  # dormant, yet fired by a case: the reason is out of date

    @property
    def ok(self) -> bool:
        return not self.uncovered and not self.woken

    @property
    def covered(self) -> int:
        return self.rules - len(self.uncovered) - len(self.dormant)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "rules": self.rules,
            "covered": self.covered,
            "uncovered": list(self.uncovered),
            "dormant": list(self.dormant),
            "woken": list(self.woken),
        }

    def lines(self) -> list[str]:
        waiting = f" ({len(self.dormant)} dormant)" if self.dormant else ""
        return [
            f"{self.covered} of {self.rules} rules fired by at least one test case{waiting}",
            *(f"  not covered: {rule_id}" for rule_id in self.uncovered),
            *(
                f"  dormant: {rule_id} (no record fires it yet: `rules show {rule_id}`)"
                for rule_id in self.dormant
            ),
            *(
                f"  dormant but fired: {rule_id} (its dormant reason is out of date)"
                for rule_id in self.woken
            ),
        ]


@dataclass(frozen=True, slots=True)
class RulesLint:
    """The static checks' findings (rule_lint.py), by rule and code."""

    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "findings": [
                {"rule": f.rule, "code": f.code, "message": f.message} for f in self.findings
            ],
        }

    def lines(self) -> list[str]:
        return [
            *(f"{f.rule}: {f.code}: {f.message}" for f in self.findings),
            f"{len(self.findings)} finding(s)",
        ]


@dataclass(frozen=True, slots=True)
class CacheFile:
    """A file in the cache folder: its name, its bytes, and why it is not used (None if it is)."""

    name: str
    bytes: int
    problem: str | None


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """Where the compiled knowledge cache lives, whether it is used (and why not), and its files:
    cache files and the temp files of unfinished writes."""

    folder: str
    switched_on: bool
    folder_problem: str | None  # why the folder cannot be used
    files: tuple[CacheFile, ...]

    @property
    def ok(self) -> bool:
        return True

    @property
    def used(self) -> bool:
        return self.switched_on and self.folder_problem is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "folder": self.folder,
            "enabled": self.used,
            "files": [{"name": f.name, "bytes": f.bytes} for f in self.files],
        }

    def lines(self) -> list[str]:
        if not self.switched_on:
            state = "disabled (MSCADVISOR_NO_CACHE is set)"
        elif self.folder_problem is not None:
            state = f"not used: {self.folder_problem}"
        else:
            state = "enabled"
        return [
            f"folder: {self.folder}",
            f"state: {state}",
            f"files: {len(self.files)}",
            *(
                f"  {f.name}  {f.bytes} bytes" + ("" if f.problem is None else f"  ({f.problem})")
                for f in self.files
            ),
        ]


def rules_check(kb: KnowledgeBase) -> RulesCheck:
    return RulesCheck(kb)


def rules_test(kb: KnowledgeBase) -> RulesTest:
    return RulesTest(tuple(run_cases(kb)))


def rules_coverage(kb: KnowledgeBase) -> RulesCoverage:
    results = run_cases(kb)
    return RulesCoverage(
        len(kb.rules),
        tuple(uncovered(kb, results)),
        tuple(dormant(kb, results)),
        tuple(woken(kb, results)),
    )


def rules_lint(kb: KnowledgeBase) -> RulesLint:
    return RulesLint(tuple(lint(kb)))


def cache_info() -> CacheInfo:
    files = tuple(CacheFile(path.name, *cache.describe(path)) for path in cache.entries())
    return CacheInfo(str(cache.cache_dir()), cache.enabled(), cache.folder_problem(), files)
