"""The mixed precision policy that fits the machine: float16 on a GPU, bfloat16 on a CPU that computes in it."""

import platform
import subprocess

import keras

# CPU flags of bfloat16 arithmetic, as Linux lists them: x86's AVX512-BF16 and AMX-BF16, Arm's BF16.
_BF16_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")


def _gpu_visible():
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return any(device.platform == "gpu" for device in jax.devices())
    if backend == "torch":
        import torch

        return torch.cuda.is_available()
    return False


def cpu_supports_bfloat16(cpuinfo=None):
    """Whether the CPU has bfloat16 arithmetic instructions.

    Reads the flags of `/proc/cpuinfo` on Linux (x86: `avx512_bf16` or
    `amx_bf16`; Arm: `bf16`) and `sysctl hw.optional.arm.FEAT_BF16` on macOS;
    elsewhere says `False`.

    Args:
        cpuinfo: the text of `/proc/cpuinfo` to read instead of the file.

    Example:
    >>> cpu_supports_bfloat16("flags\\t\\t: fpu avx2 avx512f avx512_bf16\\n")
    True
    >>> cpu_supports_bfloat16("flags\\t\\t: fpu avx2 avx512f\\n")
    False
    """
    if cpuinfo is None:
        if platform.system() == "Darwin":
            try:
                answer = subprocess.run(["sysctl", "-n", "hw.optional.arm.FEAT_BF16"], capture_output=True,
                                        text=True, timeout=5).stdout
            except (OSError, subprocess.SubprocessError):
                return False
            return answer.strip() == "1"
        try:
            with open("/proc/cpuinfo") as file:
                cpuinfo = file.read()
        except OSError:
            return False
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features") and any(flag in value.split() for flag in _BF16_FLAGS):
            return True
    return False


def mixed_precision_policy():
    """The Keras mixed precision policy for this machine.

    `"mixed_float16"` when a GPU is visible (its tensor cores compute in
    float16), `"mixed_bfloat16"` on a CPU with bfloat16 instructions
    (`cpu_supports_bfloat16`). Under either, variables stay float32 and
    every stkeras model's output layer `"predictions"` computes in float32,
    so the loss reads float32 probabilities.

    Returns:
        the policy's name, for `keras.mixed_precision.set_global_policy`.

    Raises:
        RuntimeError: no GPU is visible and the CPU has no bfloat16
            instructions: mixed precision would be slower than float32 there.

    Example:
    >>> keras.mixed_precision.set_global_policy(mixed_precision_policy())  # doctest: +SKIP
    """
    if _gpu_visible():
        return "mixed_float16"
    if cpu_supports_bfloat16():
        return "mixed_bfloat16"
    raise RuntimeError("No mixed precision policy fits this machine: no GPU is visible and the CPU has no bfloat16 "
                       f"instructions (none of the CPU flags {', '.join(_BF16_FLAGS)}). Train in float32.")
