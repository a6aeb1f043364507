"""Synthetic channels shaped like a real vendor's: partners, segments, coverage, supply.

The generator sizes a channel on one the source documents describe: 26 regional
commercial distributors, 436 commercial gold/silver resellers, 10 regional industry
distributors and 132 industry gold partners (604 partners), 300 named (key) accounts
and 14,000 customers, with 60 % of contract volume through industry channels, 30 %
through commercial channels and 10 % direct. Everything is drawn from one
``numpy.random.default_rng`` per stage, seeded from ``seed`` through
``numpy.random.SeedSequence(seed).spawn``, so the same arguments give byte-identical
tables, and the partner and customer draws do not depend on ``granularity``: an
account-level channel is the disaggregation of the segment-level one with the same
seed and ``accounts``.

Partners (``scale`` multiplies the four counts; ``scale=1`` gives 26/436/10/132, at
least 7/7/10/10 are kept so every region and industry has a distributor):

* Regional commercial distributors (``D001``...): type ``distributor``, tier 1, one
  region each, split over the seven regions by market weight with the largest-remainder
  rule (East 6, South 5, North 4, Central 3, Southwest 3, Northeast 3, Northwest 2 at
  ``scale=1``); industries ``*``; sizes ``midmarket;smb``.
* Industry distributors (``I001``...): ``distributor``, tier 1, one industry each (the
  first ten take the ten industries in order, more are drawn by enterprise value);
  regions ``*``; sizes ``enterprise;midmarket``.
* Industry partners (``P001``...): ``si`` (65 %) or ``isv`` (35 %), tier 2; a home
  (region, industry) cell, the first 70 of them taking the 70 cells once each, plus a
  second industry with probability 0.35 and one or two more regions (probabilities
  0.45 / 0.35 / 0.20 for 1 / 2 / 3 regions); sizes ``enterprise`` (70 %) or
  ``enterprise;midmarket``.
* Commercial resellers (``R0001``...): ``reseller``, tier 2; one home region (the first
  seven take the seven regions once each, then by market weight), a second region with
  probability 0.2; 2-6 industries (probabilities 0.1 / 0.2 / 0.25 / 0.25 / 0.2) drawn
  without replacement by customer count; sizes
  ``smb`` (30 %), ``midmarket;smb`` (50 %), ``midmarket`` (12 %) or
  ``enterprise;midmarket`` (8 %).

Each partner has a latent quality ``q ~ N(0, 1)``; every criterion is a function of
``q`` plus its own standard normal noise ``z``, so criteria correlate as they do in
practice (loadings in :mod:`selector.inputs.synth.partners`). Ratings (1-5) are ``round(centre + a*q +
b*z)`` clipped to 1..5; counts (``sales_headcount``, ``certified_engineers``,
``dedicated_staff``) and ``annual_revenue`` (millions) are log-normal around a median
per partner kind; shares (``vendor_share``, ``market_share``, ``overdue_ratio``) are
logistic transforms of a normal; ``target_attainment`` is ``1 + 0.18 q + 0.15 z``
clipped to 0.3..1.8; ``compliance_incidents`` is Poisson with rate falling with ``q``;
``importance_to_partner`` is logistic around ``vendor_share``. Cost is log-normal
around a median per kind (distributors 300-320k, industry partners 85k, resellers
35k), rising with ``q`` and clipped to 150k-600k, 40k-200k and 15k-90k, rounded to
100.

Customers (``accounts`` in all, the first ``named`` of them named): named accounts are
enterprise, in a (region, industry) cell drawn by market weight x enterprise weight
among the cells some industry partner serves. The others are first spread one per
(region, industry, size) cell (so no cell is empty), then drawn by region weight,
industry customer weight and a size mix that depends on the industry (about 4.5 %
enterprise, 22.5 % mid-market, 73 % small business overall). A customer's annual value
is log-normal: median 450k (named), 240k (enterprise), 42k (mid-market), 5.8k (small
business), sigma 0.7-0.8, times an industry factor (finance 1.3 ... education 0.8),
rounded to whole units. Enterprise customers (served by the industry channel) end up
with about two thirds of the value and mid-market and small business with one third:
the 60 : 30 split of the partner-sold volume; the 10 % direct volume is not part of
the partner plan and is not generated.

Granularity ``"segment"``: 210 rows, one per region x industry x size cell
(``S-East-finance-ent``), valued at the sum of its non-named customers, plus one row per
named account (``K001``...). A partner covers a cell when region, industry and size are
all among its lists; a named account is covered by 2-6 of the partners that match it
(one industry partner first, the rest drawn by ``exp(q)`` with distributors weighted
0.25). Granularity ``"account"``: one row per customer (``A00001``...; the first
``named`` are the named accounts); partner ``j`` covers account ``a`` of its territory
with probability ``min(1, lam_c u_a w_j)``, where ``u_a ~ Gamma(4, 1/4)`` is the
account's pull, ``w_j = exp(q_j / 2)`` times 4 (regional distributors), 3 (industry
distributors), 1.5 (industry partners) or 1 (resellers), and ``lam_c`` is set per
cell so that an account expects 30 partners, or 85 % of its candidates where fewer
than about 35 partners' territories hold it. That gives about 24 partners per account
at 604 partners x 14,000 accounts (~340k pairs) and 30 at 5,000 x 200,000 (~6M
pairs). An account nobody drew gets one partner of its territory, drawn by ``w``.

Supply: each reseller is supplied by 1-3 (probabilities 0.5 / 0.35 / 0.15) regional
distributors of its regions and each industry partner by 1-2 (0.6 / 0.4) industry
distributors of its industries, drawn by ``exp(0.8 q)`` of the distributor; a
distributor left without a partner is given the eligible partner with the fewest
suppliers.

Code layout: :func:`generate_channel` (:mod:`selector.inputs.synth.generate`) checks
the options and runs the stages, each in its own module of this package:
:mod:`selector.inputs.synth.partners` (partners, criteria, cost, names; supply),
:mod:`selector.inputs.synth.segments` (customers, segments, coverage) and
:mod:`selector.inputs.synth.prospects` (today's channel: status, programme tiers,
prospects, one-off costs, the programme and its budget; from a fifth stream, so the
current partners' rows, coverage and supply are those drawn with ``prospects=0``), with
the market they share (regions, industries, sizes and their weights) in
:mod:`selector.inputs.synth.common`. What it returns, :class:`SyntheticChannel`, is in
:mod:`selector.inputs.synth.channel`, and :func:`write_scenario`, which writes one as a
scenario, in :mod:`selector.inputs.synth.write`. The three are re-exported here.

The bundled ``scenarios/vendor.toml`` is
``selector synth scenarios/vendor --name "FY27 vendor baseline" --force`` (seed 2027,
150 prospects).

>>> channel = generate_channel(seed=7, prospects=0)
>>> channel.partners.groupby("gtm_tier").size().to_dict()
{1: 36, 2: 568}
>>> today = generate_channel(seed=7)
>>> today.partners["status"].value_counts().to_dict()
{'current': 604, 'prospect': 150}
>>> len(channel.segments), int(channel.segments["named"].sum())
(510, 300)
"""

from selector.inputs.synth.channel import SyntheticChannel
from selector.inputs.synth.generate import generate_channel
from selector.inputs.synth.write import DEFAULT_MODEL, write_scenario

__all__ = ["DEFAULT_MODEL", "SyntheticChannel", "generate_channel", "write_scenario"]
