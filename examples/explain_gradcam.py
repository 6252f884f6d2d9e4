"""Train a Conv3D network briefly, then ask where it looks: Grad-CAM maps, GIFs and localization scores.

    python examples/explain_gradcam.py [--out runs/explain_example --epochs 3 --train-clips 1024]
"""

import argparse
import os


from stkeras.data import evidence_masks
from stkeras.experiments import build_model
from stkeras.experiments import resolve_settings
from stkeras.experiments import seed_everything
from stkeras.experiments import train_model
from stkeras.experiments.explain import explanation_clips
from stkeras.explain import gradcam
from stkeras.explain import localization_score
from stkeras.tasks import get_task
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

    task = get_task("digit")
    settings = resolve_settings("quick", epochs=args.epochs, train_clips=args.train_clips)
    seed_everything(settings["seed"])
    model = build_model("conv3d", settings, task)
    train_model(model, settings, task, os.path.join(args.out, "training"), "conv3d")

    clips, targets, info = explanation_clips(settings, task, args.clips)
    masks = evidence_masks(info, settings["size"], settings["digit_size"])
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
