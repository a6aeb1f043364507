"""The Streamlit app: one module per page plus shared widgets.

Takes what a strategy team clicks (scenario, judgments, budget, rules); shows what the
``selector`` functions compute. Every number on a page comes from a function a script can
call the same way; the top-level ``app.py`` only builds the navigation.
"""
