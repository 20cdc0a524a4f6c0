import re

import pytest

from stylert.errors import StylertError
from stylert.train.config import TrainConfig
from stylert.train.memory_fit import check_fits, step_bytes


@pytest.mark.parametrize("model,features,adversarial", [("lite", "random", False), ("standard", "vgg19", True)])
def test_a_step_that_does_not_fit_is_refused_naming_sizes_that_do(model, features, adversarial):
    config = TrainConfig(content="c", output="o.pth", model=model, features=features, adversarial=adversarial,
                         image_size=512, batch_size=8)
    need = step_bytes(config)
    check_fits(config, need)  # exactly enough
    with pytest.raises(StylertError) as refused:
        check_fits(config, need // 3)
    message = str(refused.value)
    assert message.startswith("a training step at --image-size 512 and --batch-size 8 needs about ")
    side, batch = map(int, re.search(r"--image-size (\d+) or --batch-size (\d+) fits$", message).groups())
    assert side % 16 == 0
    assert step_bytes(config, image_size=side) <= need // 3 < step_bytes(config, image_size=side + 16)
    assert step_bytes(config, batch_size=batch) <= need // 3 < step_bytes(config, batch_size=batch + 1)


def test_the_heavier_networks_need_more_and_gpu_runs_are_not_checked_against_host_memory():
    lite = TrainConfig(content="c", output="o.pth", image_size=256, batch_size=4)
    heavy = TrainConfig(content="c", output="o.pth", image_size=256, batch_size=4, model="standard",
                        features="vgg16", adversarial=True)
    assert step_bytes(lite) < step_bytes(heavy) < step_bytes(heavy, image_size=512)
    with pytest.raises(StylertError, match=r"free some memory first$"):
        check_fits(lite, 2**20)  # not even a 16 px crop at batch 1
    check_fits(TrainConfig(content="c", output="o.pth", image_size=100_000, device="cuda"), 2**20)
