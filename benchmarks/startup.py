"""Start-up time of `kfdoctor --help` and `kfdoctor list` (median of several runs).

    python benchmarks/startup.py [--runs 7]
"""
import argparse
import statistics
import subprocess
import sys
import time


def timed(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kfdoctor", *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    timed(["--help"], 1)  # warm the file cache
    python_only = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        python_only.append(time.perf_counter() - started)
    print(f"{'command':28} {'median s':>9} {'min s':>7} {'max s':>7}")
    print(f"{'python -c pass (baseline)':28} {statistics.median(python_only):9.3f} "
          f"{min(python_only):7.3f} {max(python_only):7.3f}")
    for args in (["--help"], ["list"]):
        times = timed(args, runs)
        print(f"{'kfdoctor ' + ' '.join(args):28} {statistics.median(times):9.3f} "
              f"{min(times):7.3f} {max(times):7.3f}")


if __name__ == "__main__":
    main()
