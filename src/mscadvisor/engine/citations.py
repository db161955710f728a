"""Citations as people read them: labels, and links to DOI, PubMed and trial registries."""

from __future__ import annotations

from mscadvisor.engine.result import CitationView
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import Citation, Reference, Study, Trial


def view(kb: KnowledgeBase, citation: Citation) -> CitationView:
    """A citation with its human label (for example '[18] Pei W, 2024' or 'Table 4, BM-D1')
    and its links: DOI and PubMed for a reference, the registry for a trial."""
    reference = kb.references[citation.ref] if citation.ref is not None else None
    return CitationView(
        label=label(kb, citation),
        ref=citation.ref,
        nct=citation.nct,
        table=citation.table,
        section=citation.section,
        item=citation.item,
        doi_url=doi_url(reference) if reference else None,
        pubmed_url=pubmed_url(reference) if reference else None,
        trial_url=trial_url(citation.nct) if citation.nct is not None else None,
    )


def of_record(record: Study | Trial) -> Citation:
    """How a study or trial is cited: a trial by its NCT number where it has one, else the
    reference that reports it."""
    if isinstance(record, Trial) and record.nct:
        return Citation(nct=record.nct)
    return Citation(ref=record.ref)


def label(kb: KnowledgeBase, citation: Citation) -> str:
    if citation.ref is not None:
        reference = kb.references[citation.ref]
        return f"[{reference.ref}] {reference.first_author}, {reference.year}"
    if citation.nct is not None:
        return citation.nct
    if citation.table is not None:
        return f"Table {citation.table}" + (f", {citation.item}" if citation.item else "")
    assert citation.section is not None
    return f"Section: {kb.sections[citation.section].title}"


def doi_url(reference: Reference) -> str | None:
    return f"https://doi.org/{reference.doi}" if reference.doi else None


def pubmed_url(reference: Reference) -> str | None:
    """A PubMed link only for a PMID that looks real; placeholders and garbled ones get none."""
    if reference.pmid and reference.pmid_status == "given":
        return f"https://pubmed.ncbi.nlm.nih.gov/{reference.pmid}/"
    return None


def trial_url(nct: str) -> str:
    return f"https://clinicaltrials.gov/study/{nct}"
