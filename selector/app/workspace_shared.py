"""What the workspace pages share: the store, who is working, saving and opening what-ifs.

The database is the one ``$SELECTOR_DB`` names (else the SQLite file in the user's data
folder, created by the first save); it is opened once per app process and person.

Who is working is never typed. With sign-in configured (an OpenID Connect provider in
the ``[auth]`` section of ``.streamlit/secrets.toml``, see ``st.login``), it is the
signed-in person (their e-mail, else name), and a visitor who has not signed in may
read but not save or judge. Without sign-in the app is single-user: everyone using it
saves as the app's own identity (the operating-system user for an SQLite workspace,
the database login on PostgreSQL), and the pages say so in one line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from selector import PortfolioResult, Scenario, SelectorError
from selector.app.shared import apply_judgments, judgment_store, portfolio_changes
from selector.display import money, plural
from selector.store import Store, WhatIfRecord, open_store, resolve_url
from selector.store.serialize import (
    private_temp_folder,
    scenario_files,
    slug,
    write_scenario_files,
)

__all__ = [
    "Visitor",
    "app_store",
    "changes_words",
    "close_stores",
    "identity_line",
    "open_whatif",
    "save_whatif",
    "sign_in_prompt",
    "use_model",
    "visitor",
    "whatif_scenario",
]
_opened: list[Store] = []


@dataclass(frozen=True)
class Visitor:
    """Who is using this session: ``name`` is the signed-in person (None: the app's own
    identity, when no sign-in is configured or nobody has signed in)."""

    name: str | None
    may_save: bool
    sign_in: bool


def visitor() -> Visitor:
    """This session's :class:`Visitor`, from Streamlit's sign-in (``st.user``): it has
    ``is_logged_in`` only when sign-in is configured."""
    info = st.user.to_dict()
    if "is_logged_in" not in info:
        return Visitor(None, may_save=True, sign_in=False)
    if info.get("is_logged_in") is True:
        name = str(info.get("email") or info.get("name") or info.get("sub") or "").strip()
        if name:
            return Visitor(name, may_save=True, sign_in=True)
    return Visitor(None, may_save=False, sign_in=True)


@st.cache_resource(show_spinner=False)
def _store(url: str, user: str | None) -> Store:
    store = open_store(url, user=user)
    _opened.append(store)
    return store


def close_stores() -> None:
    """Close every store this process opened (and forget them): for tests and shutdown."""
    _store.clear()
    while _opened:
        _opened.pop().close()


def app_store(*, save: bool = False) -> Store | None:
    """The workspace store of this session's visitor, or None after showing why it
    cannot be opened; with ``save``, also None (after a sign-in button) while a visitor
    of an app with sign-in has not signed in."""
    who = visitor()
    if save and not who.may_save:
        sign_in_prompt()
        return None
    try:
        return _store(resolve_url(), who.name)
    except SelectorError as exc:
        st.error(f"The team workspace cannot be opened: {exc}")
        return None


def sign_in_prompt() -> None:
    st.info("Sign in to save or judge: what you save is recorded under your sign-in.",
            icon=":material/login:")
    st.button("Sign in", icon=":material/login:", on_click=st.login, key="workspace:login")


def identity_line(store: Store) -> None:
    """One line saying who saves (or that nobody is signed in yet)."""
    who = visitor()
    if not who.sign_in:
        st.caption(
            f"Single-user: no sign-in is configured for this app, so everything is saved "
            f"as **{store.user}**, the app's own user."
        )
    elif who.may_save:
        c1, c2 = st.columns([5, 1])
        c1.caption(f"Signed in as **{store.user}**: everything you save is recorded as yours.")
        c2.button("Sign out", on_click=st.logout, key="workspace:logout")
    else:
        sign_in_prompt()


def changes_words(changes: Mapping[str, Any]) -> str:
    """A what-if's setting changes in words: ``"budget 35,792,000; must exclude R04"``."""
    words: list[str] = []
    budget = changes.get("budget")
    if isinstance(budget, Mapping) and "total" in budget:
        words.append(f"budget {money(budget['total'])}")
    for key, value in dict(changes.get("constraints") or {}).items():
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        words.append(f"{key.replace('_', ' ')} {shown}")
    programme = changes.get("programme")
    if isinstance(programme, Mapping):
        for key, value in programme.items():
            if isinstance(value, Mapping):
                inner = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items())
                words.append(f"{key}: {inner}")
            else:
                words.append(f"{key.replace('_', ' ')} {value}")
    if "rules" in changes:
        words.append(plural(len(changes["rules"] or []), "rule"))
    return "; ".join(words) or "as loaded"


def save_whatif(
    store: Store,
    base: Scenario,
    s: Scenario,
    result: PortfolioResult,
    *,
    name: str,
    note: str = "",
) -> WhatIfRecord:
    """Save the settings on screen as a what-if in the workspace, with its portfolio.

    ``base`` is the loaded scenario (saved as a scenario version once per content),
    ``s`` the scenario with the session's judgments and settings applied and
    ``result`` the portfolio shown for it (saved as a run). The what-if keeps the
    setting changes and edited judgments, so reopening it rebuilds ``s``.
    """
    edited = dict(judgment_store(base.model)) if base.model is not None else {}
    saved = store.save_scenario(base)
    run = store.save_run(
        result, fingerprint=s.fingerprint, options={"solver": result.solver}, label=name
    )
    return store.save_whatif(
        name, scenario_version=saved.id, changes=portfolio_changes(base), judgments=edited,
        run=run.id, note=note,
    )


@st.cache_resource(show_spinner=False, max_entries=64)
def _whatif_scenario(_store: Store, url: str, whatif_id: int) -> Scenario:
    rec = _store.whatif(whatif_id)
    scenario = _store.load_whatif(whatif_id)
    if scenario.model is not None and rec.judgments:
        overrides = {str(k): float(v) for k, v in rec.judgments.items()}
        scenario = dataclasses.replace(scenario, model=apply_judgments(scenario.model, overrides))
    return scenario


def whatif_scenario(store: Store, whatif_id: int) -> Scenario:
    """A saved what-if's scenario with its judgments applied (saved records never change,
    so it is loaded once per app process)."""
    return _whatif_scenario(store, store.url, whatif_id)


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
