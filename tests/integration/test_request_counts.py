"""The number of API requests of a full run does not grow with the objects (apart from pages)."""
import math

from kfdoctor.sources.kube import PAGE_SIZE
from tests.servers.job import JobSpec
from tests.servers.seed_kube import seed_scale

from .live import cluster_settings, run_live


def kube_requests(kube_job, jarvice_api, namespaces, pvcs):
    seeded = kube_job(JobSpec())
    seed_scale(seeded.kubeconfig, namespaces=namespaces, pvcs=pvcs)
    outcome = run_live(cluster_settings(seeded, jarvice_api))
    kube = outcome.runner.session.get("kube")
    return kube.requests, outcome


def test_requests_do_not_grow_with_namespaces_and_pvcs(kube_job, jarvice_api):
    small, small_run = kube_requests(kube_job, jarvice_api, namespaces=10, pvcs=10)
    large, large_run = kube_requests(kube_job, jarvice_api, namespaces=1000, pvcs=1000)
    # Each of namespaces, PVCs and PVs holds ~1,000 more objects: at most a few more pages each.
    extra_pages = 3 * math.ceil(1000 / PAGE_SIZE)
    print(f"\nKubernetes requests of a full run: {small} with 10 PVCs/namespaces, "
          f"{large} with 1,000 (page size {PAGE_SIZE})")
    assert large <= small + extra_pages, (small, large)
    assert large >= small  # the counter counts real requests
    checks_run = {row["check"] for row in large_run.result.results}
    assert len(checks_run) == len({row["check"] for row in small_run.result.results})
