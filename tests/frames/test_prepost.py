import numpy as np
import pytest

from stylert.frames.prepost import LUMA, batch_to_frames, frames_to_batch, reflect_indices


def test_reflect_indices_match_numpy_reflect_and_fold_for_long_pads():
    for size in (1, 2, 3, 5, 8):
        for pad in range(0, 3 * size + 2):
            got = np.arange(size)[reflect_indices(size, size + pad)]
            if size > 1 and pad < size:
                assert np.array_equal(got, np.pad(np.arange(size), (0, pad), mode="reflect"))
            assert got.min() >= 0 and got.max() < size


def test_pre_pads_to_multiple_converts_bgr_to_rgb_nchw(rng):
    frame = rng.integers(0, 256, (21, 27, 3), dtype=np.uint8)
    batch = frames_to_batch([frame, frame], 4)
    assert batch.shape == (2, 3, 24, 28) and batch.dtype == np.float32
    assert np.array_equal(batch[0, 0, :21, :27], frame[..., 2])  # R from the BGR frame's last channel
    assert np.array_equal(batch[1, 2, 21, :27], frame[19, :, 0])  # row 21 reflects row 19


def test_small_frames_are_padded_to_the_minimum_side(rng):
    """Below MIN_SIDE the networks' own reflect pads would be undefined; the frame is folded out to it."""
    from stylert.frames.prepost import MIN_SIDE

    frame = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    batch = frames_to_batch([frame, frame], 4)
    assert batch.shape == (2, 3, MIN_SIDE, MIN_SIDE) and batch.dtype == np.float32
    assert np.array_equal(batch[0, 0, :5, :7], frame[..., 2])
    assert np.array_equal(batch[1, 2, 5, :7], frame[3, :, 0])  # row 5 reflects row 3
    one = frames_to_batch([frame[:1, :1]], 4)
    assert np.all(one[0, 0] == frame[0, 0, 2])  # a 1x1 frame repeats its one pixel


def test_post_round_trip_is_exact(rng):
    frames = [rng.integers(0, 256, (9, 11, 3), dtype=np.uint8) for _ in range(3)]
    back = batch_to_frames(frames_to_batch(frames, 4), frames)
    assert all(np.array_equal(a, b) for a, b in zip(frames, back))


def test_post_rounds_half_to_even_and_clamps():
    orig = [np.zeros((1, 4, 3), np.uint8)]
    batch = np.array([-3.0, 0.5, 1.5, 300.0], np.float32).reshape(1, 1, 1, 4).repeat(3, axis=1)
    assert batch_to_frames(batch, orig)[0][0, :, 0].tolist() == [0, 0, 2, 255]


def test_strength_zero_returns_original_and_half_blends(rng):
    orig = [rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)]
    styl = np.full((1, 3, 4, 4), 200.0, np.float32)
    assert np.array_equal(batch_to_frames(styl, orig, strength=0.0)[0], orig[0])
    half = batch_to_frames(styl, orig, strength=0.5)[0].astype(float)
    assert np.abs(half - (orig[0] + 200.0) / 2).max() <= 0.5


def test_preserve_color_keeps_chroma_and_takes_stylised_luma(rng):
    orig = [rng.integers(60, 190, (6, 6, 3), dtype=np.uint8)]
    styl = rng.uniform(60, 190, (1, 3, 6, 6)).astype(np.float32)
    out = batch_to_frames(styl, orig, preserve_color=True)[0][..., ::-1].astype(np.float32)
    o = orig[0][..., ::-1].astype(np.float32)
    assert np.abs(out @ LUMA - styl[0].transpose(1, 2, 0) @ LUMA).max() <= 1.0
    chroma = lambda rgb: rgb - (rgb @ LUMA)[..., None]  # noqa: E731
    assert np.abs(chroma(out) - chroma(o)).max() <= 1.0


@pytest.mark.parametrize("shape", [(1, 1, 3), (2, 3, 3), (13, 1, 3)])
def test_tiny_frames_survive(shape, rng):
    frame = rng.integers(0, 256, shape, dtype=np.uint8)
    batch = frames_to_batch([frame], 4)
    assert batch.shape[2] % 4 == 0 and batch.shape[3] % 4 == 0
    assert np.array_equal(batch_to_frames(batch, [frame])[0], frame)


def test_an_output_that_is_not_a_number_is_a_bad_model_not_a_picture_of_noise():
    """A damaged model's NaN became 0 in the cast (with a NumPy warning on the terminal) and was written."""
    from stylert.errors import BadModelFile

    frame = np.zeros((4, 6, 3), np.uint8)
    batch = np.full((1, 3, 4, 6), 100.0, np.float32)
    batch[0, 1, 2, 3] = np.inf  # saturation is clipped, as any value past 255
    assert batch_to_frames(batch, [frame])[0][2, 3, 1] == 255
    batch[0, 2, 0, 0] = np.nan
    with pytest.raises(BadModelFile, match=r"the network's output is not a number \(NaN\) in places"):
        batch_to_frames(batch, [frame])
