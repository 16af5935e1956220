"""The job layer: Dask on a scheduler given by address (127.0.0.1) or inline, results in the
order of the items whatever finishes first. (The LocalCluster it starts itself is tested by
``test_cli_regress``.)"""

import math

from distributed import LocalCluster

from bittern.sim.jobs import run_jobs


def test_sim_jobs_same_results_inline_and_through_a_scheduler_address():
    items = [300, 5, 2000, 1, 40, 0, 700]       # uneven work: completion order differs
    want = [math.factorial(n) for n in items]
    seen = []
    assert run_jobs(math.factorial, items, workers=0,
                    progress=lambda d, t, i, r: seen.append((d, t))) == want
    assert seen == [(i + 1, len(items)) for i in range(len(items))]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert run_jobs(math.factorial, items, scheduler=cluster.scheduler_address) == want
