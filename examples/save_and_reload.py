"""Save a model to `.keras` and load it back with `safe_mode=True`, and to a preset folder that `from_preset`
rebuilds it from: same outputs.

    python examples/save_and_reload.py [--path runs/model.keras]
"""

import argparse
import os

import keras
import numpy as np

import stkeras


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="runs/model.keras")
    parser.add_argument("--frames", type=int, default=8)
    args = parser.parse_args(argv)
    os.makedirs(os.path.dirname(args.path) or ".", exist_ok=True)

    model = stkeras.build_res_convlstm(
        stages=[stkeras.ResConvLSTM(2, 1, 8, 16), stkeras.ResConvLSTM(2, 16, 16, 32)],
        input_shape=(args.frames, 32, 32, 1), num_classes=5, per_frame=True,
        op_options={"state_reset_period": 4},
    )
    clips = np.random.default_rng(0).uniform(size=(2, args.frames, 32, 32, 1)).astype("float32")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(clips, np.zeros((2, args.frames)), epochs=1, verbose=0)
    model.save(args.path)

    loaded = keras.saving.load_model(args.path, safe_mode=True)
    difference = np.abs(loaded.predict(clips, verbose=0) - model.predict(clips, verbose=0)).max()
    print(f"saved {args.path}; reloaded with safe_mode=True; largest output difference {difference:.1e}")
    folder = os.path.splitext(args.path)[0]
    stkeras.save_preset(model, folder)  # config.json (builder, arguments, task), the weights, the preprocessing
    rebuilt = stkeras.from_preset(folder)
    rebuilt_difference = np.abs(rebuilt.predict(clips, verbose=0) - model.predict(clips, verbose=0)).max()
    print(f"saved the preset folder {folder}; rebuilt with from_preset; largest output difference "
          f"{rebuilt_difference:.1e}")
    if difference > 0 or rebuilt_difference > 0:
        raise SystemExit("outputs differ after reloading")


if __name__ == "__main__":
    main()
