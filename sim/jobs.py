"""Run independent jobs through Dask's distributed scheduler, or in this process.

    results = run_jobs(run_case, cases)                        # LocalCluster on 127.0.0.1
    results = run_jobs(run_case, cases, scheduler="tcp://host:8786")   # an existing cluster
    results = run_jobs(run_case, cases, workers=0)             # inline, no Dask

A job is a picklable function applied to one picklable item; results come back in the order of
the items, whatever ran them and in whatever order they finished, so a run's results do not
depend on the cluster. The local cluster has one single-threaded worker process per job slot
(the simulators are single-threaded and not all of them are thread-safe), listens on 127.0.0.1
only and has no dashboard. On a remote cluster every worker needs the same bittern installed.
"""

import logging
import os

__all__ = ["run_jobs", "default_workers"]


def default_workers():
    return max(1, len(os.sched_getaffinity(0)))


def run_jobs(fn, items, *, scheduler=None, workers=None, progress=None):
    """``[fn(item) for item in items]``, through Dask unless ``workers == 0``.

    ``progress(done, total, item, result)`` is called as each job finishes."""
    items = list(items)
    if workers == 0 and scheduler is None:
        out = []
        for i, item in enumerate(items):
            out.append(fn(item))
            if progress:
                progress(i + 1, len(items), item, out[-1])
        return out
    from distributed import Client, LocalCluster, as_completed
    cluster = None
    if scheduler is None:
        n = workers or default_workers()
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               silence_logs=logging.ERROR)
    try:
        with Client(scheduler or cluster) as client:
            futures = client.map(fn, items, pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            out = [None] * len(items)
            for done, fut in enumerate(as_completed(futures), 1):
                i = index[fut.key]
                out[i] = fut.result()
                if progress:
                    progress(done, len(items), items[i], out[i])
            return out
    finally:
        if cluster is not None:
            cluster.close()
