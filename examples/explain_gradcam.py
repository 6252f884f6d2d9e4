"""Train a Conv3D network briefly, then ask where it looks: Grad-CAM maps, GIFs and localization scores.

    python examples/explain_gradcam.py [--out runs/explain_example --epochs 3 --train-clips 1024]
"""

import argparse
import os


from stkeras.data import evidence_masks
from stkeras.experiments import synthetic_data
from stkeras.experiments import train_model
from stkeras.experiments.run_models import build_run_model
from stkeras.explain import gradcam
from stkeras.explain import localization_score
from stkeras.viz.overlay import plot_overlay_strip
from stkeras.viz.overlay import write_gif


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/explain_example")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-clips", type=int, default=1024)
    parser.add_argument("--clips", type=int, default=8, help="held-out clips to explain")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    data = synthetic_data(task="digit", recipe="blink16_12k", epochs=args.epochs, train_clips=args.train_clips)
    folder = os.path.join(args.out, "training")
    model = build_run_model("conv3d", data, seed=data.seed, folder=folder).model
    train_model(model, data, seed=data.seed, folder=folder, label="conv3d")

    clips, targets, info = data.sample(args.clips, data.seed)
    masks = evidence_masks(info, data.settings["frame_size"], data.settings["digit_size"])
    for layer, weighting in (("res4_4", "global"), ("res2_1", "global"), ("res2_1", "per_frame")):
        maps = gradcam(model, clips, layer=layer, weighting=weighting)
        score = localization_score(maps, masks)
        print(f"Grad-CAM at {layer} ({weighting}): {score['score']:.3f} of the mass on the quadrant "
              f"(chance {score['chance']:.3f}), {score['frames_score']:.3f} on visible frames "
              f"(chance {score['frames_chance']:.3f})")
    plot_overlay_strip(clips, maps, os.path.join(args.out, "res2_1.png"), titles=[str(t) for t in targets])
    write_gif(clips[0], maps[0], os.path.join(args.out, "clip_0.gif"))
    print(f"wrote {args.out}/res2_1.png and clip_0.gif")


if __name__ == "__main__":
    main()
