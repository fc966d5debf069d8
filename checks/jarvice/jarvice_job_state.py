"""The JARVICE job runs (PROCESSING STARTING), and a paused job has no pods left."""
from kfdoctor import Resource, Severity, check, fail, ok, skip, warn
from kfdoctor.fixtures.jarvice_job import ENDED, QUEUED, RUNNING

MAX_LISTED = 10


def job_namespace_pods(pods: list[dict], number: int) -> dict[str, list[dict]]:
    """Pods of the job's namespaces on the host: ``kns-job-<N>`` (or ``kns-job-<N>-...``)."""
    name = f"kns-job-{number}"
    found: dict[str, list[dict]] = {}
    for pod in pods:
        namespace = (pod.get("metadata") or {}).get("namespace") or ""
        if namespace == name or namespace.startswith(f"{name}-"):
            found.setdefault(namespace, []).append(pod)
    return found


def still_running(pod: dict) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    return phase in ("Running", "Pending", "Unknown") and not pod["metadata"].get("deletionTimestamp")


@check(severity=Severity.HIGH, phase="post-launch", tags={"jarvice", "job"})
def jarvice_job_state(job_state, pods):
    """The JARVICE job runs (PROCESSING STARTING), and a paused job has no pods left.

    ## Why it matters
    Kubeflow answers only while its JARVICE job runs: ``job_status`` ``PROCESSING STARTING`` (the
    dashboard's "Processing"). A job paused with ``/jarvice/signal`` keeps that status: JARVICE has no
    SUSPENDED status, the pause shows as the substatus "Suspended by user" (admin guide ch. 9), and
    while paused every Kubeflow URL fails, which looks like an outage. The guide expects no pod left
    in the job namespace once paused; pods still running mean the pause did not take (and the job
    may still be billed for them).

    ## Manual fix
    - Paused: resume with the JARVICE API, as the ML team admin who launched it:
      ``curl 'https://<jarvice-api>/jarvice/signal?number=<N>&signal=18&username=<user>&apikey=<key>'``.
      Signal 18 is SIGCONT (the guide calls it "SIGSTP"). The guide pauses with signal 19; the API's
      default is 20 (SIGTSTP); the app may map signals through ``JARVICE_SIGNAL_OVERRIDE``.
    - Pods left while paused: send the pause signal again, then check
      ``kubectl get pods -n kns-job-<N>`` on the host cluster; a JARVICE system admin can delete the
      remaining pods.
    - Queued (SUBMITTED, SEQUENTIALLY QUEUED): wait, or check the machine type's capacity.
    - Ended (COMPLETED, CANCELED, TERMINATED): launch a new Kubeflow instance (admin guide ch. 4).
    """
    state = job_state
    if state is None:
        skip("the JARVICE API or the job is not configured: pass --jarvice-url, --jarvice-user "
             "(API key in KFDOCTOR_JARVICE_APIKEY) and --job N")
    if state.error is not None:
        raise state.error
    job = Resource("JarviceJob", str(state.number))
    if state.entry is None:
        yield fail(job, f"job {state.number} is not known to the JARVICE API (/jarvice/status "
                   f"number={state.number}); expected the running Kubeflow job", state.evidence())
        return
    evidence = state.evidence()
    if state.suspended:
        namespaces = job_namespace_pods(pods, state.number)
        evidence["pods_left"] = {ns: sum(still_running(p) for p in members)
                                 for ns, members in namespaces.items()}
        yield warn(job, f"job {state.number} is suspended by user ({state.describe()}); expected "
                   f"running: Kubeflow is unreachable until it is resumed with signal 18 (SIGCONT)",
                   evidence)
        for namespace, members in sorted(namespaces.items()):
            running = [p for p in members if still_running(p)]
            names = sorted(p["metadata"]["name"] for p in running)
            if running:
                shown = ", ".join(names[:MAX_LISTED]) + (" ..." if len(names) > MAX_LISTED else "")
                yield fail(Resource("Namespace", namespace),
                           f"{len(running)} pods still run in {namespace} while job {state.number} "
                           f"is suspended ({shown}); expected none: the pause did not take",
                           {"pods": names, "phases": {p["metadata"]["name"]: p["status"].get("phase")
                                                      for p in running}, **evidence})
        return
    if state.status == RUNNING:
        yield ok(job, f"job {state.number} is running ({state.describe()})", evidence)
    elif state.status in QUEUED:
        yield warn(job, f"job {state.number} has not started ({state.describe()}); expected "
                   f"{RUNNING}", evidence)
    elif state.status in ENDED:
        yield fail(job, f"job {state.number} has ended ({state.describe()}); expected {RUNNING}: "
                   "launch a new Kubeflow instance", evidence)
    else:
        yield warn(job, f"job {state.number} is in an unexpected state ({state.describe()}); "
                   f"expected {RUNNING}", evidence)
