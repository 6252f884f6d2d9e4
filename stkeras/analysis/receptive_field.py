"""Spatial and temporal receptive fields of every layer of a clip model.

Conventions (those of Courtney & Sreenivas 2022's Tables 1-4):
- A field is counted in input pixels (SRF, per axis) and input frames (TRF)
  for one output position; `stride` is the jump between neighbouring output
  positions, in input units.
- A convolution or pooling with kernel `k`, dilation `d` and stride `s`
  grows the field by `(k - 1) * d * jump` and multiplies the jump by `s`;
  padding does not change the field.
- A residual block's field is the larger of its two paths.
- Recurrent layers (LSTM, GRU, SimpleRNN, ConvLSTM) see every frame so far:
  their TRF is reported as the number of input frames. A ConvLSTM's SRF
  counts its input convolution; the recurrent convolution, which spreads the
  field further over time, is not counted (as in the paper).
- Global pooling covers every position of its input.
- Layers that change no field (normalization, activations, dropout, dense
  layers applied per position, additions of equal fields) get no row.
- A layer type this module does not know is reported as unknown (its row
  and all later fields are `None`), never guessed.

Every layer's rule comes from the analysis protocol (`stkeras.analysis.rules`):
its own `grow_receptive_field` or `paths`, or the table of Keras' types.
"""

import keras

from stkeras.analysis.rules import MERGES
from stkeras.analysis.rules import Field
from stkeras.analysis.rules import rule_for


def _apply(layer, field):
    """Field after a leaf layer; `None` for a layer that follows no protocol."""
    rule = rule_for(layer)
    return None if rule is None or rule.grow is None else rule.grow(field)


def _row(name, layer_type, field, frames):
    if field is None:
        return {
            "name": name, "type": layer_type, "output_size": None, "srf": None,
            "trf": None, "stride": None, "note": f"unknown layer type {layer_type}",
        }
    t, h, w = field.size
    trf = (frames if frames is not None else "all") if field.all_frames else field.rf[0]
    return {
        "name": name,
        "type": layer_type,
        "output_size": (h, w, t),
        "srf": (field.rf[1], field.rf[2]),
        "trf": trf,
        "stride": (field.jump[1], field.jump[2], field.jump[0]),
    }


def _extent_changed(before, after):
    return before is None or after is None or before != after


def _through(layer, field, in_shape, frames, rows, prefix, include_sublayers):
    """Field after `layer`; composite layers (with `paths()`) are followed
    through their sub-layers, the paths merged by the larger field."""
    if field is None:
        return None
    if not rule_for(layer) or not rule_for(layer).composite:
        return _apply(layer, field)
    merged = None
    for path in layer.paths(in_shape):
        current = field
        for sub, sub_in, _ in path:
            before = current
            current = _through(sub, current, sub_in, frames, rows, f"{prefix}{layer.name}/", include_sublayers)
            if include_sublayers and current is not before and _extent_changed(before, current) and not hasattr(sub, "paths"):
                rows.append(_row(f"{prefix}{layer.name}/{sub.name}", type(sub).__name__, current, frames))
        if current is None:
            return None
        merged = current if merged is None else merged.merge(current)
    return field if merged is None else merged


def _layer_type(layer):
    op = getattr(layer, "op", None)
    return f"{type(layer).__name__}({op})" if isinstance(op, str) else type(layer).__name__


def receptive_field(model, input_shape=None, include_sublayers=False):
    """One row per layer with a spatial or temporal extent, in model order.

    Args:
        model: a functional Keras model over clips `(time, h, w, c)` (or
            images / sequences).
        input_shape: the model input without the batch, to resolve `None`
            dimensions (e.g. a dynamic number of frames); default: the model's.
        include_sublayers: also list the rows of the layers inside residual
            blocks (named `block/layer`).

    Returns:
        list of dicts with `name`, `type`, `output_size` (h, w, t), `srf`
        (h, w) in input pixels, `trf` in input frames, and `stride` (h, w, t)
        = the jump between output positions in input units.

    Example:
    >>> from stkeras import build_conv3d_lstm
    >>> rows = receptive_field(build_conv3d_lstm())
    >>> [(r["name"], r["srf"], r["trf"]) for r in rows][:2]
    [('res1_1', (3, 3), 3), ('res2_1', (7, 7), 5)]

    Reference: Courtney & Sreenivas 2022, Section 2 and Tables 1-4.
    """
    shape = tuple(input_shape) if input_shape is not None else tuple(model.input.shape[1:])
    if len(shape) == 4:
        sizes = shape[:3]
    elif len(shape) == 3:
        sizes = (1,) + shape[:2]  # images: one frame
    elif len(shape) == 2:
        sizes = (shape[0], None, None)  # sequences
    else:
        raise ValueError(
            "`receptive_field` expects clips (time, h, w, c), images (h, w, c) or "
            f"sequences (time, features). Received: input_shape={shape}"
        )
    frames = sizes[0] if len(shape) != 3 else 1
    start = Field.of_sequence(sizes[0]) if len(shape) == 2 else Field.of_clip(sizes)
    fields = {}
    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            fields[id(layer.output)] = start
            continue
        inputs = layer.input if isinstance(layer.input, (list, tuple)) else [layer.input]
        known = [fields.get(id(t)) for t in inputs]
        rule = rule_for(layer)
        if any(f is None for f in known):
            out = None
        elif isinstance(layer, MERGES):
            out = known[0]
            for other in known[1:]:
                out = out.merge(other)
        elif rule is not None and rule.composite:
            sub_rows = []
            out = _through(layer, known[0], tuple(layer.input.shape), frames, sub_rows, "", include_sublayers)
            rows.extend(sub_rows)
            rows.append(_row(layer.name, _layer_type(layer), out, frames))
            fields[id(layer.output)] = out
            continue
        else:
            out = _apply(layer, known[0])
        if out is None and all(f is not None for f in known):
            rows.append(_row(layer.name, type(layer).__name__, None, frames))
        elif out is not None and not isinstance(layer, MERGES) and _extent_changed(known[0], out):
            rows.append(_row(layer.name, type(layer).__name__, out, frames))
        outputs = layer.output if isinstance(layer.output, (list, tuple)) else [layer.output]
        for tensor in outputs:
            fields[id(tensor)] = out
    return rows


def format_receptive_field(rows):
    """A markdown table of `receptive_field` rows, like Courtney & Sreenivas 2022's tables.

    Example:
    >>> print(format_receptive_field([{"name": "res1_1", "type": "ResidualBottleneck(conv2d)",
    ...     "output_size": (32, 32, 48), "srf": (3, 3), "trf": 1, "stride": (2, 2, 1)}]))
    | layer | type | output (h x w x t) | SRF (h x w) | TRF (t) | stride (h, w, t) |
    |---|---|---|---|---|---|
    | res1_1 | ResidualBottleneck(conv2d) | 32x32x48 | 3x3 | 1 | (2, 2, 1) |
    """
    lines = [
        "| layer | type | output (h x w x t) | SRF (h x w) | TRF (t) | stride (h, w, t) |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row["srf"] is None:
            lines.append(f"| {row['name']} | {row['type']} | ? | ? | ? | ? ({row.get('note', 'unknown')}) |")
            continue
        size = "x".join("?" if n is None else str(n) for n in row["output_size"])
        srf = "x".join("?" if n is None else str(n) for n in row["srf"])
        lines.append(
            f"| {row['name']} | {row['type']} | {size} | {srf} | {row['trf']} | {row['stride']} |"
        )
    return "\n".join(lines)
