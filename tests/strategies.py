"""Hypothesis strategies for valid profiles, drawn from the shipped catalog."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from mscadvisor.kb.knowledge import KnowledgeBase


def raw_profiles(kb: KnowledgeBase) -> st.SearchStrategy[dict[str, Any]]:
    """Raw profile dicts that build_profile accepts (the disease decides the valid etiologies)."""

    def for_disease(disease_id: str) -> st.SearchStrategy[dict[str, Any]]:
        disease = kb.diseases[disease_id]
        return st.fixed_dictionaries(
            {"disease": st.sampled_from([disease_id, *disease.aliases])},
            optional={
                "age": st.integers(0, 120),
                "sex": st.sampled_from(disease.sexes),
                "donor": st.sampled_from(["autologous", "allogeneic", "any"]),
                "modality": st.sampled_from(["cells", "exosomes", "any"]),
                "avoid_invasive_harvest": st.booleans(),
                "comorbidities": st.lists(st.sampled_from(sorted(kb.comorbidities)), max_size=3),
                "etiology": st.sampled_from([e.id for e in disease.etiologies]),
                "needs": st.lists(st.sampled_from(sorted(kb.needs)), max_size=3),
            },
        )

    return st.sampled_from(sorted(kb.diseases)).flatmap(for_disease)
