import math

import numpy as np
import pytest

from stylert.train.loss_history import LossHistory, report_paths, smoothed, write_report


def _history(steps=10):
    history = LossHistory()
    for step in range(1, steps + 1):
        history.add(step, {"style": 10.0 / step, "total": 11.0 / step})
    return history


def test_a_term_a_step_lacks_is_nan_and_a_new_term_gets_a_column():
    history = _history(2)
    history.add(3, {"style": 1.0, "d": 0.5})  # a resumed run that added the discriminator and dropped "total"
    assert history.names == ["style", "total", "d"]
    values = history.values()
    assert values.shape == (3, 3)
    assert math.isnan(values[0, 2]) and math.isnan(values[2, 1]) and values[2, 2] == 0.5
    rows = history.csv_text().splitlines()
    assert rows[0] == "step,style,total,d" and rows[1] == "1,10,11," and rows[3] == "3,1,,0.5"


def test_the_checkpoint_state_round_trips_up_to_the_checkpoints_step():
    history = _history(10)
    back = LossHistory.from_state(history.state(), up_to=6)
    assert back.steps == [1, 2, 3, 4, 5, 6] and back.names == history.names
    np.testing.assert_allclose(back.values(), history.values()[:6], rtol=1e-6)
    back.add(7, {"style": 1.0, "total": 2.0})
    assert back.steps[-1] == 7 and len(back) == 7
    assert len(LossHistory.from_state(None, up_to=6)) == 0  # a checkpoint from before histories were kept


def test_the_trend_is_a_running_mean_that_skips_missing_values():
    values = np.array([1.0, 3.0] * 100)
    trend = smoothed(values)
    assert np.allclose(trend[10:-10], 2.0)  # the alternating noise averaged out
    holes = values.copy()  # 200 steps: windows of 4
    holes[50:52] = np.nan
    assert np.isfinite(smoothed(holes)).all()  # a gap narrower than the window is bridged
    holes[100:110] = np.nan
    assert np.isnan(smoothed(holes)[103:107]).all() and np.isfinite(smoothed(holes)[:100]).all()
    np.testing.assert_array_equal(smoothed(np.array([5.0, np.nan])), [5.0, np.nan])  # a window of one
    ramp = np.arange(150.0)  # windows of 3: at the ends they hold only the steps that exist
    np.testing.assert_allclose(smoothed(ramp)[[0, 1, 75, 149]], [0.5, 1.0, 75.0, 148.5])


def test_the_report_is_written_beside_the_checkpoint(tmp_path):
    pytest.importorskip("matplotlib")
    history = _history(30)
    history.add(31, {"style": float("nan"), "total": 1.0})  # a non-finite value does not stop the chart
    written = write_report(history, tmp_path / "run" / "mosaic.pth", "mosaic")
    assert written == list(report_paths(tmp_path / "run" / "mosaic.pth"))
    assert [p.name for p in written] == ["mosaic_losses.csv", "mosaic_losses.png"]
    assert written[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(written[0].read_text().splitlines()) == 32
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["mosaic_losses.csv", "mosaic_losses.png"]
