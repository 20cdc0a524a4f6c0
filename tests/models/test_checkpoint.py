import pytest
import torch

from stylert.errors import BadModelFile, StyleNotFound, UnknownCheckpoint
from stylert.models.checkpoint import CYCLEGAN_RESNET, TRANSFORMER_NET, load_checkpoint
from stylert.models.cyclegan import ResnetGeneratorConfig
from stylert.models.transformer_net import LITE, STANDARD
from tests.checkpoints import cyclegan_state, save, transformer_state, with_legacy_norm_stats

UPSTREAM_TRANSFORMER_KEYS = ["conv1.conv2d.weight", "in1.weight", "in1.bias", "res1.conv1.conv2d.weight",
                             "res5.in2.bias", "deconv1.conv2d.weight", "in5.weight", "deconv3.conv2d.bias"]


def _run(model, h=36, w=44):
    with torch.no_grad():
        return model.module(torch.rand(1, 3, h, w) * 255)


def test_transformer_net_has_upstream_key_layout_and_size():
    state = transformer_state(STANDARD)
    assert all(k in state for k in UPSTREAM_TRANSFORMER_KEYS)
    assert sum(v.numel() for v in state.values()) == 1_679_235  # as pytorch/examples' TransformerNet


@pytest.mark.parametrize("config,variant", [(STANDARD, "standard"), (LITE, "lite")])
@pytest.mark.parametrize("legacy", [False, True])
def test_transformer_checkpoint_loads_and_runs(tmp_path, config, variant, legacy):
    state = transformer_state(config)
    if legacy:
        norms = [f"in{i}" for i in range(1, 6)] + [f"res{b}.in{i}" for b in range(1, 6) for i in (1, 2)]
        state = with_legacy_norm_stats(state, [n for n in norms if f"{n}.weight" in state])
        assert "in1.running_mean" in state
    model = load_checkpoint(save(state, tmp_path / "candy.pth"))
    assert (model.architecture, model.variant, model.style) == (TRANSFORMER_NET, variant, "candy")
    assert _run(model).shape == (1, 3, 36, 44)


@pytest.mark.parametrize("blocks,dropout", [(9, False), (6, False), (9, True)])
@pytest.mark.parametrize("legacy", [False, True])
def test_cyclegan_generator_loads_with_inferred_width_and_blocks(tmp_path, blocks, dropout, legacy):
    state = cyclegan_state(ResnetGeneratorConfig(ngf=64, blocks=blocks, dropout=dropout))
    final = 10 + blocks + 7
    assert f"model.{final}.weight" in state and "model.10.conv_block.1.weight" in state
    assert ("model.10.conv_block.6.weight" in state) == dropout
    if legacy:  # InstanceNorm layers (no affine) saved running stats in old PyTorch versions
        state = with_legacy_norm_stats(state, ["model.2", "model.5", "model.10.conv_block.2"])
    folder = tmp_path / "horse2zebra"
    folder.mkdir()
    model = load_checkpoint(save(state, folder / "latest_net_G.pth"))
    assert model.architecture == CYCLEGAN_RESNET
    assert model.module.config == ResnetGeneratorConfig(ngf=64, blocks=blocks, dropout=dropout)
    assert model.style == "horse2zebra"
    out = _run(model, 32, 32)
    assert out.shape == (1, 3, 32, 32) and out.abs().max() <= 1.0


def test_unknown_architecture_names_what_was_expected(tmp_path):
    path = save({"fc.weight": torch.zeros(2, 2)}, tmp_path / "resnet.pth")
    with pytest.raises(UnknownCheckpoint, match="conv1.conv2d.weight.*model.1.weight"):
        load_checkpoint(path)


def test_wrong_shapes_are_reported(tmp_path):
    state = transformer_state(LITE)
    state["res1.conv1.conv2d.weight"] = torch.zeros(64, 64, 5, 5)
    with pytest.raises(UnknownCheckpoint, match=r"do not fit: res1.conv1.conv2d.weight is 64×64×5×5, not "
                                                r"\d+×\d+×3×3$"):
        load_checkpoint(save(state, tmp_path / "bad.pth"))


