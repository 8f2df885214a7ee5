"""Whether a device runs bf16 autocast natively: the one place that decides `train.precision: auto`.

bf16 autocast is fast on GPUs with bf16 support and on CPUs with AVX512-BF16 or AMX. On other CPUs
(AVX2 only, as on the 2-core development machines) PyTorch emulates it: a 512 x 2048 x 2048 matmul
measured 146x slower than in fp32 there, which turned a 10-second reward-model step into 100 seconds.
"""

from __future__ import annotations

from typing import Literal

import torch

Precision = Literal["auto", "bf16", "fp32"]


def bf16_is_native(device: str | torch.device) -> bool:
    """True where bf16 matmuls run in hardware on `device`."""
    kind = torch.device(device).type
    if kind == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if kind == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def use_bf16(precision: Precision, device: str | torch.device) -> bool:
    """Autocast to bf16 on `device`? "auto" does where the hardware runs it natively."""
    if precision == "auto":
        return bf16_is_native(device)
    return precision == "bf16"
