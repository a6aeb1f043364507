"""What the workspace pages share: the store, who is working, opening a saved what-if.

The database is the one ``$SELECTOR_DB`` names (else the SQLite file in the user's data
folder, created by the first save); it is opened once per app process.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

from selector import Scenario, SelectorError
from selector.store import Store, default_author, open_store, resolve_url
from selector.store.serialize import (
    private_temp_folder,
    scenario_files,
    slug,
    write_scenario_files,
)

__all__ = ["app_store", "close_stores", "open_whatif", "use_model", "user_name"]
_opened: list[Store] = []


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    store = open_store(url)
    _opened.append(store)
    return store


def close_stores() -> None:
    """Close every store this process opened (and forget them): for tests and shutdown."""
    _store.clear()
    while _opened:
        _opened.pop().close()


def app_store() -> Store | None:
    """The workspace store, or None after showing why it cannot be opened."""
    try:
        return _store(resolve_url())
    except SelectorError as exc:
        st.error(f"The team workspace cannot be opened: {exc}")
        return None


def user_name() -> str:
    """The name the user works under (a text box in the sidebar's place at the top)."""
    ss = st.session_state
    if "workspace:user" not in ss:
        ss["workspace:user"] = default_author()
    name = st.text_input(
        "Your name", key="workspace:user", help="Saved with everything you save or judge"
    )
    return str(name).strip()


def open_whatif(store: Store, whatif_id: int) -> str:
    """Make a saved what-if the scenario the app works on; returns a line saying so.

    The what-if's scenario (its saved version with its changes) is written to this
    user's own folder of the temporary directory and becomes the app's scenario; its edited judgments
    become the session's.
    """
    rec = store.whatif(whatif_id)
    variant = store.load_whatif(whatif_id)
    variant = variant.with_changes({"name": f"{variant.name} · {rec.name} v{rec.version}"})
    folder = private_temp_folder() / f"whatif-{rec.id}"
    path = write_scenario_files(scenario_files(variant), folder, stem=slug(rec.name))
    ss: Any = st.session_state
    ss["source"] = str(path)
    if variant.model is not None:
        store_key = f"judgments:{variant.model.name}"
        ss.setdefault("store", {})[store_key] = {str(k): float(v) for k, v in rec.judgments.items()}
        for key in [k for k in ss if str(k).startswith(f"w:jd:{store_key}:")]:
            del ss[key]
    when = rec.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return f"Opened what-if **{rec.name}** (version {rec.version}, saved by {rec.author} on {when})."


def use_model(store: Store, base: Scenario, model_version: int) -> str:
    """Make the app work on ``base`` with a saved model version (e.g. a round's adopted
    group judgments); returns a line saying so. The model must have the scenario
    model's criteria."""
    record = store.model_record(model_version)
    model = store.load_model(model_version)
    if base.model is None or base.model.criteria != model.criteria:
        raise SelectorError(
            f"{record.name} v{record.version} has other criteria than this scenario's model"
        )
    scenario = dataclasses.replace(base, model=model)
    folder = private_temp_folder() / f"model-{record.id}-{base.fingerprint}"
    path = write_scenario_files(scenario_files(scenario), folder, stem=slug(base.name))
    ss: Any = st.session_state
    ss["source"] = str(path)
    return f"Working with {record.name} model version {record.version} in {base.name}."