def test_missing_and_extra_tensors_are_counted_and_the_first_named_not_listed_in_full(tmp_path):
    """torch's message listed every key (cut at 300 characters, mid-name); a few words say what is wrong."""
    state = transformer_state(LITE)
    del state["deconv3.conv2d.bias"]
    with pytest.raises(UnknownCheckpoint, match=r"do not fit: 1 of the network's \d+ tensors is missing "
                                                r"\(deconv3.conv2d.bias\)$"):
        load_checkpoint(save(state, tmp_path / "missing.pth"))
    state = transformer_state(LITE) | {f"res9.conv{i}.weight": torch.zeros(1) for i in range(4)}
    with pytest.raises(UnknownCheckpoint, match=r"do not fit: it has tensors the network has not \(res9.conv0.weight, "
                                                r"res9.conv1.weight, res9.conv2.weight, ...\)$"):
        load_checkpoint(save(state, tmp_path / "extra.pth"))


def test_truncated_and_missing_files(tmp_path):
    good = save(transformer_state(LITE), tmp_path / "good.pth")
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(good.read_bytes()[:5000])
    with pytest.raises(BadModelFile, match="truncated, corrupt") as err:
        load_checkpoint(truncated)
    assert "weights_only" not in str(err.value)  # torch's advice to unpickle anyway is never passed on
    with pytest.raises(StyleNotFound):
        load_checkpoint(tmp_path / "absent.pth")
    run = tmp_path / "checkpoints" / "horse2zebra"  # CycleGAN's training folder, named instead of its file
    run.mkdir(parents=True)
    save(transformer_state(LITE), run / "latest_net_G_A.pth")
    with pytest.raises(StyleNotFound, match=r"horse2zebra is a folder; name the checkpoint file in it \(it holds "
                                            r"latest_net_G_A.pth\)"):
        load_checkpoint(run)


def test_a_damaged_pickle_header_gives_no_torch_warning_on_the_terminal(tmp_path):
    """A changed protocol byte made torch warn (two lines of its source on the terminal); the weights still load."""
    import warnings

    legacy = tmp_path / "legacy.pth"
    torch.save(transformer_state(LITE), legacy, _use_new_zipfile_serialization=False)
    data = bytearray(legacy.read_bytes())
    assert data[:2] == b"\x80\x02"  # a pickle, protocol 2
    data[1] = 0xF2
    legacy.write_bytes(bytes(data))
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always")
        loaded = load_checkpoint(legacy)
    assert not heard and loaded.architecture == TRANSFORMER_NET


def test_a_pickled_whole_model_is_not_unpickled_and_the_fix_is_named(tmp_path):
    from stylert.models.transformer_net import TransformerNet

    torch.save(TransformerNet(LITE), tmp_path / "whole.pth")
    with pytest.raises(BadModelFile, match=r"whole.pth holds pickled Python objects \(stylert.models.transformer_net"
                                           r".TransformerNet\).*torch.save\(model.state_dict\(\), path\)"):
        load_checkpoint(tmp_path / "whole.pth")


@pytest.mark.parametrize("key", ["model", "generator", "model_state_dict", "netG"])
def test_a_training_scripts_checkpoint_with_the_network_one_level_down(tmp_path, key):
    state = transformer_state(LITE)
    path = save({key: state, "epoch": 7, "optimizer": {"lr": 1e-3}}, tmp_path / "ckpt.pth")
    loaded = load_checkpoint(path)
    assert loaded.architecture == TRANSFORMER_NET
    assert all(torch.equal(loaded.module.state_dict()[k], v) for k, v in state.items())


