"""W1's cost per container over N (``--curve``): the cases, and the picture (a PNG).

matplotlib is optional (the ``bench`` extra): without it the runner says so, keeps the
numbers and draws nothing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from .impl.base import Case

SIZES = (10, 100, 200, 500, 1000)
IMPLS = frozenset({"C floor", "pynetlink"})


def cases() -> list[tuple[Case, frozenset[str] | None]]:
    return [(Case("W1", n), IMPLS) for n in SIZES]


def points(results: dict[str, Any]) -> dict[str, list[list[float]]]:
    """Per implementation: [N, median, min, max] of the wall time per container (ms)."""
    out: dict[str, list[list[float]]] = {}
    for c in sorted((c for c in results["cases"] if c["workload"] == "W1"), key=lambda c: c["n"]):
        for name, r in c["impls"].items():
            if r.get("runs") and name in IMPLS:
                w, n = r["wall"], c["n"]
                out.setdefault(name, []).append([n, w["median"] / n * 1e3, w["min"] / n * 1e3, w["max"] / n * 1e3])
    return out


def draw(results: dict[str, Any], png: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """The curve's points, and its PNG at ``png`` when matplotlib is there."""
    pts = points(results)
    out: dict[str, Any] = {"points": pts, "png": None}
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib is not installed (pip install -e .[bench]): the W1 curve is not drawn")
        out["note"] = "matplotlib missing: not drawn"
        return out
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=100)
    for name, rows in sorted(pts.items()):
        ns = [r[0] for r in rows]
        med = [r[1] for r in rows]
        err = [[r[1] - r[2] for r in rows], [r[3] - r[1] for r in rows]]
        ax.errorbar(ns, med, yerr=err, marker="o", capsize=3, label=name)
    ax.set_xscale("log")
    ax.set_xlabel("containers (N)")
    ax.set_ylabel("wall time per container (ms)")
    ax.set_title("W1: attach N containers to a bridge (median, min–max)")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    plt.close(fig)
    out["png"] = png.name
    log(f"drew the W1 curve: {png}")
    return out


def markdown(curve: dict[str, Any]) -> list[str]:
    pts = curve["points"]
    lines = ["## W1 cost per container over N", ""]
    if curve.get("png"):
        lines += [f"![W1 cost per container]({curve['png']})", ""]
    else:
        lines += [f"(no picture: {curve.get('note', 'not drawn')})", ""]
    names = sorted(pts)
    lines += ["| N | " + " | ".join(f"{n} (ms, min–max)" for n in names) + " |", "|---" * (len(names) + 1) + "|"]
    by_n = {n: {name: r for name in names for r in pts[name] if r[0] == n} for n in SIZES}
    for n, row in by_n.items():
        if row:
            lines.append(f"| {n} | " + " | ".join(
                f"{row[x][1]:.3f} ({row[x][2]:.3f}–{row[x][3]:.3f})" if x in row else "" for x in names) + " |")
    for name in names:
        d = {r[0]: r[1] for r in pts[name]}
        if 100 in d and 1000 in d:
            lines.append(f"\n{name}: per container at N=1000 / N=100: {d[1000] / d[100]:.2f}x")
    lines.append("")
    return lines
