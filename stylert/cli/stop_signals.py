"""A stop asked for from outside (SIGTERM: ``kill``, ``timeout``, a SLURM or Kubernetes job ending; SIGHUP: the
terminal or SSH session closed) taken as Ctrl-C is: the work stops where it is, temporary outputs are removed,
training saves its checkpoint and a recording is finished, instead of the process dying with all of them lost."""
from __future__ import annotations

import signal
from types import FrameType

_received: list[int] = []


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread where Ctrl-C raises KeyboardInterrupt, so every clean-up
    written for Ctrl-C runs for it too."""


def _stop(signum: int, frame: FrameType | None) -> None:
    if _received:  # a second stop while the first is cleaning up waits for that clean-up
        return
    _received.append(signum)
    raise Stopped(signal.Signals(signum).name)


def install() -> None:
    """Take SIGTERM and SIGHUP as a stop, except where they were set to be ignored (``nohup`` ignores SIGHUP)."""
    _received.clear()
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, _stop)


def exit_code() -> int:
    """The shell's code for how the run was stopped: 128 + the signal's number (130 Ctrl-C, 143 SIGTERM)."""
    return 128 + (_received[0] if _received else int(signal.SIGINT))


def how() -> str:
    """'interrupted' for Ctrl-C, else 'stopped by SIGTERM' (or SIGHUP)."""
    return f"stopped by {signal.Signals(_received[0]).name}" if _received else "interrupted"
