"""Glossary: every word a student meets in the labs, in one sentence each."""
from __future__ import annotations

import streamlit as st

from playground.glossary.terms import TERMS
from playground.shared.guard import guarded
from playground.shared.pagestate import enter


@guarded
def main() -> None:
    enter("glossary")
    st.markdown("#### Glossary · the words of deep learning, in one sentence each")
    st.caption("The same sentences appear as help (the ? beside a control, or hovering a number) where the "
               "words are used in the labs.")
    left, right = st.columns(2, gap="large")
    terms = sorted(TERMS.items())
    half = (len(terms) + 1) // 2
    for col, part in ((left, terms[:half]), (right, terms[half:])):
        with col:
            for term, sentence in part:
                st.markdown(f"**{term.capitalize()}**: {sentence}")


main()
