"""The Streamlit app: one module per page plus shared widgets.

Takes what a strategy team clicks (scenario, judgments, budget, rules); shows what the
``selector`` functions compute. Every number on a page comes from a function a script can
call the same way; the top-level ``app.py`` only builds the navigation.

Pages, in navigation order: :mod:`~selector.app.scenario`, :mod:`~selector.app.criteria`,
:mod:`~selector.app.partners`, :mod:`~selector.app.portfolio`, :mod:`~selector.app.map`
and :mod:`~selector.app.compare`. Streamlit runs each page module as a script
(``st.Page("selector/app/<page>.py")``), which calls its ``page()``; importing one only
defines it. What the pages share (the scenario being worked on, widgets whose values
survive page switches, cached selector calls) is in :mod:`~selector.app.shared`.
"""
