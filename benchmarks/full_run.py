"""A full kfdoctor run against the real kube-apiserver at several scales.

Prints, per scale: Kubernetes requests made, wall time and peak memory of the run. Each run is a
separate process, so its peak RSS is its own.

    python benchmarks/full_run.py [--scales 10,1000,5000]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers.jarvice import start_jarvice_api  # noqa: E402
from tests.servers.job import JobSpec  # noqa: E402
from tests.servers.kube import remove_work_dir, start_kube_server  # noqa: E402
from tests.servers.seed_kube import reset_kube, seed_kube, seed_scale  # noqa: E402

ONE_RUN = """
import sys, time
from kfdoctor.run import Selection, execute
from kfdoctor.settings import Settings
from kfdoctor.sources.tape import Tape
kubeconfig, appdef, host_root, url, user, key = sys.argv[1:7]
settings = Settings(kubeconfig=kubeconfig, job=5, appdef=appdef, host_root=host_root,
                    jarvice_url=url, jarvice_user=user, jarvice_apikey=key, vault="datavault")
started = time.perf_counter()
outcome = execute(settings, Selection(), Tape("live"))
outcome.runner.close()
print(outcome.runner.session.get("kube").requests, time.perf_counter() - started,
      len(outcome.result.results))
"""


def measure(seeded, jarvice) -> tuple[int, float, float, int]:
    proc = subprocess.Popen([sys.executable, "-c", ONE_RUN, seeded.kubeconfig,
                             str(seeded.appdef_path), str(seeded.host_root), jarvice.url,
                             jarvice.username, jarvice.apikey], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status:
        raise SystemExit(f"run failed: {out}")
    requests, wall, findings = out.split()
    return int(requests), float(wall), usage.ru_maxrss / 1024, int(findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="10,1000,5000")
    scales = [int(s) for s in parser.parse_args().scales.split(",")]
    work = Path(tempfile.mkdtemp(prefix="kfdoctor-bench-"))
    server = start_kube_server(work / "logs", work / "kube")
    jarvice = start_jarvice_api(JobSpec())
    try:
        print(f"{'PVCs+namespaces':>16} {'requests':>9} {'wall s':>7} {'peak MB':>8} {'findings':>9}")
        for scale in scales:
            reset_kube(str(server.kubeconfig))
            seeded = seed_kube(str(server.kubeconfig), JobSpec(), work_dir=work / f"seed{scale}")
            started = time.monotonic()
            seed_scale(str(server.kubeconfig), namespaces=scale, pvcs=scale)
            seeding = time.monotonic() - started
            requests, wall, peak, findings = measure(seeded, jarvice)
            print(f"{scale:>16} {requests:>9} {wall:>7.2f} {peak:>8.1f} {findings:>9}"
                  f"   (seeding took {seeding:.0f}s)", flush=True)
    finally:
        jarvice.stop()
        server.stop()
        remove_work_dir(server)


if __name__ == "__main__":
    main()
