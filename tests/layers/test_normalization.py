"""The `normalization` argument: one check, one factory, the same weights for "batch" and "sync_batch"."""

import keras
import numpy as np
import pytest

import stkeras
from stkeras.blocks import ResidualBasic
from stkeras.blocks import ResidualBottleneck
from stkeras.layers import FusedBatchNormalization
from stkeras.layers.normalization import normalization_layer

CLIP = (4, 16, 16, 1)


@pytest.mark.tensorflow_only("Keras refuses synchronized=True outside TensorFlow")
def test_factory():
    batch, sync = normalization_layer("batch", name="a"), normalization_layer("sync_batch", name="b", momentum=0.5)
    assert isinstance(batch, FusedBatchNormalization) and batch.synchronized is None and batch.momentum == 0.9
    assert sync.synchronized is True and sync.momentum == 0.5 and sync.name == "b"
    assert normalization_layer(None, name="c") is None


@pytest.mark.parametrize("build", [
    lambda n: ResidualBasic(8, normalization=n),
    lambda n: ResidualBottleneck(8, 4, normalization=n),
    lambda n: stkeras.build_convlstm_resnet(input_shape=CLIP, num_classes=3, normalization=n),
    lambda n: stkeras.build_res_convlstm(stages=[(1, 1, 4, 8)], input_shape=CLIP, num_classes=3, normalization=n),
    lambda n: stkeras.build_vggm_convlstm(input_shape=(4, 48, 48, 1), filters=(4, 4, 4, 4, 4), lstm_units=4,
                                          num_classes=3, normalization=n),
])
def test_builders_check_normalization_in_one_place(build):
    with pytest.raises(ValueError, match=r"Unknown `normalization`: 'group'. Allowed values: 'batch', 'sync_batch', None."):
        build("group")


@pytest.mark.tensorflow_only("Keras refuses synchronized=True outside TensorFlow")
def test_every_builder_accepts_sync_batch():
    vggm = stkeras.build_vggm_convlstm(input_shape=(4, 48, 48, 1), filters=(4, 4, 4, 4, 4), lstm_units=4,
                                       num_classes=3, normalization="sync_batch")
    assert vggm.get_layer("conv1_bn").synchronized is True
    res = stkeras.build_res_convlstm(stages=[(1, 1, 4, 8)], input_shape=CLIP, num_classes=3, normalization="sync_batch")
    assert res.get_layer("res1_1").norm_op.synchronized is True
    courtney = stkeras.build_convlstm_resnet(input_shape=CLIP, num_classes=3, normalization="sync_batch")
    assert courtney.get_layer("res4_4").norm_expand.synchronized is True
    assert ResidualBasic(8, normalization="sync_batch").norm1.synchronized is True


@pytest.mark.tensorflow_only("Keras refuses synchronized=True outside TensorFlow")
def test_sync_batch_model_saves_and_loads_the_weights_of_batch(tmp_path):
    clips = np.random.default_rng(0).uniform(size=(2, *CLIP)).astype("float32")
    models = {n: stkeras.build_conv3d_lstm(input_shape=CLIP, num_classes=3, normalization=n)
              for n in ("batch", "sync_batch")}
    block = models["sync_batch"].get_layer("res1_1")
    assert block.get_config()["normalization"] == "sync_batch" and block.norm_reduce.synchronized is True
    assert models["batch"].get_layer("res1_1").norm_reduce.synchronized is None
    models["sync_batch"].save(tmp_path / "sync.keras")
    loaded = keras.saving.load_model(tmp_path / "sync.keras", safe_mode=True)
    assert loaded.get_layer("res1_1").norm_reduce.synchronized is True
    expected = models["sync_batch"].predict(clips, verbose=0)
    np.testing.assert_allclose(loaded.predict(clips, verbose=0), expected, rtol=1e-6, atol=1e-7)
    models["sync_batch"].save_weights(tmp_path / "sync.weights.h5")
    models["batch"].load_weights(tmp_path / "sync.weights.h5")  # the same weight paths
    np.testing.assert_allclose(models["batch"].predict(clips, verbose=0), expected, rtol=1e-6, atol=1e-7)
