"""A model's layers by named stage, for fine-tuning: frozen stages and layer-wise learning-rate decay.

Every stkeras backbone names its stage outputs (`VideoModel.stage_names`,
in order). The layers of stage `k` are those its output depends on that no
earlier stage's output depends on (the first stage also holds the stem, the
layers before it); the layers no stage output depends on are the head. This
reads the functional graph (`keras.Model(inputs, stage output).layers`), so
it holds for every family, a user's registered ones too.

- `freeze_named_stages(model, k)`: the first `k` stages (with the stem) are not
  trainable; their batch normalizations use their moving statistics
  (MMAction2's `frozen_stages` for `k >= 1`).
- `stage_rate_multipliers(model, decay)`: the learning rate of each
  variable of stage `k` of `n` is multiplied by `decay ** (n + 1 - k)`, the
  head's by 1 (BEiT's layer-wise decay over stages, as PySlowFast's
  `SOLVER.LAYER_DECAY` over blocks).

Example:
>>> from stkeras.models import build_courtney_backbone
>>> model = build_courtney_backbone(op="conv3d", input_shape=(8, 32, 32, 1)).with_head("pool", num_classes=3)
>>> [(stage, len(layers)) for stage, layers in stage_layers(model)][-2:]
[('res4_4', 4), ('head', 1)]
>>> sorted(set(stage_rate_multipliers(model, 0.5).values()))
[0.0625, 0.125, 0.25, 0.5, 1.0]
"""

import keras

HEAD = "head"


def stage_layers(model):
    """`[(stage name, [layers with weights])]` in order, the head last.

    Raises:
        ValueError: the model names no stages.
    """
    names = tuple(getattr(model, "stage_names", ()) or ())
    if not names:
        raise ValueError(f"Model {model.name!r} names no stages: frozen stages and layer-wise rates need a model of "
                         "a family whose backbone names its stages (stkeras.models.VideoModel.stage_names).")
    seen, groups = set(), []
    for name in names:
        below = keras.Model(model.inputs, model.get_layer(name).output).layers
        layers = [layer for layer in below if id(layer) not in seen and layer.weights]
        seen.update(id(layer) for layer in below)
        groups.append((name, layers))
    groups.append((HEAD, [layer for layer in model.layers if id(layer) not in seen and layer.weights]))
    return groups


def check_frozen_stages(model, frozen_stages):
    """Returns `frozen_stages` if the model has that many named stages (0 to all), else raises `ValueError`."""
    count = len(stage_layers(model)) - 1
    if isinstance(frozen_stages, bool) or not isinstance(frozen_stages, int) or not 0 <= frozen_stages <= count:
        raise ValueError(f"`frozen_stages` must be an int from 0 (nothing frozen) through {count} (the stages of "
                         f"{model.name!r}: {', '.join(getattr(model, 'stage_names', ()))}). "
                         f"Received: frozen_stages={frozen_stages!r}")
    return frozen_stages


def freeze_named_stages(model, frozen_stages):
    """Makes the first `frozen_stages` named stages (with the stem) untrainable; returns the names of their layers.

    Example:
    >>> from stkeras.models import build_courtney_backbone
    >>> model = build_courtney_backbone(op="conv3d", input_shape=(8, 32, 32, 1)).with_head("pool", num_classes=3)
    >>> freeze_named_stages(model, 1)[-1], model.get_layer("res2_1").trainable
    ('res1_1', True)
    """
    check_frozen_stages(model, frozen_stages)
    frozen = []
    for _, layers in stage_layers(model)[:frozen_stages]:
        for layer in layers:
            layer.trainable = False
            frozen.append(layer.name)
    return frozen


def stage_rate_multipliers(model, decay):
    """`{variable path: learning-rate multiplier}` of the model's trainable variables (`decay ** stages to the head`).

    Args:
        model: a model whose backbone names its stages.
        decay: a number in (0, 1].

    Raises:
        ValueError: `decay` out of range, no named stages, or two variables
            of different stages with the same path.
    """
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 < decay <= 1:
        raise ValueError(f"`layer_decay` must be a number in (0, 1]. Received: layer_decay={decay!r}")
    groups = stage_layers(model)
    multipliers = {}
    for index, (_, layers) in enumerate(groups):
        rate = float(decay) ** (len(groups) - 1 - index)
        for layer in layers:
            for variable in layer.trainable_weights:
                if multipliers.setdefault(variable.path, rate) != rate:
                    raise ValueError(f"Two variables of model {model.name!r} share the path {variable.path!r} in "
                                     "different stages: their learning rates cannot be told apart.")
    return multipliers
