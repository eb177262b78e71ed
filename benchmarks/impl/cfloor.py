"""The C floor: small C programs on raw netlink (benchmarks/cfloor), timed from inside.

Their own timing (CLOCK_MONOTONIC and RUSAGE_SELF around the work, after the program has
started and opened its host socket) is the measure: the physical limit we compare to. The
runner's outer timing (with fork/exec, ~1 ms) is kept in the results as ``outer_wall``.
"""
from __future__ import annotations

import json

from ..common import Measure, sh
from .base import Case, Ctx, Impl


def _measure(out: bytes, key: str = "run") -> Measure:
    d = json.loads(out)
    m = d[key]
    return Measure(m["wall"], m["user"], m["sys"],
                   {k: v for k, v in d.items() if k not in ("run",)})


class CFloor(Impl):
    name = "C floor"
    workloads = frozenset({"W1", "NS", "W2-links", "W2-addrs", "W2-routes", "W4", "W4-map", "W5"})
    inner_timing = True
    # W4: one nfnetlink transaction; NLM_F_ACK on BATCH_END only (one ack confirms the batch;
    # a failing member's error arrives before it). No acks at all (nft's way, a non-blocking
    # read after the send) measured the same; an ack per member is CFloorAcks.
    w4_acks = "endack"

    def run(self, case: Case, ctx: Ctx) -> Measure:
        b = ctx.bins
        w = case.workload
        if w == "W1":
            out = sh([str(b["w1"]), "attach", ctx.host_path, ctx.ctr_prefix, str(case.n)]).stdout
        elif w == "NS":
            out = sh([str(b["w1"]), "nsadd", ctx.ctr_prefix, str(case.n)]).stdout
        elif w.startswith("W2-"):
            out = sh([str(b["w2"]), w[3:], ctx.host_path]).stdout
        elif w == "W5":
            out = sh([str(b["w5"]), ctx.host_path, str(case.n)]).stdout
        elif w in ("W4", "W4-map"):
            shape = "map" if w == "W4-map" else "rules"
            out = sh([str(b["w4"]), ctx.host_path, shape, str(case.n), self.w4_acks]).stdout
        else:
            raise AssertionError(w)
        return _measure(out)

    def teardown(self, case: Case, ctx: Ctx) -> Measure:
        b = ctx.bins
        if case.workload == "W1":
            out = sh([str(b["w1"]), "teardown", ctx.host_path, ctx.ctr_prefix, str(case.n)]).stdout
        else:
            out = sh([str(b["w1"]), "nsdel", ctx.ctr_prefix, str(case.n)]).stdout
        return _measure(out)


class CFloorAcks(CFloor):
    """W4 with NLM_F_ACK on every member, as pynetlink's transactions ask: one ack read back per
    member (the same bytes otherwise). Shows what the per-member acks cost the floor."""

    name = "C floor (ack per member)"
    workloads = frozenset({"W4", "W4-map"})
    w4_acks = "acks"
