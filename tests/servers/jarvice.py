"""A stand-in JARVICE API server (domain-facts.md §9.1): /jarvice/{status,jobs,info,signal}.

There is no public JARVICE server to test against, so this one answers the documented endpoints
with the documented shapes, for one user and their jobs. GET and POST (form or query) both work.
Behaviour kept from the documentation:

- a running job has ``job_status`` ``PROCESSING STARTING``; there is no SUSPENDED status:
  ``/jarvice/signal`` (default signal 20, SIGTSTP; the admin guide uses 19) sets the substatus text
  ``Suspended by user`` and signal 18 (SIGCONT) clears it;
- ``name`` or ``number`` selects a job; ``completed=true`` (case-sensitive) lists completed jobs only;
- errors are a JSON object ``{"error": ...}``; the exact texts other than
  ``Running job is not found`` are not documented, so they are plain descriptions here.
"""
from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .job import JobSpec

RUNNING = "PROCESSING STARTING"
SUSPENDED_TEXT = "Suspended by user"
SIGCONT = 18
SIGTSTP = 20
SUSPEND_SIGNALS = {19, SIGTSTP}   # SIGSTOP as in the admin guide, SIGTSTP as the API default


@dataclass
class FakeJob:
    """One JARVICE job as /jarvice/status reports it."""
    number: int
    name: str
    url: str
    application: str = "jarvice-kubeflow"
    command: str = "Kubeflow"
    status: str = RUNNING
    substatus: int = 0
    substatus_text: str = ""
    submit_time: int = field(default_factory=lambda: int(time.time()) - 3600)
    start_time: int = field(default_factory=lambda: int(time.time()) - 3500)
    end_time: int = 0
    walltime: str = "72:00:00"
    project: str | None = None
    pid: int = 4242

    @property
    def completed(self) -> bool:
        return self.status in {"COMPLETED", "COMPLETED WITH ERROR", "CANCELED", "TERMINATED"}

    def entry(self) -> dict:
        return {"job_name": self.name, "job_status": self.status, "job_substatus": self.substatus,
                "job_substatus_text": self.substatus_text, "job_submit_time": self.submit_time,
                "job_start_time": self.start_time, "job_end_time": self.end_time,
                "job_application": self.application, "job_command": self.command,
                "job_walltime": self.walltime, "job_project": self.project}

    def suspend(self) -> None:
        self.substatus, self.substatus_text = 1, SUSPENDED_TEXT

    def resume(self) -> None:
        self.substatus, self.substatus_text = 0, ""


def job_for(spec: JobSpec) -> FakeJob:
    """The Kubeflow job of ``spec``, suspended if the spec has the job_suspended fault."""
    job = FakeJob(spec.number, spec.domain.split(".")[0], f"https://{spec.domain}/")
    if spec.has("job_suspended"):
        job.suspend()
    return job


class _Handler(BaseHTTPRequestHandler):
    api: JarviceApi

    def log_message(self, fmt, *args):
        """Record the request path instead of printing it."""
        self.api.requests.append(self.path)

    def do_GET(self):
        self._answer(parse_qs(urlsplit(self.path).query))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        params = parse_qs(urlsplit(self.path).query)
        params.update(parse_qs(body))
        self._answer(params)

    def _answer(self, params: dict[str, list[str]]):
        args = {key: values[-1] for key, values in params.items()}
        route = urlsplit(self.path).path.rstrip("/")
        status, payload = self.api.handle(route, args)
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class JarviceApi:
    """The stand-in server, running in a thread on a free loopback port."""

    def __init__(self, jobs: list[FakeJob], username: str, apikey: str | None = None):
        self.username = username
        self.apikey = apikey or secrets.token_hex(16)
        self.jobs = {job.number: job for job in jobs}
        self.requests: list[str] = []
        handler = type("Handler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="jarvice-api", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> JarviceApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def handle(self, route: str, args: dict[str, str]) -> tuple[int, dict]:
        """Answer one request: (HTTP status, JSON payload)."""
        endpoints = {"/jarvice/status": self._status, "/jarvice/jobs": self._jobs,
                     "/jarvice/info": self._info, "/jarvice/signal": self._signal}
        if route not in endpoints:
            return 404, {"error": f"unknown endpoint {route}"}
        if args.get("username") != self.username or args.get("apikey") != self.apikey:
            return 401, {"error": "Invalid username or API key"}
        return endpoints[route](args)

    def _find(self, args: dict[str, str]) -> FakeJob | tuple[int, dict]:
        if "number" in args:
            job = self.jobs.get(int(args["number"])) if args["number"].isdigit() else None
        elif "name" in args:
            job = next((j for j in self.jobs.values() if j.name == args["name"]), None)
        else:
            return 400, {"error": "name or number is required"}
        return job or (404, {"error": "Job not found"})

    def _status(self, args):
        job = self._find(args)
        return job if isinstance(job, tuple) else (200, {str(job.number): job.entry()})

    def _jobs(self, args):
        completed = args.get("completed") == "true"
        return 200, {str(j.number): j.entry() for j in self.jobs.values() if j.completed == completed}

    def _info(self, args):
        job = self._find(args)
        if isinstance(job, tuple):
            return job
        return 200, {"url": job.url, "about": None, "help": None, "actions": {}}

    def _signal(self, args):
        job = self._find(args)
        if isinstance(job, tuple):
            return job
        if job.status != RUNNING:
            return 400, {"error": "Running job is not found"}
        signal = int(args.get("signal") or SIGTSTP)
        if signal in SUSPEND_SIGNALS:
            job.suspend()
        elif signal == SIGCONT:
            job.resume()
        return 200, {"signal": signal, "pid": job.pid}


def start_jarvice_api(spec: JobSpec | None = None, apikey: str | None = None) -> JarviceApi:
    """Start the stand-in API for the ML team admin of ``spec`` (user name = ``spec.admin``)."""
    spec = spec or JobSpec()
    return JarviceApi([job_for(spec)], spec.admin, apikey).start()
