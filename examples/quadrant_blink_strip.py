"""Draw a few quadrant-blink clips as a frame strip PNG (the picture on the Data guide, docs/guide/data.md).

    python examples/quadrant_blink_strip.py [--out docs/results/quadrant_blink.png]
"""

import argparse

import numpy as np

from stkeras.data import quadrant_blink
from stkeras.viz import plot_frame_strip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/results/quadrant_blink.png")
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--frames", type=int, default=16)
    args = parser.parse_args(argv)
    ds = quadrant_blink(split="test", seed=1, num_clips=args.clips, frames=48, task="all",
                        with_info=True, batch_size=args.clips, speeds=[1, 2, 3], visible_every=[1, 2])
    clips, targets, info = next(iter(ds))
    titles = [
        f"digit {d}, S={s}, V={v}"
        for d, s, v in zip(targets["digit"].numpy(), info["speed"].numpy(), info["visible_every"].numpy())
    ]
    plot_frame_strip(np.asarray(clips), args.out, titles=titles, frames=range(args.frames))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
