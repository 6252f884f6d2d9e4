"""Köpüklü et al.'s Table 3 (parameters and FLOPs of the spatiotemporal heads) beside stkeras' heads.

Köpüklü et al. count every head alone (no 2D CNN) for Jester: 8 segments,
`D = 256` features, 27 classes; ConvLSTM and 3D-FCN on 7x7 (BNInception) and
13x13 (SqueezeNet) feature maps. TSN's head reads 27 class scores per
segment and has no weights.

Parameters: PyTorch counts `parameters()` (batch norm's scale and shift, not
its running statistics) and has two bias vectors per gate in `nn.RNN` and
`nn.LSTM` where Keras has one. `pytorch_parameters` adds those biases to
Keras' trainable weights, which gives the paper's numbers exactly.

FLOPs: stkeras counts multiply-accumulates (`stkeras.analysis.count_flops`,
the forward pass in inference). The paper's MFLOPs (from the thop counter)
are not one convention: about 2 x MACs for the MLP, TRN and LSTM/GRU/B-LSTM
heads, 1 x MACs for ConvLSTM and 3D-FCN, about 0.5 x MACs for 2D-FCN, and 3 x
MACs for the vanilla RNNs (whose 3.16 equals GRU's MACs). The table prints
the ratio per head.
"""

import keras
import numpy as np

from stkeras.analysis.counts import count_flops
from stkeras.heads import build_head
from stkeras.heads import FRAME_HEADS
from stkeras.heads import get_head

# head -> (the paper's name, parameters in millions, MFLOPs at 7x7[, MFLOPs at 13x13])
TABLE_3 = {
    "mlp": ("Simple-MLP", 1.06, (2.13,)),
    "tsn": ("TSN", 0.00, (0.001,)),
    "trn_multiscale": ("TRN-multiscale", 2.34, (11.95,)),
    "rnn_tanh": ("RNN_tanh", 0.14, (3.16,)),
    "rnn_relu": ("RNN_ReLU", 0.14, (3.16,)),
    "lstm": ("LSTM", 0.53, (8.42,)),
    "gru": ("GRU", 0.40, (6.32,)),
    "blstm": ("B-LSTM", 0.40, (6.33,)),
    "convlstm": ("ConvLSTM", 4.73, (1849.70, 6379.54)),
    "fcn2d": ("2D-FCN", 0.56, (39.07,)),
    "fcn3d": ("3D-FCN", 1.56, (152.07, 524.49)),
}
SPATIAL_SIZES = (7, 13)


def _second_biases(layer):
    """Biases PyTorch's version of a Keras recurrent layer has and Keras' has not."""
    if isinstance(layer, keras.layers.Bidirectional):
        return _second_biases(layer.forward_layer) + _second_biases(layer.backward_layer)
    if isinstance(layer, keras.layers.LSTM):
        return 4 * layer.units
    if isinstance(layer, keras.layers.SimpleRNN):
        return layer.units
    if isinstance(layer, keras.layers.GRU) and not layer.reset_after:
        return 3 * layer.units
    return 0


def pytorch_parameters(model):
    """Parameters as PyTorch counts them: trainable weights plus recurrent layers' second bias vectors.

    Example:
    >>> pytorch_parameters(build_head("lstm", num_segments=8, feature_dim=256, num_classes=27))
    533275
    """
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    return trainable + sum(_second_biases(layer) for layer in model.layers)


def head_costs(heads=FRAME_HEADS, *, num_segments=8, feature_dim=256, num_classes=27, spatial_sizes=SPATIAL_SIZES):
    """Parameters and multiply-accumulates of each head alone, with Table 3's numbers.

    Args:
        heads: registered heads.
        num_segments, feature_dim, num_classes: the features (Table 3: 8,
            256, 27).
        spatial_sizes: feature-map sizes for heads that read maps (7, 13).

    Returns:
        a list of dicts: `head`, `paper_name`, `keras_parameters` (all
        weights), `trainable`, `pytorch_parameters`, `paper_parameters`
        (millions), `macs` (one per spatial size for map heads, else one),
        `paper_mflops`.
    """
    rows = []
    for head in heads:
        spec = get_head(head)
        dim = num_classes if spec.reads_class_scores else feature_dim
        sizes = spatial_sizes if spec.input == "clips" else (None,)
        models = [build_head(head, num_segments=num_segments, feature_dim=dim, num_classes=num_classes,
                             spatial_size=size) for size in sizes]
        model = models[0]
        paper_name, paper_parameters, paper_mflops = TABLE_3.get(head, (None, None, ()))
        rows.append({
            "head": head,
            "paper_name": paper_name,
            "keras_parameters": model.count_params(),
            "trainable": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
            "pytorch_parameters": pytorch_parameters(model),
            "paper_parameters": paper_parameters,
            "macs": [count_flops(m) for m in models],
            "paper_mflops": list(paper_mflops),
        })
        keras.backend.clear_session()
    return rows


def format_head_costs(rows):
    """Table 3 and stkeras' counts as a markdown table."""
    lines = [
        "| head | paper | params (Keras, all) | params (PyTorch convention) | paper params | MMACs (stkeras) "
        "| paper MFLOPs | paper / stkeras |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        macs = " / ".join(f"{m / 1e6:.2f}" for m in row["macs"])
        paper = " / ".join(f"{f:g}" for f in row["paper_mflops"]) or "-"
        ratio = " / ".join(f"{f / (m / 1e6):.2f}" if m else "-" for f, m in zip(row["paper_mflops"], row["macs"]))
        same = "" if row["paper_parameters"] is None else (
            " ✓" if round(row["pytorch_parameters"] / 1e6, 2) == row["paper_parameters"] else " ✗")
        paper_params = "-" if row["paper_parameters"] is None else f"{row['paper_parameters']:.2f}M{same}"
        lines.append(
            f"| `{row['head']}` | {row['paper_name'] or '-'} | {row['keras_parameters']:,} | "
            f"{row['pytorch_parameters']:,} | {paper_params} | {macs} | {paper} | {ratio or '-'} |"
        )
    return "\n".join(lines)
