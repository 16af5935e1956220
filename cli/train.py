"""``bittern train``: train a reference network and save a checkpoint."""

import json
from pathlib import Path

from bittern.model import recipe
from bittern.model.zoo import NETWORKS, network_config
from bittern.cli.options import UsageError, input_file, int_in, output_file, positive_float, positive_int

FAMILIES = {"binary": "mlp", "sparse": "sparse", "wrpn": "wrpn", "gxnor": "gxnor",
            "cnn": "cnn", "float": "float"}



def register(sub):
    p = sub.add_parser("train", help="train a quantized network (CPU, seeded)",
                       description="Train a reference network on local data and save a "
                                   "checkpoint (.pt) for `bittern export`.")
    p.add_argument("--family", choices=sorted(FAMILIES), default=None,
                   help="network family (binary=mlp, sparse=3PXNet, wrpn, gxnor, cnn=eBNN-style, "
                        "float=full-precision baseline)")
    p.add_argument("--net", choices=sorted(NETWORKS), default=None,
                   help="reference network by name (overrides --family)")
    p.add_argument("--config", type=input_file,
                   help="JSON network configuration file (overrides --net; schema in docs/config.md)")
    p.add_argument("--width", type=positive_float, default=1.0,
                   help="width multiplier for hidden layers (WRPN)")
    p.add_argument("--data", default="mnist5k", help="mnist5k (default), digits, idx:DIR or npz:FILE")
    p.add_argument("--epochs", type=positive_int, default=30)
    p.add_argument("--batch", type=positive_int, default=recipe.BATCH,
                   help=f"images per batch (default {recipe.BATCH})")
    p.add_argument("--lr", type=positive_float, default=recipe.LR,
                   help=f"peak learning rate of batch-norm, temperature and float weights "
                        f"(default {recipe.LR})")
    p.add_argument("--weight-lr", type=positive_float, default=recipe.WEIGHT_LR,
                   help=f"peak learning rate of the latent weights of quantized layers, clipped "
                        f"to [-1, 1] (default {recipe.WEIGHT_LR})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--augment", type=int_in(0), default=1,
                   help="random shifts of up to this many pixels while training (default 1; "
                        "0 turns augmentation off)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("-o", "--out", type=output_file, default="model.pt",
                   help="checkpoint path (default model.pt)")
    p.set_defaults(func=run)


def config_from_args(args, shape):
    if args.config:
        try:
            cfg = json.loads(Path(args.config).read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise UsageError(f"{args.config}: not a JSON file ({e})") from None
        if not isinstance(cfg, dict):
            raise UsageError(f"{args.config}: a network configuration is a JSON object, "
                             f"not {type(cfg).__name__}")
        cfg.setdefault("input", {})["shape"] = list(shape)
        return cfg
    name = args.net or FAMILIES[args.family or "binary"]
    return network_config(name, width=args.width,
                          input_shape=None if tuple(shape) == (28, 28, 1) else shape)


def run(args):
    # torch loads here, not when the parser is built: --help and argument errors stay instant
    from bittern.bench.common import git_commit
    from bittern.model.data import load_dataset
    from bittern.model.train import float_accuracy, save_checkpoint, train
    ds = load_dataset(args.data)
    cfg = config_from_args(args, ds.shape)
    print(f"training {cfg.get('name', 'custom')} on {ds.name}: {len(ds.train_x)} train / "
          f"{len(ds.test_x)} held-out images, {args.epochs} epochs, seed {args.seed}")
    result = train(cfg, ds, epochs=args.epochs, batch=args.batch, lr=args.lr,
                   weight_lr=args.weight_lr, seed=args.seed,
                   progress=not args.quiet, augment=args.augment)
    acc = float_accuracy(result.net, ds.test_x, ds.test_y)
    meta = {"data": args.data, "seed": args.seed, "epochs": args.epochs, "lr": args.lr,
            "weight_lr": args.weight_lr, "augment": args.augment,
            "train_seconds": round(result.seconds, 2), "float_test_accuracy": acc,
            "commit": git_commit(), "history": result.history}
    replaced = " (replaced the previous file)" if Path(args.out).exists() else ""
    save_checkpoint(args.out, result.net, meta=meta)
    print(f"trained in {result.seconds:.1f} s: train acc {result.history[-1]['train_acc']:.4f}, "
          f"held-out float acc {acc:.4f} -> {args.out}{replaced}")
    return 0
