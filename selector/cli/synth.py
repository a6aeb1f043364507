"""``selector synth``: write a seeded synthetic channel scenario."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from selector.errors import SelectorError
from selector.inputs.synth import DEFAULT_MODEL, generate_channel, write_scenario

__all__ = ["add_arguments", "main", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``synth`` options to ``parser`` (for ``selector synth``)."""
    parser.add_argument(
        "out_dir", metavar="OUT_DIR", help="folder for the tables; the TOML goes to OUT_DIR.toml"
    )
    parser.add_argument("--seed", type=int, default=2027, help="random seed (default 2027)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiplies the 604 partners (default 1)"
    )
    parser.add_argument(
        "--granularity", choices=("segment", "account"), default="segment",
        help="segment: 210 cells + named accounts; account: one segment per customer",
    )  # fmt: skip
    parser.add_argument(
        "--accounts", type=int, default=14_000, help="customers in all (default 14000)"
    )
    parser.add_argument(
        "--named", type=int, default=300, help="named accounts among them (default 300)"
    )
    parser.add_argument(
        "--prospects", type=int, default=150,
        help="candidates to recruit; above 0 the partners are today's channel in programme "
        "tiers and the scenario gets a [programme] table (default 150; 0: no plan columns)",
    )  # fmt: skip
    parser.add_argument(
        "--name", default=None, help="scenario name (default: 'Synthetic channel (seed N)')"
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL,
        help=f"criteria model path relative to the TOML (default {DEFAULT_MODEL}); '' leaves it out",
    )  # fmt: skip
    parser.add_argument(
        "--currency", default=None, metavar="CODE",
        help="ISO 4217 code of every amount, e.g. CNY (default: none written)",
    )  # fmt: skip
    parser.add_argument(
        "--horizon", type=int, default=None, metavar="YEARS",
        help="a roadmap over 1-5 years (ramp, exit transition, growing budget; needs prospects)",
    )
    parser.add_argument("--force", action="store_true", help="replace files that exist")


def run(args: argparse.Namespace) -> int:
    """Generate and write the channel the parsed ``args`` ask for; return 0.

    Raises
    ------
    SelectorError
        Bad options or a file that exists without ``--force``.
    """
    channel = generate_channel(
        seed=args.seed,
        scale=args.scale,
        granularity=args.granularity,
        accounts=args.accounts,
        named=args.named,
        prospects=args.prospects,
    )
    path = write_scenario(
        channel,
        args.out_dir,
        name=args.name or f"Synthetic channel (seed {channel.seed})",
        model=args.model or None,
        currency=args.currency,
        overwrite=args.force,
        horizon=args.horizon,
    )
    print(
        f"wrote {len(channel.partners):,} partners ({channel.prospects:,} of them prospects), "
        f"{len(channel.segments):,} segments, "
        f"{len(channel.coverage):,} coverage pairs, {len(channel.supply):,} supply pairs "
        f"to {args.out_dir}; scenario {path} (budget {channel.budget_total:,})"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m selector.cli.synth OUT_DIR [--seed N] [--scale X] [--prospects N] ...``; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m selector.cli.synth", description="Write a synthetic channel scenario."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except SelectorError as exc:
        print(f"selector synth: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