def test_several_networks_in_one_checkpoint_are_named_not_guessed(tmp_path):
    state = transformer_state(LITE)
    path = save({"G_A": state, "G_B": state, "D_A": {"x": torch.zeros(1)}}, tmp_path / "both.pth")
    with pytest.raises(UnknownCheckpoint, match=r"both.pth holds several networks \(G_A, G_B\).*checkpoint\['G_A'\]"):
        load_checkpoint(path)


@pytest.mark.parametrize("prefix", ["_orig_mod.", "net.", "module._orig_mod.", "lightning.generator."])
@pytest.mark.parametrize("cyclegan", [False, True])
def test_a_network_saved_under_a_wrappers_prefix_loads(tmp_path, prefix, cyclegan):
    """torch.compile's ``_orig_mod.``, a Lightning module's attribute (``.ckpt``, beside its epoch and
    optimiser), DataParallel around a compiled network; a CycleGAN's own keys start with ``model.``."""
    state = cyclegan_state(ResnetGeneratorConfig(ngf=8, blocks=2)) if cyclegan else transformer_state(LITE)
    path = save({"state_dict": {prefix + k: v for k, v in state.items()}, "epoch": 3, "global_step": 60,
                 "optimizer_states": [{"state": {}}]}, tmp_path / "epoch=3-step=60.ckpt")
    loaded = load_checkpoint(path)
    assert loaded.architecture == (CYCLEGAN_RESNET if cyclegan else TRANSFORMER_NET)
    assert all(torch.equal(loaded.module.state_dict()[k], v) for k, v in state.items())


def test_a_lightning_gan_modules_generator_is_found_beside_its_discriminator(tmp_path):
    state = transformer_state(LITE)
    flat = {**{f"generator.{k}": v for k, v in state.items()}, "discriminator.model.0.weight": torch.zeros(8, 3, 4, 4)}
    loaded = load_checkpoint(save({"state_dict": flat}, tmp_path / "gan.ckpt"))
    assert all(torch.equal(loaded.module.state_dict()[k], v) for k, v in state.items())
    both = {**flat, **{f"generator_b.{k}": v for k, v in state.items()}}
    with pytest.raises(UnknownCheckpoint, match=r"several networks \(generator, generator_b\).*"
                                                r"k.startswith\('generator.'\)"):
        load_checkpoint(save({"state_dict": both}, tmp_path / "cyclegan.ckpt"))
    with pytest.raises(UnknownCheckpoint, match="found model.x, model.y"):  # the keys as stored, not stripped
        load_checkpoint(save({"model.x": torch.zeros(1), "model.y": torch.zeros(1)}, tmp_path / "other.pth"))


def test_a_traced_torchscript_archive_loads_its_weights(tmp_path):
    from stylert.models.transformer_net import TransformerNet

    net = TransformerNet(LITE).eval()
    torch.jit.save(torch.jit.trace(net, torch.rand(1, 3, 32, 32)), str(tmp_path / "traced.pt"))
    loaded = load_checkpoint(tmp_path / "traced.pt")
    x = torch.rand(1, 3, 36, 44) * 255
    with torch.no_grad():
        assert torch.equal(loaded.module(x), net(x)) and loaded.style == "traced"


def test_stylert_training_checkpoint_keeps_its_style_name(tmp_path):
    path = save({"stylert": 1, "style": "ink", "state_dict": transformer_state(LITE), "step": 3}, tmp_path / "x.pth")
    assert load_checkpoint(path).style == "ink"


