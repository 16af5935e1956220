"""bittern: binary and ternary networks from PyTorch to an FPGA accelerator and a Cortex-M C
runtime, bit-exact against one golden integer model.

The small public API::

    import bittern
    m = bittern.load("mlp.bittern")              # a .bittern file
    m = bittern.import_onnx("model.onnx")        # a QONNX graph (Brevitas export_qonnx, FINN)
    m = bittern.export(module, example_input)    # your nn.Module built from bittern's layers
    print(m.summary())                           # per layer: encodings, params, MACs, bytes, ...
    labels, scores = m.predict(images, target="golden")   # "host", "qemu[:cpu]", "array", "accel"
    m.save("m.bittern"); m.export_onnx("m.onnx")

``images`` are uint8 ``[N, H, W, C]`` (or ``[N, features]``); every target returns numpy arrays
``labels`` (int64 ``[N]``) and ``scores`` (int64 ``[N, classes]``), identical across targets.
"""

__all__ = ["__version__", "Model", "load", "import_onnx", "export", "TARGETS"]


def _version():
    from importlib import metadata
    try:
        return metadata.version("bittern")
    except metadata.PackageNotFoundError:     # a source tree that is not installed
        import tomllib
        from pathlib import Path
        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        try:
            return tomllib.loads(pyproject.read_text())["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0+unknown"


__version__ = _version()

TARGETS = ("golden", "host", "qemu", "array", "replay", "accel")


class Model:
    """An integer-only bittern model (a :class:`bittern.model.spec.ModelSpec`) and its uses."""

    def __init__(self, spec):
        self.spec = spec.validate()

    def save(self, path, *, overwrite=False):
        """Write the .bittern file; refuses to replace an existing file unless ``overwrite``."""
        from pathlib import Path

        from bittern.model import fileformat
        if Path(path).exists() and not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
        return fileformat.save(self.spec, path)

    def summary(self, *, rows=4, cols=4):
        """The per-layer table (:mod:`bittern.model.summary`) as text; cycles on rows x cols."""
        from bittern.model.summary import format_summary
        return format_summary(self.spec, rows=rows, cols=cols)

    def export_onnx(self, path):
        """The model as a QONNX graph that qonnx's executor runs with identical labels."""
        from bittern.model.interop.onnx_export import export_qonnx
        return export_qonnx(self.spec, path)

    def predict(self, images, *, target="golden", build_dir=None):
        """(labels int64 [N], scores int64 [N, classes]) on ``target``.

        ``golden`` (the integer model), ``host`` (the C runtime on this machine), ``qemu`` or
        ``qemu:<cpu>`` (the C runtime on an emulated Cortex-M, default cortex-m4), ``array``
        (the layers through the simulated systolic array, Verilator), ``replay`` (the whole
        simulated accelerator RTL, 2x2, built with the options the model's layers need, on the
        bus writes of the loader with the clock inside Verilator, :mod:`bittern.sim.replay`:
        seconds, not minutes; every layer must run on the accelerator, else :class:`~bittern.rtl.loader.UnsupportedLayer` says which does
        not), ``accel`` (the C driver ``bt_run_accel`` against the simulated accelerator RTL,
        Verilator, slow; layers it cannot offload run in software).
        """
        import numpy as np
        import torch

        from bittern.model import golden
        x = np.ascontiguousarray(np.asarray(images, dtype=np.uint8))
        name, _, cpu = target.partition(":")
        if name == "golden":
            g = golden.run(self.spec, x)
            return g.labels.numpy().astype(np.int64), g.scores.numpy().astype(np.int64)
        if name == "host":
            from bittern.runtime.host import run_host
            r = run_host(self.spec, x, build_dir=build_dir)
            return r.labels.astype(np.int64), r.scores.astype(np.int64)
        if name == "qemu":
            from bittern.runtime.mcu import run_on_core
            r, _ = run_on_core(cpu or "cortex-m4", self.spec, x, build_dir=build_dir)
            return np.array(r.labels, dtype=np.int64), np.array(r.scores, dtype=np.int64)
        if name == "array":
            from bittern.sim import layer_sim
            r = layer_sim.simulate_model(self.spec, x.reshape(len(x), -1), rows=4, cols=4,
                                         lanes=32, build_root=build_dir)
            return r.labels.numpy().astype(np.int64), torch.as_tensor(r.scores).numpy().astype(np.int64)
        if name == "replay":
            from bittern.sim import replay
            r = replay.run_model(self.spec, x, rows=2, cols=2, depths=_replay_depths(self.spec),
                                 build_root=build_dir, **_replay_options(self.spec))
            _, labels = golden.head_labels(self.spec, torch.as_tensor(r.scores))  # in software
            return labels.numpy().astype(np.int64), np.asarray(r.scores, dtype=np.int64)
        if name == "accel":
            from bittern.sim.cosim import cosim_run
            r = cosim_run(self.spec, x, runtime_build=build_dir)
            return np.asarray(r.labels, dtype=np.int64), np.asarray(r.scores, dtype=np.int64)
        raise ValueError(f"unknown target {target!r}; choose one of golden, host, qemu[:cpu], "
                         f"array, replay, accel")


def _replay_options(spec):
    """The build options (``conv``, ``planes``) of the ops that run ``spec``'s layers: the
    replay builds the accelerator the model needs (the sparse datapath comes with the depths)."""
    from bittern.rtl import ops
    n = len(spec.layers)
    features = {name for i, layer in enumerate(spec.layers)
                if (op := ops.find(layer, last=i == n - 1)) is not None
                for name in op.feature_names()}
    return {"conv": "CONV" in features, "planes": "PLANES" in features}


def _replay_depths(spec):
    """The accelerator's default buffer depths, deeper where ``spec`` needs it: every small
    model then runs on one accelerator, so one Verilator build serves them all."""
    import inspect

    from bittern.rtl.accelerator import Accelerator
    from bittern.rtl.loader import default_depths
    params = inspect.signature(Accelerator).parameters
    return {k: max(v, params[k].default) for k, v in default_depths(spec, 2, 2).items()}


def load(path):
    """A .bittern file as a :class:`Model`."""
    from bittern.model import fileformat
    return Model(fileformat.load(path))


def import_onnx(path):
    """A QONNX graph as a :class:`Model` (see ``bittern import``)."""
    from bittern.model.interop.onnx_import import import_qonnx
    spec, _ = import_qonnx(path)
    return Model(spec)


def export(module, example_input):
    """Fold ``module`` (built from bittern's public quantized layers) into a :class:`Model`."""
    from bittern.model.interop.module_export import export_module
    return Model(export_module(module, example_input))
