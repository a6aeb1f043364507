"""Channel partner selector: the strategist's app.

A thin Streamlit face on the ``selector`` package: every number shown comes from a
selector function. Run with::

    streamlit run app.py -- --scenario scenarios/teaching.toml

This file only builds the navigation; each page is a module in ``selector/app/`` (what
the pages share, from the scenario being worked on to the cached solves, is in
``selector/app/shared.py``).
"""

from __future__ import annotations

import streamlit as st

from selector.app.shared import page_style, sidebar_summary

__all__ = ["PAGES", "main"]

# URL path -> title in the navigation. The page is the module of that name in selector/app/.
PAGES = {
    "scenario": "Scenario",
    "criteria": "Criteria (AHP)",
    "partners": "Partners",
    "portfolio": "Portfolio",
    "map": "Go-to-market map",
    "compare": "Compare",
    "judgments": "Group judgments",
    "workspace": "Workspace",
}


def main() -> None:
    st.set_page_config(
        page_title="Partner selector", page_icon=":material/handshake:", layout="wide"
    )
    pages = {
        slug: st.Page(f"selector/app/{slug}.py", title=title, url_path=slug, default=n == 0)
        for n, (slug, title) in enumerate(PAGES.items())
    }
    current = st.navigation(list(pages.values()))
    # Links saved from the earlier one-page app name the page as ?page=<slug>.
    old_link = st.query_params.get("page")
    if old_link in pages:
        st.switch_page(pages[old_link])
    page_style()
    sidebar_summary()
    current.run()


main()
