"""Worker processes end with the process that started them, even when it is killed with SIGKILL.

Parse workers are forked by multiprocessing's forkserver, not by claimbot, so a parent-death signal would
watch the wrong process; and every worker holds the forkserver's and the resource tracker's pipes open, so
while one lives those two live too. A worker therefore watches claimbot itself and exits when it is gone;
the forkserver and the resource tracker then see their pipes close and exit in turn.
"""

from __future__ import annotations

import os
import select
import threading
import time


def exit_with(pid: int) -> None:
    """Pool initializer: end this process when ``pid`` ends (a pidfd where Linux has one, else polling)."""
    threading.Thread(target=_watch, args=(pid,), name=f"exit-with-{pid}", daemon=True).start()


def _watch(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(0)  # already gone
    except (AttributeError, OSError):  # no pidfd (not Linux, or older than 5.3)
        while _alive(pid):
            time.sleep(1.0)
        os._exit(0)
    select.select([fd], [], [])  # readable once the process has ended
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
