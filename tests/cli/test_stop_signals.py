import signal

import pytest

from stylert.cli import stop_signals


@pytest.fixture
def handlers():
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def test_a_stop_is_raised_as_ctrl_c_once_and_gives_the_shells_exit_code(handlers):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    stop_signals.install()
    assert stop_signals.how() == "interrupted" and stop_signals.exit_code() == 130
    with pytest.raises(KeyboardInterrupt):  # every `except KeyboardInterrupt` clean-up runs for it
        signal.raise_signal(signal.SIGTERM)
    signal.raise_signal(signal.SIGHUP)  # a second stop does not break into the first one's clean-up
    assert stop_signals.how() == "stopped by SIGTERM" and stop_signals.exit_code() == 143


def test_a_signal_set_to_be_ignored_stays_ignored(handlers):
    """Under `nohup` SIGHUP is ignored on purpose: closing the terminal must not stop the run."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    stop_signals.install()
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
