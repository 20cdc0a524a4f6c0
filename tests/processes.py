"""Child processes the tests stop as a user at a terminal would."""
import signal


def _sigint_as_at_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# Popen's keywords for a child that Ctrl-C (SIGINT) must reach. A suite started in the background (make test &)
# hands its children SIGINT ignored, as a shell does for its background jobs, and Python keeps it ignored (as it
# should under nohup), so the test's SIGINT did nothing and the child ran to its end.
INTERRUPTIBLE = {"preexec_fn": _sigint_as_at_a_terminal}
