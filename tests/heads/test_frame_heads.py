"""Köpüklü et al.'s heads: alone and in frame models; Table 3's parameters; TRN's subsets."""

import itertools

import keras
import numpy as np
import pytest

from stkeras.experiments.head_costs import TABLE_3
from stkeras.experiments.head_costs import head_costs
from stkeras.heads import FRAME_HEADS
from stkeras.heads import build_head
from stkeras.layers import TemporalRelation
from stkeras.models import build_frame_cnn
from stkeras.models import build_frame_model
from stkeras.models import from_preset
from tests.layer_checks import check_layer
from tests.layer_checks import check_model

CLIP = (3, 4, 16, 16, 1)
SMALL = dict(num_segments=4, feature_dim=16, input_shape=(16, 16, 1), backbone_options={"widths": (8, 16)})


@pytest.mark.parametrize("head", FRAME_HEADS)
def test_every_head_trains_saves_and_loads_in_a_frame_model(head, tmp_path):
    model = build_frame_model(head=head, num_classes=5, **SMALL)
    assert model.output_shape == (None, 5) and model.input_shape == (None, *CLIP[1:])
    features = model.get_layer("projection").output.shape
    assert features == ((None, 4, 4, 4, 16) if head in ("convlstm", "fcn3d") else (None, 4, 5 if head == "tsn" else 16))
    x = np.random.default_rng(0).uniform(size=CLIP).astype("float32")
    check_model(model, x, tmp_path)
    # Inference is deterministic, TRN-multiscale included.
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


def test_table_3_parameters_at_the_papers_rounding():
    rows = {row["head"]: row for row in head_costs()}
    for head, (_, paper_parameters, paper_mflops) in TABLE_3.items():
        assert round(rows[head]["pytorch_parameters"] / 1e6, 2) == paper_parameters, head
    # Keras' LSTM and SimpleRNN have one bias vector where PyTorch has two; GRU has both.
    assert rows["lstm"]["pytorch_parameters"] - rows["lstm"]["trainable"] == 4 * 256
    assert rows["blstm"]["pytorch_parameters"] - rows["blstm"]["trainable"] == 2 * 4 * 128
    assert rows["gru"]["pytorch_parameters"] == rows["gru"]["trainable"]
    # ConvLSTM's and 3D-FCN's MACs are the paper's MFLOPs at both map sizes.
    for head in ("convlstm", "fcn3d"):
        np.testing.assert_allclose(np.array(rows[head]["macs"]) / 1e6, TABLE_3[head][2], rtol=1e-4)


def test_head_alone_from_segments_and_its_refusals():
    assert build_head("gru", num_segments=8, feature_dim=32, num_classes=4).input_shape == (None, 8, 32)
    assert build_head("fcn3d", num_segments=8, feature_dim=32, num_classes=4, spatial_size=(5, 6)).input_shape == \
        (None, 8, 5, 6, 32)
    with pytest.raises(ValueError, match="'tsn' reads one class score per segment.*feature_dim=256, num_classes=27"):
        build_head("tsn", num_segments=8, feature_dim=256, num_classes=27)
    with pytest.raises(ValueError, match="'convlstm' reads feature maps: give their `spatial_size`"):
        build_head("convlstm", num_segments=8, feature_dim=256, num_classes=27)
    with pytest.raises(ValueError, match="'mlp' reads feature vectors; `spatial_size` is only"):
        build_head("mlp", num_segments=8, feature_dim=256, num_classes=27, spatial_size=7)
    with pytest.raises(ValueError, match="either as `input_shape` and `task`.*not both"):
        build_head("mlp", input_shape=(8, 4), task="digit", num_segments=8)
    with pytest.raises(ValueError, match="`units` of a B-LSTM head .* must be even. Received: units=7"):
        build_head("blstm", num_segments=4, feature_dim=8, num_classes=3, units=7)


def test_frame_model_refuses_bad_arguments():
    with pytest.raises(ValueError, match="Unknown `backbone`: 'resnet'"):
        build_frame_model(backbone="resnet", num_classes=3)
    with pytest.raises(ValueError, match="Give `num_classes` or `task`, not both"):
        build_frame_model(num_classes=3, task="digit")
    with pytest.raises(ValueError, match="has 6 frames but num_segments=8"):
        build_frame_model(num_classes=3, num_segments=8, input_shape=(6, 32, 32, 1))
    with pytest.raises(ValueError, match="too small for 3 stride-2 stages"):
        build_frame_model(num_classes=3, input_shape=(4, 4, 1))


def test_keras_applications_backbone_and_a_weights_file(tmp_path):
    mobile = build_frame_model(backbone="MobileNetV2", head="gru", num_segments=2, num_classes=3,
                               input_shape=(32, 32, 3), backbone_options={"alpha": 0.35})
    assert mobile.get_layer("frame_backbone").layer.name.startswith("mobilenetv2")
    assert mobile.predict(np.zeros((1, 2, 32, 32, 3), "float32"), verbose=0).shape == (1, 3)
    cnn = build_frame_cnn(input_shape=(16, 16, 1), widths=(8, 16))
    path = str(tmp_path / "cnn.weights.h5")
    cnn.save_weights(path)
    model = build_frame_model(head="lstm", backbone_weights=path, num_classes=3, **SMALL)
    # A preset takes them the same way: `weights` would be the whole model's.
    preset = from_preset("frames_lstm", backbone_weights=path, num_classes=3, input_shape=(2, 16, 16, 1),
                         backbone_options={"widths": (8, 16)})
    for built in (model, preset):
        loaded = built.get_layer("frame_backbone").layer
        for a, b in zip(cnn.weights, loaded.weights):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_temporal_relation_layer_checks(tmp_path):
    check_layer(TemporalRelation, {"units": 3, "bottleneck": 8, "seed": 1}, (2, 5, 4), (2, 3), tmp_path)


def test_temporal_relation_matches_a_numpy_reference_and_draws_subsets_in_training():
    layer = TemporalRelation(3, bottleneck=6, relations_per_scale=2, seed=0)
    x = np.random.default_rng(1).normal(size=(2, 4, 5)).astype("float32")
    y = keras.ops.convert_to_numpy(layer(x))

    relu = lambda a: np.maximum(a, 0)  # noqa: E731
    expected = 0
    for scale, fusion, classifier in layer.relations:
        subsets = list(itertools.combinations(range(4), scale))
        chosen = [subsets[i] for i in np.round(np.linspace(0, len(subsets) - 1, min(2, len(subsets)))).astype(int)]
        for subset in chosen:
            h = relu(relu(x[:, list(subset)]).reshape(2, -1) @ fusion.kernel.numpy() + fusion.bias.numpy())
            expected = expected + h @ classifier.kernel.numpy() + classifier.bias.numpy()
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    draws = {tuple(np.round(keras.ops.convert_to_numpy(layer(x, training=True))[0], 4)) for _ in range(8)}
    assert len(draws) > 1  # a new draw of the smaller scales' subsets per call
    with pytest.raises(ValueError, match="`scales` must be distinct ints >= 2. Received: scales=\\[1, 2\\]"):
        TemporalRelation(3, scales=[1, 2])
