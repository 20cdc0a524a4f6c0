import numpy as np
import pytest
import torch

from stylert.errors import NoInputs, StylertError
from stylert.frames.images import write_image
from stylert.train.config import TrainConfig
from stylert.train.trainer import Trainer, TrainingDiverged


def _config(data, **kw):
    base = dict(content=str(data / "content"), output=str(data / "out.pth"), style_image=str(data / "style.png"),
                steps=8, batch_size=2, image_size=32, sample_every=0, checkpoint_every=0, seed=3)
    return TrainConfig(**(base | kw))


def test_a_few_steps_lower_the_total_loss(tiny_data):
    trainer = Trainer(_config(tiny_data))
    totals = [trainer.train_step()["total"] for _ in range(24)]
    assert np.isfinite(totals).all()
    assert np.mean(totals[-4:]) < 0.8 * np.mean(totals[:4])


def test_resume_continues_with_the_same_state(tiny_data):
    straight = Trainer(_config(tiny_data, steps=6))
    straight.run()
    first = Trainer(_config(tiny_data, steps=3, output=str(tiny_data / "half.pth")))
    first.run()
    resumed = Trainer(_config(tiny_data, steps=6, output=str(tiny_data / "resumed.pth")))
    resumed.resume(tiny_data / "half.pth")
    assert resumed.step == 3
    assert resumed.g_opt.state_dict()["state"][0]["step"] == first.g_opt.state_dict()["state"][0]["step"]
    assert resumed.history.steps == [1, 2, 3]
    resumed.run()
    for a, b in zip(straight.generator.state_dict().values(), resumed.generator.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    assert resumed.history.steps == list(range(1, 7))  # the curves go on from the resumed step
    np.testing.assert_allclose(resumed.history.values(), straight.history.values(), rtol=1e-4)
    assert (tiny_data / "resumed_losses.csv").read_text() == resumed.history.csv_text()


def test_a_resumed_run_takes_its_own_learning_rate(tiny_data):
    Trainer(_config(tiny_data, steps=2)).run()
    resumed = Trainer(_config(tiny_data, steps=4, lr=1e-5, beta1=0.8, output=str(tiny_data / "finer.pth")))
    resumed.resume(tiny_data / "out.pth")
    assert resumed.g_opt.param_groups[0]["lr"] == 1e-5 and resumed.g_opt.param_groups[0]["betas"] == (0.8, 0.999)
    with pytest.raises(StylertError, match="trains a lite generator; resume it with --model lite"):
        Trainer(_config(tiny_data, steps=4, model="standard")).resume(tiny_data / "out.pth")


@pytest.mark.parametrize("adversarial", [False, True])
def test_a_diverging_run_stops_before_a_step_poisons_the_weights(tiny_data, adversarial):
    trainer = Trainer(_config(tiny_data, lr=1e9, adversarial=adversarial))
    with pytest.raises(TrainingDiverged, match=r"training diverged at step \d+: the (generator|discriminator)'s "
                                               r"(loss|gradient norm) .*lower --lr \(it is 1e\+09\)"):
        trainer.run()
    assert 1 <= trainer.step < 8 and trainer.saved_at is None
    assert not (tiny_data / "out.pth").exists()
    assert trainer.history.steps == list(range(1, trainer.step + 1))  # the steps before, for the chart
    assert np.isfinite(trainer.history.values()).all()
    for p in [*trainer.generator.parameters(), *(trainer.discriminator.parameters() if adversarial else ())]:
        assert torch.isfinite(p).all()


@pytest.mark.parametrize("paired", [False, True])
def test_blank_frames_among_the_content_are_passed_over_not_taken_for_a_divergence(tiny_data, paired):
    """A crop of one flat colour (a fade to black among a film's frames) met InstanceNorm at its 1/sqrt(eps) gain in
    every layer: the standard generator's gradients went past float32 and training stopped at its first step,
    telling the user to lower --lr."""
    for i in range(6):
        for folder in ("content", "targets"):
            write_image(tiny_data / folder / f"fade{i}.png", np.zeros((96, 120, 3), np.uint8))
    targets = {"paired_targets": str(tiny_data / "targets")} if paired else {}
    trainer = Trainer(_config(tiny_data, model="standard", steps=4, **targets))
    trainer.run()
    assert trainer.step == 4 and np.isfinite(trainer.history.values()).all()
    for photo in (tiny_data / "content").glob("c*.png"):
        photo.unlink()
    with pytest.raises(NoInputs, match=r": 100 crops in a row were each one flat colour \(blank frames\?\), which a "
                                       r"network cannot learn from; give images with something in them$"):
        Trainer(_config(tiny_data, steps=2, **targets)).run()


def test_a_step_that_runs_out_of_gpu_memory_says_so_and_keeps_the_last_checkpoint(tiny_data, monkeypatch):
    """torch's OutOfMemoryError (the GPU's memory is not foreseen by the host memory check) was an internal error;
    the last checkpoint stays as it was and the losses up to the step are written."""
    from stylert.train.trainer import TrainingStopped

    trainer = Trainer(_config(tiny_data, steps=4, checkpoint_every=2))
    step = trainer.train_step

    def until_the_third(self=trainer):
        if self.step == 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return step()

    monkeypatch.setattr(trainer, "train_step", until_the_third)
    with pytest.raises(TrainingStopped, match=r"^out of GPU memory at step 3, training at --image-size 32 and "
                                              r"--batch-size 2; use a smaller --image-size or --batch-size$"):
        trainer.run()
    assert trainer.saved_at == 2 and torch.load(tiny_data / "out.pth", weights_only=False)["step"] == 2
    assert trainer.history.steps == [1, 2]


def test_a_checkpoint_that_meets_a_full_disk_says_so(tiny_data, monkeypatch):
    """torch.save straight to a full disk raised an internal RuntimeError; the checkpoint is now written as plain
    bytes, so the error is the disk's own, naming the checkpoint."""
    import errno
    from pathlib import Path

    trainer = Trainer(_config(tiny_data, steps=1))

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(OSError) as err:
        trainer.save()
    assert (err.value.errno, err.value.filename) == (errno.ENOSPC, str(tiny_data / "out.pth"))
    assert not (tiny_data / "out.pth").exists() and trainer.saved_at is None


def test_one_adversarial_step_updates_generator_and_discriminator(tiny_data):
    trainer = Trainer(_config(tiny_data, adversarial=True))
    assert trainer.config.learning_rate == 2e-4 and trainer.config.adam_beta1 == 0.5
    g0 = [p.detach().clone() for p in trainer.generator.parameters()]
    d0 = [p.detach().clone() for p in trainer.discriminator.parameters()]
    terms = trainer.train_step()
    assert {"d", "adv", "mse", "total"} <= terms.keys() and all(np.isfinite(v) for v in terms.values())
    assert any(not torch.equal(a, b) for a, b in zip(g0, trainer.generator.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d0, trainer.discriminator.parameters()))


def test_paired_adversarial_mode_uses_a_conditional_discriminator(tiny_data):
    trainer = Trainer(_config(tiny_data, style_image=None, paired_targets=str(tiny_data / "targets"),
                              adversarial=True))
    assert trainer.discriminator.model[0].in_channels == 6
    terms = trainer.train_step()
    assert terms["mse"] > 0 and np.isfinite(terms["d"])


def test_a_run_is_named_by_what_it_learns_from():
    def mode(**kw):
        return TrainConfig(content="c", output="o.pth", **kw).mode

    assert mode(style_image="s.png") == "perceptual" and mode(style_image="s", adversarial=True) == "adversarial"
    assert mode(paired_targets="t") == "paired" and mode(paired_targets="t", adversarial=True) == "paired adversarial"
    assert mode(paired_targets="t", style_image="s.png") == "paired perceptual"


def test_checkpoint_exports_without_extra_flags(tiny_data):
    from stylert.export.onnx_export import export_onnx
    from stylert.models.checkpoint import load_checkpoint

    trainer = Trainer(_config(tiny_data, steps=2, style_name="stripes"))
    trainer.run()
    model = load_checkpoint(tiny_data / "out.pth")
    assert (model.style, model.variant) == ("stripes", "lite")
    assert export_onnx(model, tiny_data / "out.onnx").path.is_file()


def test_samples_are_written(tiny_data):
    trainer = Trainer(_config(tiny_data, steps=2, sample_every=2))
    trainer.run()
    assert (tiny_data / "out_samples" / "step_000002.jpg").is_file()


def test_vgg_weights_load_from_a_local_torchvision_file(tiny_data):
    from stylert.train.features import VGG_PLANS, VGGFeatures, _vgg_stack

    stack = _vgg_stack(VGG_PLANS["vgg16"])
    path = tiny_data / "vgg16.pth"
    torch.save({f"features.{k}": v for k, v in stack.state_dict().items()} | {"classifier.0.weight": torch.zeros(1)},
               path)
    feats = VGGFeatures("vgg16", path)(torch.rand(1, 3, 32, 32) * 255)
    assert feats["relu2_2"].shape == (1, 128, 16, 16)


def test_weights_of_another_vgg_or_shape_say_which_in_a_few_words():
    """Loading reported torch's whole list of missing and unexpected keys, cut at 200 characters; now the other
    VGG is named with its flag, or the first tensor of another shape, or how many are missing."""
    from stylert.train.features import VGG_PLANS, _mismatch, _vgg_stack

    vgg16, vgg19 = (_vgg_stack(VGG_PLANS[arch]).state_dict() for arch in ("vgg16", "vgg19"))
    assert _mismatch("vgg16", vgg16) is None
    assert _mismatch("vgg16", vgg19) == "they are vgg19's; use --features vgg19"
    assert _mismatch("vgg19", vgg16) == "they are vgg16's; use --features vgg16"
    assert _mismatch("vgg16", vgg16 | {"0.weight": torch.zeros(64, 1, 3, 3)}) == \
        "features.0.weight is 64×1×3×3, not 64×3×3×3"
    assert _mismatch("vgg16", {"0.weight": vgg16["0.weight"]}) == \
        "25 of the network's 26 tensors are missing (features.0.bias, features.2.weight, features.2.bias, ...)"
    assert _mismatch("vgg16", vgg16 | {"40.weight": torch.zeros(1)}) == \
        "it has tensors the network has not (features.40.weight)"


def test_missing_style_and_content(tiny_data):
    with pytest.raises(StylertError, match="--style-image"):
        Trainer(_config(tiny_data, style_image=None))
    (tiny_data / "empty").mkdir()
    with pytest.raises(StylertError, match="content: no image files"):
        Trainer(_config(tiny_data, content=str(tiny_data / "empty")))


def test_image_banks_set_unreadable_files_aside(tiny_data, rng):
    from stylert.errors import NoInputs
    from stylert.train.data import ImageBank, PairBank

    content = sorted((tiny_data / "content").glob("*.png"))
    bad = tiny_data / "bad.png"
    bad.write_bytes(b"not a png")
    bank = ImageBank([bad, *content], "content", 16)  # the first readable file is found at once
    assert bank.files == content and [p for p, _ in bank.unreadable] == [bad]
    lazy = ImageBank([content[0], bad, content[1]], "content", 16)
    assert lazy.files == [content[0], bad, content[1]]  # checked when drawn
    for _ in range(20):
        assert lazy.sample(2, rng).shape == (2, 3, 16, 16)
    assert lazy.files == [content[0], content[1]] and [p for p, _ in lazy.unreadable] == [bad]
    strict = ImageBank([content[0], bad], "style image", 16, check_all=True)
    assert strict.files == [content[0]] and len(strict.unreadable) == 1
    with pytest.raises(NoInputs, match=r"style image: no readable image \(1 unreadable\): .*bad.png is text, not "
                                       r"an image"):
        ImageBank([bad], "style image", 16, check_all=True)
    (tiny_data / "targets" / "bad.png").write_bytes(b"not a png")
    pairs = PairBank([content[0], bad], [tiny_data / "targets" / content[0].name, tiny_data / "targets" / "bad.png"],
                     16)
    for _ in range(10):
        x, y = pairs.sample(1, rng)
        assert x.shape == y.shape == (1, 3, 16, 16)
    assert [p for p, _ in pairs.unreadable] == [bad]


def test_photos_are_kept_only_as_large_as_the_crops_use(tmp_path, rng):
    """512 decoded 12-megapixel photos were kept whole (18 GB) for crops of 256 px: a content folder of phone
    photos could exhaust memory hours into a run. Each is now kept with its short side at 1.5 x the crop size,
    the most a crop zooms out to, so the crops see the same field of view."""
    import cv2

    from stylert.train.data import ImageBank, _read

    cv2.imwrite(str(tmp_path / "wide.png"), rng.integers(0, 256, (400, 600, 3), dtype=np.uint8))
    cv2.imwrite(str(tmp_path / "small.png"), rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))
    assert _read(tmp_path / "wide.png", 16)[0].shape == (24, 36, 3)  # short side 1.5 x 16
    assert _read(tmp_path / "wide.png", 256)[0].shape == (384, 576, 3)
    assert _read(tmp_path / "small.png", 16)[0].shape == (20, 30, 3)  # smaller already: as decoded
    bank = ImageBank([tmp_path / "wide.png", tmp_path / "small.png"], "content", 16)
    assert bank.sample(6, rng).shape == (6, 3, 16, 16)


def test_an_image_read_despite_damage_is_used_and_noted_once(tiny_data, rng):
    import cv2

    from stylert.train.data import ImageBank
    from tests.media import cut_jpeg

    damaged = tiny_data / "damaged.jpg"
    damaged.write_bytes(cut_jpeg(cv2.imread(str(tiny_data / "content" / "c0.png"))))
    bank = ImageBank([damaged], "content", 16)
    for _ in range(5):
        assert bank.sample(1, rng).shape == (1, 3, 16, 16)
    assert [(p, notice.split(":")[0]) for p, notice in bank.damaged] == [(damaged, "Corrupt JPEG data")]
    assert bank.files == [damaged] and not bank.unreadable
