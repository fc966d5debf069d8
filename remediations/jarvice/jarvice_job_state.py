"""Resume a job suspended by its user through the JARVICE API (signal 18)."""
from kfdoctor import remediation
from kfdoctor.fixing import JarviceSignal, Plan


@remediation("jarvice_job_state", risk="medium")
def resume_job(finding, job_state):
    """Resume the suspended job: ``/jarvice/signal number=N signal=18`` (SIGCONT).

    Only for a job whose substatus is "Suspended by user"; like every plan it is applied only
    after confirmation (or --yes). Undo pauses it again with signal 19, as the admin guide does.
    A job that has ended, has not started, or whose pods kept running while suspended is manual.
    """
    if finding.resource.kind != "JarviceJob" or not job_state.suspended:
        return Plan.manual_only("the job is not merely suspended", "see kfdoctor explain "
                                "jarvice_job_state")
    return Plan(f"resume JARVICE job {job_state.number} (signal 18, SIGCONT)",
                [JarviceSignal(int(job_state.number), 18)])
