"""Who may do what in a judgment round, on the real PostgreSQL server the suite starts:
two logins, bob and mallory. Mallory cannot replace bob's judgments nor adopt or close
bob's round, through the store API (a RoleError naming the round and who may) nor with
SQL under her own login (the database's grants and row-level security)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from conftest import PostgresServer, login_role
from sqlalchemy.engine import make_url

from selector import load_model
from selector.store import RoleError, Store, open_store

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "partner-selection.toml"
PAIRS = [("goal", "strategic_fit", "capability", 3.0)]


@pytest.fixture
def team(postgres_server: PostgresServer) -> Iterator[dict[str, str]]:
    """A workspace created by the server's owner login, and the URLs of bob, mallory
    and the app's login (a member of selector_app)."""
    url = postgres_server.new_database()
    with closing(open_store(url)) as owner:
        owner.upgrade()
    for name in ("bob", "mallory", "appsvc"):
        login_role(postgres_server, name)
    with psycopg.connect(_dsn(url, "postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'selector_app'").fetchone() is None:
            conn.execute("CREATE ROLE selector_app NOLOGIN")
        conn.execute("GRANT selector_app TO appsvc")
    urls = {name: make_url(url).set(username=name).render_as_string(hide_password=False)
            for name in ("bob", "mallory", "appsvc")}
    yield urls


def _dsn(url: str, user: str) -> str:
    u = make_url(url)
    return f"host={u.host} port={u.port} user={user} dbname={u.database}"


def _bobs_round(urls: dict[str, str]) -> tuple[Store, int]:
    bob = open_store(urls["bob"])
    assert bob.user == "bob"
    rnd = bob.open_round(bob.save_model(load_model(MODEL)).id, title="FY27")
    assert rnd.facilitator == "bob"
    bob.submit_judgments(rnd.id, PAIRS)
    return bob, rnd.id


def test_mallory_cannot_replace_bobs_judgments_nor_adopt_his_round(team: dict[str, str]) -> None:
    bob, round_id = _bobs_round(team)
    mallory = open_store(team["mallory"])
    assert mallory.user == "mallory"
    with pytest.raises(RoleError, match=f"^judgment round {round_id}: only bob may submit or "
                       "replace bob's judgments; you are mallory$"):
        mallory.submit_judgments(round_id, [("goal", "strategic_fit", "capability", 1 / 9)],
                                 participant="bob")
    with pytest.raises(RoleError, match=f"^judgment round {round_id} \\(FY27\\): only its "
                       "facilitator, bob, may adopt it; you are mallory$"):
        mallory.adopt_round(round_id)
    with pytest.raises(RoleError, match="only its facilitator, bob, may close it"):
        mallory.close_round(round_id)
    # A login saves as itself: mallory cannot open the store as bob.
    with pytest.raises(RoleError, match="the login mallory saves as itself, not as 'bob'"):
        open_store(team["mallory"], user="bob")
    # Her own judgments are hers; bob's stand.
    mallory.submit_judgments(round_id, [("goal", "strategic_fit", "capability", 1 / 9)])
    latest = {j.participant: j.pairs[0][3] for j in bob.judgments(round_id)}
    assert latest == {"bob": 3.0, "mallory": pytest.approx(1 / 9)}
    adopted = bob.adopt_round(round_id)
    assert adopted.author == "bob" and bob.round(round_id).status == "adopted"
    mallory.close()
    bob.close()


def test_the_database_holds_the_line_for_sql_under_mallorys_login(team: dict[str, str]) -> None:
    bob, round_id = _bobs_round(team)
    model_version = bob.round(round_id).model_version_id
    with psycopg.connect(_dsn(team["mallory"], "mallory"), autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("mallory",)
        # Judgments in bob's name: refused by row-level security.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO judgment_sets (round_id, model_version_id, participant, source, "
                "pairs, created_at) VALUES (%s, %s, 'bob', 'sql', '[]', now())",
                (round_id, model_version),
            )
        # Bob's saved judgments cannot be changed or deleted: no such privilege.
        for statement in ("UPDATE judgment_sets SET pairs = '[]'",
                          "DELETE FROM judgment_sets", "DELETE FROM rounds",
                          "UPDATE rounds SET facilitator = 'mallory'",
                          "UPDATE runs SET author = 'mallory'"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(statement)
        # Bob's round: its status is not hers to change (no row of hers to update).
        done = conn.execute("UPDATE rounds SET status = 'adopted' WHERE id = %s", (round_id,))
        assert done.rowcount == 0
        # A round opened in bob's name, or a model saved in it: refused.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO rounds (title, model_version_id, facilitator, status, created_at) "
                "VALUES ('x', %s, 'bob', 'open', now())", (model_version,),
            )
        # What she may do: add rows as herself.
        conn.execute(
            "INSERT INTO judgment_sets (round_id, model_version_id, participant, source, "
            "pairs, created_at) VALUES (%s, %s, 'mallory', 'sql', '[]', now())",
            (round_id, model_version),
        )
    assert bob.round(round_id).status == "open"
    assert [j.participant for j in bob.judgments(round_id, latest=False)] == ["bob", "mallory"]
    # Through the store, a refusal by the database is a RoleError too.
    mallory = open_store(team["mallory"])
    mallory._user = "bob"  # as if the API check were bypassed: the database still refuses
    with pytest.raises(RoleError, match="refused the save"):
        mallory.submit_judgments(round_id, PAIRS)
    mallory.close()
    bob.close()


def test_the_apps_login_saves_for_its_signed_in_users(team: dict[str, str]) -> None:
    bob, round_id = _bobs_round(team)
    carol = open_store(team["appsvc"], user="carol@example.com")
    assert carol.user == "carol@example.com"
    carol.submit_judgments(round_id, PAIRS)
    with pytest.raises(RoleError, match=r"only its facilitator, bob, may adopt it; you are "
                       r"carol@example\.com"):
        carol.adopt_round(round_id)
    assert {j.participant for j in bob.judgments(round_id)} == {"bob", "carol@example.com"}
    carol.close()
    bob.close()