@pytest.mark.parametrize("in_channels,out_channels", [(1, 1), (1, 3), (3, 1)])
def test_a_grey_cyclegan_takes_the_frames_luma_and_gives_rgb(tmp_path, in_channels, out_channels):
    """A CycleGAN trained on grey images (--input_nc 1 / --output_nc 1) was an internal error at export."""
    from stylert.models.convention import LUMA, convention_module

    config = ResnetGeneratorConfig(ngf=8, blocks=1, in_channels=in_channels, out_channels=out_channels)
    loaded = load_checkpoint(save(cyclegan_state(config), tmp_path / "latest_net_G.pth"))
    assert loaded.channels == (in_channels, out_channels)
    wrapped = convention_module(loaded)
    rgb = torch.rand(2, 3, 20, 28) * 255
    luma = (rgb * torch.tensor(LUMA).view(1, 3, 1, 1)).sum(1, keepdim=True)
    with torch.no_grad():
        out = wrapped(rgb)
        native = loaded.module(luma / 127.5 - 1 if in_channels == 1 else rgb / 127.5 - 1) * 127.5 + 127.5
    assert out.shape == (2, 3, 20, 28)
    expected = native.repeat(1, 3, 1, 1) if out_channels == 1 else native
    torch.testing.assert_close(out, expected.clamp(0, 255), atol=2e-3, rtol=0)  # 0..255 scale


def test_a_network_of_other_channel_counts_is_refused_by_name(tmp_path):
    config = ResnetGeneratorConfig(ngf=8, blocks=1, in_channels=4)  # RGBA in
    with pytest.raises(UnknownCheckpoint, match=r"rgba.pth: a network of 4 input and 3 output channels"):
        load_checkpoint(save(cyclegan_state(config), tmp_path / "rgba.pth"))


def test_a_safetensors_file_loads_and_is_named_for_its_folder(tmp_path):
    """Hugging Face's format (a JSON header and raw tensors; nothing unpickled), as a hub download's
    ``<repo>/model.safetensors``, here in float16 as shared models often are."""
    from safetensors.torch import save_file

    state = cyclegan_state(ResnetGeneratorConfig(ngf=8, blocks=2))
    folder = tmp_path / "monet2photo"
    folder.mkdir()
    save_file({k: v.half() for k, v in state.items()}, str(folder / "model.safetensors"))
    loaded = load_checkpoint(folder / "model.safetensors")
    assert (loaded.architecture, loaded.style) == (CYCLEGAN_RESNET, "monet2photo")
    assert all(torch.equal(loaded.module.state_dict()[k], v.half().float()) for k, v in state.items())
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes((folder / "model.safetensors").read_bytes()[:3000])
    with pytest.raises(BadModelFile, match=r"cut.safetensors is not a readable safetensors file \("):
        load_checkpoint(cut)


@pytest.mark.parametrize("levels, batch_norm", [(8, True), (7, True), (7, False)])
def test_a_pix2pix_unet_loads_and_gives_what_its_test_script_gives(tmp_path, levels, batch_norm):
    """``--netG unet_256``/``unet_128`` checkpoints from pytorch-CycleGAN-and-pix2pix, BatchNorm-trained or with
    ``--norm instance``: each image comes out as the published network run by its test script gives it (its
    dropout noise aside), whatever else is in the batch."""
    from stylert.models.checkpoint import PIX2PIX_UNET
    from tests.checkpoints import published_unet

    published = published_unet(levels, ngf=4, batch_norm=batch_norm)
    folder = tmp_path / "facades_label2photo"
    folder.mkdir()
    loaded = load_checkpoint(save(published.state_dict(), folder / "latest_net_G.pth"))
    assert (loaded.architecture, loaded.style, loaded.size_multiple) == (PIX2PIX_UNET, "facades_label2photo",
                                                                         2 ** levels)
    assert loaded.variant == f"unet_{2 ** levels}_ngf4" + ("" if batch_norm else "_instance")
    side = 2 ** levels
    x = torch.rand(2, 3, side, 2 * side) * 2 - 1
    x[1] = x[1] * 0.3 + 0.5  # a second image of other statistics
    with torch.no_grad():
        ours = loaded.module(x)
        theirs = torch.cat([published(x[i:i + 1].clone()) for i in range(2)])
    assert ours.shape == (2, 3, side, 2 * side)
    assert torch.allclose(ours, theirs, atol=2e-5), (ours - theirs).abs().max()


