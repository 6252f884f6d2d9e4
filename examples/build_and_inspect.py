"""Build Courtney & Sreenivas 2022's four networks and print their blocks and parameters.

    python examples/build_and_inspect.py [--width base|xl] [--frames 48] [--frame-size 64]
"""

import argparse

import stkeras

BUILDERS = {
    "Conv2D+LSTM": stkeras.build_conv2d_lstm,
    "Conv3D+LSTM": stkeras.build_conv3d_lstm,
    "TS-Conv3D+LSTM": stkeras.build_ts_conv3d_lstm,
    "ConvLSTM": stkeras.build_convlstm_resnet,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", default="base", choices=("base", "xl"))
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--frame-size", type=int, default=64)
    args = parser.parse_args(argv)
    shape = (args.frames, args.frame_size, args.frame_size, 1)
    for label, build in BUILDERS.items():
        model = build(width=args.width, input_shape=shape)
        print(f"\n{label} ({args.width}): {model.count_params():,} parameters")
        print("| block | op | output (t, h, w, c) |")
        print("|---|---|---|")
        for layer in model.layers:
            if layer.name.startswith("res"):
                t, h, w, c = layer.output.shape[1:]
                print(f"| {layer.name} | {layer.op} | {t}x{h}x{w}x{c} |")


if __name__ == "__main__":
    main()
