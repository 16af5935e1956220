"""The default training recipe's numbers, shared by ``train()`` and ``bittern train`` (no torch
import, so the CLI's parser stays instant). Why these values: ``train.param_groups`` and
docs/config.md ("Training"), with the measurements behind them."""

__all__ = ["BATCH", "LR", "WEIGHT_LR"]

BATCH = 100        # images per Adam step
LR = 0.01          # peak rate of batch-norm, the score temperature and float weights
WEIGHT_LR = 0.1    # peak rate of the latent weights of quantized blocks (clipped to [-1, 1])