@pytest.mark.parametrize("batch_norm, dropout", [(True, False), (True, True), (False, True)])
def test_a_resnet_generator_trained_with_batchnorm_loads_and_gives_what_its_test_script_gives(tmp_path, batch_norm,
                                                                                              dropout):
    """``--netG resnet_9blocks --norm batch`` (pix2pix's default norm) has convolutions without biases and
    BatchNorm: it was refused ('7 of the network's tensors are missing'); a block's second norm at index 6 was
    also taken for the convolution that follows dropout. Each image now comes out as the published network run
    by its test script gives it (training mode: its own statistics)."""
    from tests.checkpoints import published_resnet

    published = published_resnet(blocks=2, ngf=4, batch_norm=batch_norm, dropout=dropout)
    loaded = load_checkpoint(save(published.state_dict(), tmp_path / "latest_net_G.pth"))
    assert loaded.variant == "ngf4_2blocks" + ("_batchnorm" if batch_norm else "")
    x = torch.rand(2, 3, 32, 48) * 2 - 1
    x[1] = x[1] * 0.3 + 0.5  # a second image of other statistics
    with torch.no_grad():
        ours = loaded.module(x)
        theirs = torch.cat([published(x[i:i + 1].clone()) for i in range(2)])
    assert torch.allclose(ours, theirs, atol=2e-5), (ours - theirs).abs().max()


def _patch_discriminator_state(in_channels: int, ndf: int = 8) -> dict[str, torch.Tensor]:
    """pytorch-CycleGAN-and-pix2pix's NLayerDiscriminator (3 layers, BatchNorm) as its latest_net_D.pth holds it."""
    nn = torch.nn
    layers = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
    for before, after, stride in ((1, 2, 2), (2, 4, 2), (4, 8, 1)):
        layers += [nn.Conv2d(ndf * before, ndf * after, 4, stride, 1, bias=False), nn.BatchNorm2d(ndf * after),
                   nn.LeakyReLU(0.2)]
    layers.append(nn.Conv2d(ndf * 8, 1, 4, 1, 1))
    return {f"model.{key}": value for key, value in nn.Sequential(*layers).state_dict().items()}


def test_a_discriminator_is_named_as_one_with_its_generator_beside_it(tmp_path):
    """A CycleGAN run saves latest_net_D_A.pth beside latest_net_G_A.pth; the discriminator given instead got
    'unknown checkpoint architecture' and a list of keys."""
    save(_patch_discriminator_state(3), tmp_path / "latest_net_D_A.pth")
    save(cyclegan_state(ResnetGeneratorConfig(ngf=4, blocks=1)), tmp_path / "latest_net_G_A.pth")
    with pytest.raises(UnknownCheckpoint, match=r"latest_net_D_A.pth is a PatchGAN discriminator \(CycleGAN's or "
                                                r"pix2pix's latest_net_D\), which judges pictures rather than making "
                                                r"them: export the generator \(latest_net_G_A.pth, beside it\)$"):
        load_checkpoint(tmp_path / "latest_net_D_A.pth")
    with pytest.raises(UnknownCheckpoint, match=r"pix2pix.s latest_net_D\), .*: export the generator$"):
        load_checkpoint(save(_patch_discriminator_state(6), tmp_path / "pix2pix_D.pth"))  # conditional: 6 in


def test_weights_that_are_not_numbers_are_a_damaged_file(tmp_path):
    """A NaN weight made every output NaN, and the int8 calibration fail with an internal error."""
    state = transformer_state(LITE)
    state["res2.conv1.conv2d.weight"][0, 0, 0, 0] = float("nan")
    with pytest.raises(BadModelFile, match=r"bad.pth: its weights are not all numbers \(NaN or infinity in "
                                           r"res2.conv1.conv2d.weight\): the file is damaged"):
        load_checkpoint(save(state, tmp_path / "bad.pth"))
