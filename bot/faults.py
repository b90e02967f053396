"""Named fault points for crash tests: ``CLAIMBOT_FAULT=name:N`` kills the process (SIGKILL) at the Nth hit.

Read when a point is reached, never at import; unset (the normal case) it costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_hits: Counter[str] = Counter()


def fault_point(name: str) -> None:
    spec = os.environ.get("CLAIMBOT_FAULT")
    if not spec:
        return
    target, _, count = spec.partition(":")
    if target != name:
        return
    _hits[name] += 1
    if _hits[name] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
