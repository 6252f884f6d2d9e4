"""Reporting of a compare run: the terminal lines and `results.md`."""


def log(message):
    """One progress line on the terminal, flushed at once."""
    print(message, flush=True)


def _metric_columns(results):
    """The score columns of the results table: the task's metrics, primary first."""
    baseline = results["baseline"]
    return [k for k in baseline if k != "predictor"]


def format_results(results):
    """The markdown report of a compare run."""
    task, settings, baseline = results["task"], results["settings"], results["baseline"]
    quick = results["preset"] == "quick"
    lines = [
        f"# stkeras compare: {task} task, preset {results['preset']}",
        "",
        "## Clips",
        "",
        f"- {settings['train_clips']} training clips (train digit pool), {settings['test_clips']} test clips "
        f"(disjoint test digit pool), seed {settings['seed']}",
        f"- {settings['frames']} frames of {settings['size']}x{settings['size']}, digits {settings['digit_size']}x"
        f"{settings['digit_size']}, S in {settings['speeds']}, V in {settings['visible_every']}, S*V <= {settings['max_step']}",
    ]
    if quick:
        lines.append(
            "- scaled down from seed 000 (48 frames of 64x64, 28x28 digits, S 1-6, V 1-12, S*V <= 49): "
            "frames /3, space and digits /2, speeds /2, V up to 4 so that each clip shows every quadrant"
        )
    lines += [
        f"- {settings['epochs']} epochs, batch {settings['batch_size']}, Adam {settings['learning_rate']}, "
        f"{settings['model_size']} models",
        "",
        "## Results (test clips)",
        "",
    ]
    columns = _metric_columns(results)
    titles = {"accuracy": "accuracy", "mae": "MAE", "rounded_accuracy": "rounded accuracy"}
    header = ["model"] + [titles.get(c, c) for c in columns] + ["parameters", "MACs per clip", "training (s)"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.append(f"| baseline ({baseline['predictor']}) | " + " | ".join(f"{baseline[c]:.3f}" for c in columns)
                 + " | - | - | - |")
    for name, r in results["models"].items():
        lines.append(f"| {name} | " + " | ".join(f"{r[c]:.3f}" for c in columns)
                     + f" | {r['parameters']:,} | {r['macs_per_clip'] / 1e6:.1f}M | {r['training_seconds']:.0f} |")
    lines += ["", "## Plots", ""]
    for name in results["models"]:
        lines.append(f"- `grid_{name}.png`: {name} over (V, S); `rf_{name}.md`: receptive fields")
    for pair, rel in results["relative"].items():
        lines.append(f"- `{rel['plot']}`: {pair.replace('_vs_', ' vs ')}, overall {100 * rel['overall']:+.1f}%")
    lines.append("- `training_curves.png`: loss and metric per epoch")
    return "\n".join(lines) + "\n"
