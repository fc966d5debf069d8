"""The real kube-apiserver + etcd and the stand-in JARVICE API answer, and leave no process behind."""
from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request

import pytest
from kubernetes import client

from tests.servers.build_apiserver import KUBE_VERSION
from tests.servers.jarvice import SUSPENDED_TEXT
from tests.servers.kube import start_kube_server


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:   # a zombie is not alive
        return stat.read().split(")")[-1].split()[0] != "Z"


def _listening(url: str) -> bool:
    parsed = urllib.parse.urlsplit(url)
    with socket.socket() as sock:
        return sock.connect_ex((parsed.hostname, parsed.port)) == 0


def test_apiserver_serves_its_version_with_rbac(kube_server):
    admin = kube_server.api_client()
    assert client.VersionApi(admin).get_code().git_version == KUBE_VERSION
    namespaces = {ns.metadata.name for ns in client.CoreV1Api(admin).list_namespace().items}
    assert {"default", "kube-system"} <= namespaces
    stranger = kube_server.api_client(kube_server.kubeconfig_for_user("mallory", ("developers",)))
    with pytest.raises(client.ApiException) as denied:
        client.CoreV1Api(stranger).list_namespaced_pod("default")
    assert denied.value.status == 403
    assert 'User "mallory" cannot list resource "pods"' in json.loads(denied.value.body)["message"]


def test_service_account_kubeconfig_is_limited_to_its_role(kube_server):
    admin = kube_server.api_client()
    rbac = client.RbacAuthorizationV1Api(admin)
    client.CoreV1Api(admin).create_namespace({"metadata": {"name": "sa-test"}})
    rbac.create_namespaced_role("sa-test", {"metadata": {"name": "pod-reader"}, "rules": [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]})
    rbac.create_namespaced_role_binding("sa-test", {
        "metadata": {"name": "kfdoctor-pod-reader"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "kfdoctor", "namespace": "sa-test"}]})
    core = client.CoreV1Api(kube_server.api_client(kube_server.kubeconfig_for_service_account("sa-test", "kfdoctor")))
    assert core.list_namespaced_pod("sa-test").items == []
    with pytest.raises(client.ApiException) as denied:
        core.list_namespaced_secret("sa-test")
    assert denied.value.status == 403
    assert 'User "system:serviceaccount:sa-test:kfdoctor"' in json.loads(denied.value.body)["message"]


def test_etcd_is_healthy(kube_server):
    with urllib.request.urlopen(f"{kube_server.etcd_url}/health", timeout=5) as resp:
        assert json.load(resp)["health"] == "true"


def test_kubeconfig_names_the_test_context(kube_server):
    text = kube_server.kubeconfig.read_text()
    assert "current-context: kfdoctor-test" in text and kube_server.context == "kfdoctor-test"
    assert kube_server.url.startswith("https://127.0.0.1:")


def test_a_stopped_instance_leaves_no_process(tmp_path):
    server = start_kube_server(tmp_path / "logs", tmp_path / "work")
    pids = server.pids
    assert len(pids) == 2 and all(_alive(pid) for pid in pids)
    assert _listening(server.url) and _listening(server.etcd_url)
    server.stop()
    assert not any(_alive(pid) for pid in pids)
    assert not _listening(server.url) and not _listening(server.etcd_url)
    assert "Shutting down" in (tmp_path / "logs" / "kube-apiserver.log").read_text()


def _call(api, endpoint: str, method: str = "GET", **params):
    query = urllib.parse.urlencode({"username": api.username, "apikey": api.apikey, **params})
    if method == "GET":
        request = urllib.request.Request(f"{api.url}/jarvice/{endpoint}?{query}")
    else:
        request = urllib.request.Request(f"{api.url}/jarvice/{endpoint}", data=query.encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_jarvice_api_pause_and_resume(jarvice_api):
    status, body = _call(jarvice_api, "status", number=5)
    assert status == 200 and body["5"]["job_status"] == "PROCESSING STARTING"
    assert body["5"]["job_substatus_text"] == ""
    assert _call(jarvice_api, "signal", "POST", number=5, signal=19)[1]["signal"] == 19
    status, jobs = _call(jarvice_api, "jobs")
    assert jobs["5"]["job_status"] == "PROCESSING STARTING"
    assert jobs["5"]["job_substatus_text"] == SUSPENDED_TEXT
    assert _call(jarvice_api, "signal", number=5, signal=18)[1] == {"signal": 18, "pid": jarvice_api.jobs[5].pid}
    assert _call(jarvice_api, "status", name=jarvice_api.jobs[5].name)[1]["5"]["job_substatus_text"] == ""
    assert _call(jarvice_api, "jobs", completed="true") == (200, {})
    info = _call(jarvice_api, "info", number=5)[1]
    assert info["url"] == "https://job5.jarvice.example.org/" and info["actions"] == {}


def test_jarvice_api_rejects_a_wrong_apikey(jarvice_api):
    query = urllib.parse.urlencode({"username": jarvice_api.username, "apikey": "wrong", "number": 5})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{jarvice_api.url}/jarvice/status?{query}", timeout=5)
    assert err.value.code == 401 and "error" in json.load(err.value)
    assert _call(jarvice_api, "status", number=99) == (404, {"error": "Job not found"})
