"""Figure 5 of Miao et al. 2021: full-size accuracy after every stage of iterative two-stage learning."""


def plot_itsl_stages(runs, path, metric="accuracy"):
    """Writes a PNG with one line per model over ITSL's stages, each point labelled with its gain.

    The gain is relative to the model after the first stage-t, as in the
    paper's Figure 5.

    Args:
        runs: `{model name: stages}`, stages as returned by
            `stkeras.training.itsl_fit` with `validation_data`.
        path: where to write the PNG.
        metric: the validation metric to plot.

    Returns:
        `path`.

    Example:
    >>> stages = [{"iteration": 1, "stage": "t", "validation": {"accuracy": 0.5}},
    ...           {"iteration": 1, "stage": "s", "validation": {"accuracy": 0.6}}]
    >>> plot_itsl_stages({"stdcf": stages}, "/tmp/itsl.png")
    '/tmp/itsl.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5.5, 3.4))
    labels = []
    for name, stages in runs.items():
        scored = [s for s in stages if "validation" in s and metric in s["validation"]]
        if not scored:
            raise ValueError(f"The stages of {name!r} have no validation {metric!r}: run itsl_fit with "
                             "validation_data.")
        values = [s["validation"][metric] for s in scored]
        labels = [f"iter {s['iteration']}\nstage-{s['stage']}" for s in scored]
        axis.plot(range(len(values)), values, marker="o", label=name)
        for x, value in enumerate(values[1:], start=1):
            axis.annotate(f"{value - values[0]:+.2f}", (x, value), textcoords="offset points", xytext=(0, 5),
                          ha="center", fontsize=7)
    axis.set_xticks(range(len(labels)), labels, fontsize=7)
    axis.set_ylabel(f"full-size {metric}")
    axis.set_title(f"{metric} after every ITSL stage (labels: change since iter 1 stage-t)", fontsize=9)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
