"""The team workspace: saved scenarios, criteria models, judgment rounds, runs, what-ifs.

A database (SQLite by default, PostgreSQL by URL) opened with :func:`open_store`; its
schema is created (by the first save) and upgraded by the Alembic migrations shipped in
``selector/store/migrations``; reading never changes it. Modules: ``engine`` (where the database is, opening it,
migrating), ``schema`` (the tables), ``serialize`` (models and scenarios as files),
``api`` (:class:`Store`, built up from ``_base``: opening and who saves,
``criteria_models`` and ``judging``: rounds and who may do what in one; its records
are in ``records``), ``rounds`` (a judgment round's group result), ``questionnaire``
(the Excel questionnaire for a round), ``compare`` (two saved runs side by side) and
``studies`` (what-if studies saved as their results arrive, to resume).
"""

from selector.store.api import (
    JudgmentRecord,
    ModelRecord,
    RoundRecord,
    RunRecord,
    ScenarioRecord,
    Store,
    WhatIfRecord,
    default_author,
    open_store,
)
from selector.store.engine import APP_ROLE, DB_ENV, RoleError, StoreError, resolve_url
from selector.store.rounds import (
    Disagreement,
    ParentResult,
    RoundResult,
    adopted_model,
    round_result,
)
from selector.store.studies import StudyLog, StudyRecord, studies, study_results

__all__ = [
    "APP_ROLE",
    "DB_ENV",
    "Disagreement",
    "JudgmentRecord",
    "ModelRecord",
    "ParentResult",
    "RoleError",
    "RoundRecord",
    "RoundResult",
    "RunRecord",
    "ScenarioRecord",
    "Store",
    "StoreError",
    "StudyLog",
    "StudyRecord",
    "WhatIfRecord",
    "adopted_model",
    "default_author",
    "open_store",
    "resolve_url",
    "round_result",
    "studies",
    "study_results",
]
