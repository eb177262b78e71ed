"""Output of the command line: tables, JSON, progress, warnings, exit codes."""
from __future__ import annotations

import json
import sys

TYPE_CHECKING = False       # typing is not imported at run time (start-up)
if TYPE_CHECKING:
    from typing import Any, Sequence



EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_PIPE = 0, 1, 2, 130, 141


# -- output helpers ------------------------------------------------------------------------------
def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> None:
    cells = [[str(c) if c is not None else "-" for c in r] for r in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def _json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


class Progress:
    """``label  120/500 [#####.....]`` on a terminal's stderr; silent elsewhere."""

    def __init__(self, label: str, stream: Any = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.live or total <= 1:
            return
        width = 30
        fill = width * done // total
        self.stream.write(f"\r{self.label} {done}/{total} [{'#' * fill}{'.' * (width - fill)}]")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _log_to_stderr() -> None:
    """The library's warnings (e.g. stale network records dropped) as ``pynetlink: ...`` on
    stderr. Called by the commands that use ``pynetlink.networks`` (the library's one
    logger), not at start-up: ``logging`` costs a command line that does not log ~5 ms."""
    import logging
    logger = logging.getLogger("pynetlink")
    if any(getattr(h, "pynetlink_cli", False) for h in logger.handlers):
        return

    class Stderr(logging.Handler):
        pynetlink_cli = True

        def emit(self, record: logging.LogRecord) -> None:
            print(f"pynetlink: {record.getMessage()}", file=sys.stderr)
    logger.addHandler(Stderr(logging.WARNING))
