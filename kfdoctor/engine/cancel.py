"""Run-wide cancellation: Ctrl-C sets it, long-running fixtures (node probe) poll it and clean up."""
import threading

_CANCELLED = threading.Event()


def cancel() -> None:
    """Ask every long-running read to stop and clean up now."""
    _CANCELLED.set()


def cancelled() -> bool:
    return _CANCELLED.is_set()
