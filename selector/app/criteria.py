"""Page "Criteria (AHP)": pairwise judgments of the criteria, their weights and consistency.

The edited judgments are kept in the session (``judgments:<model>`` in the store) and
every other page scores partners with them. Streamlit runs this file as the page
(``st.Page`` in ``app.py``); importing it only defines :func:`page`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from selector import CriteriaModel, GroupResult, JudgmentSet
from selector.app.shared import (
    base_scenario,
    judgment_key,
    judgment_store,
    weighted_scenario,
    weights_cached,
)

__all__ = ["SAATY", "cr_text", "judgment_words", "page", "snap"]

SAATY = tuple([1 / k for k in range(9, 1, -1)] + [float(k) for k in range(1, 10)])


def page() -> None:
    st.title("Criteria (AHP)")
    st.caption(
        "How much each criterion matters: compare criteria two at a time on Saaty's 1-9 scale; "
        "weights and consistency update as you go."
    )
    base = base_scenario()
    if base is None:
        return
    if base.model is None:
        st.info("This scenario has no criteria model: partner scores come from its table.")
        return
    s = weighted_scenario(base)
    model = s.model
    assert model is not None
    mw = weights_cached(model, s.fingerprint)
    edited = len(judgment_store(base.model))
    top = st.columns([4, 1])
    top[0].markdown(
        f"**{model.name}** · {model.method} weights · CR threshold {model.threshold:.2f}"
    )
    top[1].button(
        "Reset judgments",
        on_click=_reset_judgments,
        args=(f"judgments:{base.model.name}",),
        disabled=not edited,
    )
    parents = [p for p in model.parents if len(model.children(p)) > 1]
    labels = ["Goal" if p == "goal" else model.node(p).label for p in parents]
    flags = ["" if not mw.inconsistent_nodes().get(p) else " ⚠" for p in parents]
    tabs = st.tabs([lab + f for lab, f in zip(labels, flags, strict=True)])
    for parent, tab in zip(parents, tabs, strict=True):
        with tab:
            res = mw.nodes.get(parent)
            indexed = [(k, js) for k, js in enumerate(model.judgments) if js.parent == parent]
            if res is None or not indexed:
                st.info("No judgments here: the criteria below weigh equally.")
                weights_chart(
                    model, {c: 1 / len(model.children(parent)) for c in model.children(parent)}
                )
                continue
            if len(indexed) == 1:
                k, js = indexed[0]
                left, right = st.columns([3, 2], gap="large")
                with right:
                    st.markdown("**Weights**")
                    weights_chart(model, res.weights)
                    consistency_badge(res, model.threshold)
                with left:
                    if js.expert:
                        st.caption(f"Judgments of the {js.expert}")
                    with right:
                        revise = revision_hint(model, k, js, res)
                    judgment_sliders(model, k, js, revise)
                continue
            # Several experts: side by side, then the merged result.
            assert isinstance(res, GroupResult)
            cols = st.columns(len(indexed))
            for n, ((k, js), col) in enumerate(zip(indexed, cols, strict=True)):
                name = js.expert or f"expert {n + 1}"
                own = res.experts.get(name)
                with col:
                    st.markdown(f"**{name}** (weight {js.weight:g})")
                    revise = revision_hint(model, k, js, own)
                    judgment_sliders(model, k, js, revise)
                    if own is not None:
                        weights_chart(model, own.weights)
                        consistency_badge(own, model.threshold)
            st.markdown("**Merged weights**")
            weights_chart(model, res.weights)
            st.metric(
                "Consensus", f"{res.consensus:.0%}", help="Agreement among the experts (1 = full)."
            )
    st.header("Global criterion weights")
    st.caption("What each measurable criterion counts for in a partner's score.")
    weights_chart(model, dict(sorted(mw.global_weights.items(), key=lambda kv: -kv[1])))


# --- the judgment sliders (and the reset button) ---------------------------------------


def judgment_sliders(
    model: CriteriaModel, k: int, js: JudgmentSet, revise: tuple[str, str] | None
) -> None:
    store_key = f"judgments:{model.name}"
    overrides = judgment_store(model)
    for a, b, v in js.pairs:
        la, lb = model.node(a).label, model.node(b).label
        name = judgment_key(k, a, b)
        wkey = f"w:jd:{store_key}:{name}"
        if wkey not in st.session_state:
            st.session_state[wkey] = snap(overrides.get(name, v))
        flagged = revise is not None and {a, b} == set(revise)
        # The slider runs from "b far more important" (left) to "a far more important".
        ends = st.columns(2, gap="small")
        ends[0].caption(f"◀ {lb}", text_alignment="left")
        ends[1].caption(f"{la} ▶", text_alignment="right")
        st.select_slider(
            f"{':orange[**Revise:**] ' if flagged else ''}{la} vs {lb}",
            options=SAATY,
            format_func=functools.partial(judgment_words, a=la, b=lb),
            key=wkey,
            on_change=_judgment_moved,
            args=(store_key, name, wkey),
        )


def snap(value: float) -> float:
    return min(SAATY, key=lambda o: abs(math.log(o) - math.log(value)))


def judgment_words(value: float, a: str, b: str) -> str:
    if abs(value - 1.0) < 1e-9:
        return "equally important"
    if value > 1:
        return f"{a} {round(value)}x more important"
    return f"{b} {round(1 / value)}x more important"


def _set_judgment(store_key: str, name: str, value: float) -> None:
    judgments = st.session_state["store"].setdefault(store_key, {})
    judgments[name] = value
    st.session_state[f"w:jd:{store_key}:{name}"] = value


def _judgment_moved(store_key: str, name: str, wkey: str) -> None:
    _set_judgment(store_key, name, st.session_state[wkey])


def _reset_judgments(store_key: str) -> None:
    st.session_state["store"][store_key] = {}
    for key in [k for k in st.session_state if str(k).startswith(f"w:jd:{store_key}:")]:
        del st.session_state[key]


# --- weights and consistency of one node -------------------------------------------------


def weights_chart(model: CriteriaModel, weights: Mapping[str, float]) -> None:
    df = pd.DataFrame(
        {"criterion": [model.node(c).label for c in weights], "weight": list(weights.values())}
    )
    chart = (
        alt.Chart(df)
        .mark_bar(color="#2e7d6b")
        .encode(
            x=alt.X("weight:Q", axis=alt.Axis(format="%"), title="Weight"),
            y=alt.Y("criterion:N", sort="-x", title=None, axis=alt.Axis(labelLimit=320)),
            tooltip=["criterion", alt.Tooltip("weight:Q", format=".1%")],
        )
        .properties(height=alt.Step(28))
    )
    st.altair_chart(chart, width="stretch")


def cr_text(cr: float) -> str:
    """A consistency ratio to three places; rounding noise below zero reads 0.000."""
    return f"{max(float(cr), 0.0):.3f}"


def consistency_badge(res: Any, threshold: float) -> None:
    st.metric(
        "Consistency ratio (CR)",
        cr_text(res.cr),
        help=f"Acceptable up to {threshold:.2f}.",
    )
    if res.consistent:
        st.success(
            f"Consistent: CR {cr_text(res.cr)} ≤ {threshold:.2f}", icon=":material/check_circle:"
        )
    else:
        st.error(
            f"Inconsistent: CR {cr_text(res.cr)} > {threshold:.2f}. Revise the judgments: the "
            "portfolio is scored with these weights and says so.",
            icon=":material/error:",
        )


def revision_hint(
    model: CriteriaModel, k: int, js: JudgmentSet, res: Any
) -> tuple[str, str] | None:
    if res is None or res.consistent or not res.revisions:
        return None
    rev = res.revisions[0]
    pair = next(((a, b, v) for a, b, v in js.pairs if {a, b} == {rev.row, rev.col}), None)
    if pair is None:
        return None
    a, b, _ = pair
    suggested = rev.suggested if (a, b) == (rev.row, rev.col) else 1.0 / rev.suggested
    current = rev.current if (a, b) == (rev.row, rev.col) else 1.0 / rev.current
    la, lb = model.node(a).label, model.node(b).label
    st.warning(
        f"Revise **{la} vs {lb}**: now *{judgment_words(snap(current), la, lb)}*, the other "
        f"judgments suggest *{judgment_words(snap(suggested), la, lb)}* "
        f"(CR would fall to {cr_text(rev.cr_after)}).",
        icon=":material/edit:",
    )
    st.button(
        "Apply the suggestion",
        key=f"apply:{k}:{a}:{b}",
        on_click=_set_judgment,
        args=(f"judgments:{model.name}", judgment_key(k, a, b), snap(suggested)),
    )
    return (a, b)


if __name__ == "__main__":  # run by Streamlit as the page
    page()
