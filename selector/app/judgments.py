"""Page "Group judgments": a judgment round with several participants.

A facilitator opens a round on the scenario's criteria model; each participant moves a
slider per pair (or fills the Excel questionnaire offline and uploads it), recorded
under who they are (their sign-in, or the app's own user when it has no sign-in: see
:mod:`selector.app.workspace_shared`); only the facilitator adopts or closes the round. The page shows each participant's consistency ratio and the revision that would
help most, the group weights (AIJ and AIP), a consensus index per node and the pairs
people disagree on most; the group result can be adopted as the model's judgments (a
new model version in the workspace).

Streamlit runs this file as the page (``st.Page`` in ``app.py``); importing it only
defines :func:`page`.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import pandas as pd
import streamlit as st

from selector import CriteriaModel, Scenario, SelectorError
from selector.app.shared import base_scenario, weighted_scenario
from selector.app.workspace_shared import (
    app_store,
    identity_line,
    use_model,
    visitor,
)
from selector.store import RoundRecord, Store, round_result
from selector.store.questionnaire import VERBAL, questionnaire_bytes, read_questionnaire

__all__ = ["SCALE", "page", "scale_words"]

# "a over b", from a extremely more important to b extremely more important.
SCALE = tuple([float(k) for k in range(9, 1, -1)] + [1.0] + [1 / k for k in range(2, 10)])


def scale_words(value: float, a: str, b: str) -> str:
    if abs(value - 1) < 1e-9:
        return "equal"
    if value > 1:
        return f"{a}: {VERBAL[round(value)]}"
    return f"{b}: {VERBAL[round(1 / value)]}"


def _snap(value: float) -> float:
    return min(SCALE, key=lambda o: abs(math.log(o) - math.log(value)))


def _when(value: Any) -> str:
    return str(value.astimezone().strftime("%Y-%m-%d %H:%M"))


def page() -> None:
    st.title("Group judgments")
    st.caption(
        "Several people judge the criteria: each enters pairwise judgments as themselves; "
        "the group weights, consensus and disagreements update as they do."
    )
    store = app_store()
    if store is None:
        return
    identity_line(store)
    # Who judges is who this session is; None: a visitor who has not signed in (reads only).
    who = store.user if visitor().may_save else None
    message = st.session_state.pop("judgments:message", None)
    if message:
        st.success(message, icon=":material/check:")
    open_round_form(store, who)
    rounds = store.rounds()
    if not rounds:
        st.info("No judgment round yet: open one above.", icon=":material/inbox:")
        return
    labels = {r.id: f"#{r.id} {r.title} ({r.status}) · {r.facilitator}, {_when(r.created_at)}"
              for r in rounds}
    pick = st.selectbox("Round", list(labels), format_func=labels.__getitem__, key="judgments:round")
    rnd = store.round(int(pick))
    model = store.load_model(rnd.model_version_id)
    if rnd.status == "open":
        judge_form(store, rnd, model, who)
    else:
        adopted = ""
        if rnd.adopted_model_version_id is not None:
            mv = store.model_record(rnd.adopted_model_version_id)
            adopted = f": the group judgments are {mv.name} model version {mv.version}"
        st.info(f"This round is {rnd.status}{adopted}.", icon=":material/lock:")
        base = base_scenario()
        if rnd.adopted_model_version_id is not None and base is not None:
            st.button(
                "Work with the adopted judgments", icon=":material/check_circle:",
                on_click=_use_adopted, args=(store, base, rnd.adopted_model_version_id),
            )
    results(store, rnd, model, who)


def _use_adopted(store: Store, base: Scenario, model_version: int) -> None:
    try:
        st.session_state["judgments:message"] = use_model(store, base, model_version)
    except SelectorError as exc:
        st.session_state["judgments:message"] = f"Could not use the adopted model: {exc}"


def open_round_form(store: Store, who: str | None) -> None:
    base = base_scenario()
    if base is None or base.model is None or who is None:
        return
    with st.expander("Facilitator: open a new round on this scenario's criteria model"):
        with st.form("judgments:open"):
            title = st.text_input("Round title", value=f"{base.model.name} weights")
            opened = st.form_submit_button("Open a round", icon=":material/groups:")
        if opened:
            model = weighted_scenario(base).model
            assert model is not None
            try:
                mv = store.save_model(model)
                rnd = store.open_round(mv.id, title=title)
            except SelectorError as exc:
                st.error(f"Could not open the round: {exc}")
                return
            st.session_state["judgments:round"] = rnd.id
            st.session_state["judgments:message"] = f"Opened round #{rnd.id}: {rnd.title}."
            st.rerun()


def _starting_values(
    store: Store, rnd: RoundRecord, model: CriteriaModel, who: str | None
) -> dict[tuple[str, str, str], float]:
    start: dict[tuple[str, str, str], float] = {}
    for js in model.judgments:
        for a, b, v in js.pairs:
            start.setdefault((js.parent, a, b), v)
            start.setdefault((js.parent, b, a), 1 / v)
    mine = [j for j in store.judgments(rnd.id) if j.participant == who]
    if mine:
        for parent, a, b, v in mine[0].pairs:
            start[(parent, a, b)] = v
            start[(parent, b, a)] = 1 / v
    return start


def judge_form(store: Store, rnd: RoundRecord, model: CriteriaModel, who: str | None) -> None:
    st.subheader("Your judgments")
    if who is None:
        st.caption("Sign in (above) to judge.")
        return
    st.caption(f"Judging as **{who}**: start from your last submission, else the model's "
               "judgments; move a slider toward the criterion that matters more.")
    start = _starting_values(store, rnd, model, who)
    parents = [p for p in model.parents if len(model.children(p)) > 1]
    with st.form(f"judge:{rnd.id}:{who}"):
        chosen: list[tuple[str, str, str, str]] = []
        for parent in parents:
            label = "the goal" if parent == "goal" else model.node(parent).label
            st.markdown(f"**Under {label}**: which matters more, and how much?")
            children = model.children(parent)
            for i, a in enumerate(children):
                for b in children[i + 1:]:
                    la, lb = model.node(a).label, model.node(b).label
                    key = f"jr:{rnd.id}:{who}:{parent}:{a}:{b}"
                    if key not in st.session_state:
                        st.session_state[key] = _snap(start.get((parent, a, b), 1.0))
                    st.select_slider(
                        f"{la} vs {lb}", options=SCALE, key=key,
                        format_func=functools.partial(scale_words, a=la, b=lb),
                    )
                    chosen.append((parent, a, b, key))
        submitted = st.form_submit_button(
            "Submit my judgments", type="primary", icon=":material/how_to_vote:"
        )
    if submitted:
        pairs = [(p, a, b, float(st.session_state[k])) for p, a, b, k in chosen]
        try:
            store.submit_judgments(rnd.id, pairs, source="app")
        except SelectorError as exc:
            st.error(f"Not recorded: {exc}")
        else:
            st.session_state["judgments:message"] = (
                f"Recorded {len(pairs)} judgments of {who} in round #{rnd.id}."
            )
            st.rerun()
    with st.expander("Offline: the Excel questionnaire"):
        st.download_button(
            "Download the questionnaire",
            data=questionnaire_bytes(model, participant=who, round_id=rnd.id, title=rnd.title,
                                     prefill=start),
            file_name=f"questionnaire-round{rnd.id}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
        )
        upload = st.file_uploader("Filled-in questionnaire", type=["xlsx"],
                                  key=f"judgments:upload:{rnd.id}")
        if upload is not None and st.button("Import the questionnaire"):
            try:
                q = read_questionnaire(upload.getvalue(), model, participant=who)
                if q.round_id is not None and q.round_id != rnd.id:
                    raise SelectorError(f"this questionnaire is for round {q.round_id}")
                store.submit_judgments(rnd.id, q.pairs, participant=q.participant,
                                       source="questionnaire")
            except SelectorError as exc:
                st.error(f"Not imported: {exc}")
            else:
                st.session_state["judgments:message"] = (
                    f"Imported {len(q.pairs)} judgments of {q.participant}."
                )
                st.rerun()


def results(store: Store, rnd: RoundRecord, model: CriteriaModel, who: str | None) -> None:
    subs = store.judgments(rnd.id)
    st.subheader("The group")
    if not subs:
        st.info("No judgments yet.", icon=":material/hourglass_empty:")
        return
    people = ", ".join(f"{s.participant} ({_when(s.created_at)})" for s in subs)
    st.caption(f"{len(subs)} participants: {people}")
    result = round_result(model, subs)
    for p in result.parents:
        label = "Goal" if p.parent == "goal" else model.node(p.parent).label
        with st.container(border=True):
            c1, c2 = st.columns([1, 3])
            c1.markdown(f"**{label}**")
            consensus = "-" if p.consensus is None else f"{p.consensus:.0%}"
            c1.metric("Consensus", consensus)
            rows = []
            for name, r in p.participants.items():
                hint = "-"
                if r.revisions:
                    rev = r.revisions[0]
                    la, lb = model.node(rev.row).label, model.node(rev.col).label
                    hint = (f"{la} vs {lb}: {scale_words(_snap(rev.current), la, lb)} -> "
                            f"{scale_words(_snap(rev.suggested), la, lb)} "
                            f"(CR {rev.cr_after:.3f})")
                rows.append({"participant": name, "CR": round(r.cr, 3),
                             "consistent": "yes" if r.consistent else "no",
                             "suggested revision": hint})
            for name, problem in p.problems.items():
                rows.append({"participant": name, "CR": None, "consistent": "-",
                             "suggested revision": problem})
            c2.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
            if p.aij is not None and p.aip is not None:
                weights = pd.DataFrame(
                    {
                        "criterion": [model.node(i).label for i in p.items],
                        "group (AIJ)": [p.aij.weights[i] for i in p.items],
                        "group (AIP)": [p.aip.weights[i] for i in p.items],
                        **{n: [r.weights[i] for i in p.items] for n, r in p.participants.items()},
                    }
                )
                c2.dataframe(weights, hide_index=True, width="stretch",
                             column_config={c: st.column_config.NumberColumn(format="%.3f")
                                            for c in weights.columns if c != "criterion"})
    if result.disagreements:
        st.markdown("**Where people disagree most**")
        rows = []
        for d in result.disagreements:
            la, lb = model.node(d.a).label, model.node(d.b).label
            rows.append({
                "pair": f"{la} vs {lb}",
                "spread": f"x{d.spread:.3g}",
                **{n: scale_words(_snap(v), la, lb) for n, v in d.values.items()},
            })
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if rnd.status == "open" and who is not None:
        if not store.may_facilitate(rnd):
            st.caption(f"{rnd.facilitator} opened this round: only they adopt or close it.")
            return
        c1, c2 = st.columns(2)
        if c2.button("Close the round without adopting", icon=":material/lock:"):
            try:
                store.close_round(rnd.id)
            except SelectorError as exc:
                st.error(f"Not closed: {exc}")
            else:
                st.session_state["judgments:message"] = f"Closed round #{rnd.id}."
                st.rerun()
        if c1.button("Adopt the group judgments as the model's", icon=":material/gavel:"):
            try:
                mv = store.adopt_round(rnd.id)
            except SelectorError as exc:
                st.error(f"Not adopted: {exc}")
            else:
                st.session_state["judgments:message"] = (
                    f"Adopted: {mv.name} model version {mv.version} (workspace id {mv.id}) "
                    "holds every participant's judgments."
                )
                st.rerun()


if __name__ == "__main__":  # run by Streamlit as the page
    page()
