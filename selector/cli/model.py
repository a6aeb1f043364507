"""``selector model``: write the portfolio model as an LP or MPS file for other tools.

The file is the readable PuLP model (:func:`selector.portfolio.pulp_model.pulp_model`):
variables and constraints named after partners, segments, pools and rules, so a model
opened in CBC, HiGHS, GLPK or a commercial solver reads like the scenario.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from selector.cli.output import emit_json
from selector.errors import ScenarioError

__all__ = ["add_model_parser"]


def _cmd_model(args: argparse.Namespace) -> int:
    from selector.inputs.scenario import load_scenario
    from selector.portfolio.pulp_model import write_model

    if os.path.exists(args.output) and not args.force:
        raise ScenarioError(f"{args.output} exists; pass --force to replace it")
    scenario = load_scenario(args.scenario)
    fmt = write_model(scenario, args.output, fmt=args.format)
    if args.json:
        emit_json({"scenario": scenario.name, "file": args.output, "format": fmt})
    else:
        print(f"Wrote the {fmt.upper()} model of {scenario.name} to {args.output}")
    return 0


def add_model_parser(sub: Any) -> None:
    p = sub.add_parser(
        "model", help="write the portfolio model as an LP or MPS file (named rows and columns)"
    )
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="model.lp or model.mps")
    p.add_argument("--format", choices=["lp", "mps"], default=None, help="default: from the suffix")
    p.add_argument("--force", action="store_true", help="replace the file if it exists")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_model)
