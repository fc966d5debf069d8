"""The Redactor: every kind of secret is replaced by a marker; the inventory never holds a value."""
from __future__ import annotations

import base64
import json
import time

from kfdoctor.bundle.redact import MARK_RE, Redactor, inventory_json, inventory_text
from kfdoctor.sources.tape import Tape

JWT = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJqZG9lIiwiYXVkIjoia25zLWpvYi01In0."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
SECRETS = {"secret_data": "s3cr3t-value-XYZ", "client_secret": "kns-job-5-secret-0005",
           "admin": "admin-Pass-1", "probe": "Probe-pw-9", "jwt": JWT,
           "cookie": "Y29va2llLXZhbHVlLXNlY3JldA==|1700000000|abcdef", "apikey": "JRVC-KEY-7788",
           "kubetoken": "kube-token-abcdef123456", "keydata": "LS0tLS1CRUdJTiBSU0Eg"}


def seeded() -> dict:
    s = SECRETS
    return {
        "secret": {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "oauth2-proxy", "namespace": "kubeflow"},
                   "data": {"client-secret": base64.b64encode(s["secret_data"].encode()).decode()},
                   "stringData": {"plain": s["secret_data"]}},
        "client": {"clientId": "kns-job-5", "secret": s["client_secret"], "publicClient": False},
        "user": {"username": "jdoe", "credentials": [{"type": "password", "value": s["probe"]}]},
        "realm": {"smtpServer": {"password": s["admin"], "host": "smtp"}},
        "pod": {"kind": "Pod", "spec": {"containers": [{"env": [
            {"name": "OAUTH2_PROXY_CLIENT_SECRET", "value": s["client_secret"]},
            {"name": "LOG_LEVEL", "value": "debug"}],
            "args": [f"--cookie-secret={s['cookie']}", "--provider=oidc"]}],
            "volumes": [{"name": "tls", "secret": {"secretName": "job-ingress-tls"}}]}},
        "probe": {"status": 302, "headers": {"location": f"https://x/jarvice?username=jdoe&apikey={s['apikey']}",
                                             "Set-Cookie": f"oauth2_proxy_kubeflow={s['cookie']}; Path=/; HttpOnly"},
                  "body": f"Authorization: Bearer {JWT}"},
        "event": {"message": f"login failed with token {JWT} and cookie oauth2_proxy_kubeflow={s['cookie']}"},
        "kubeconfig": "users:\n- name: u\n  user:\n    token: %s\n    client-key-data: %s\n" % (
            s["kubetoken"], s["keydata"]),
    }


def test_every_seeded_secret_is_redacted_and_inventoried():
    redactor = Redactor([SECRETS["admin"], SECRETS["apikey"], SECRETS["probe"]])
    out = redactor.data(seeded())
    text = json.dumps(out)
    for name, value in SECRETS.items():
        assert value not in text, name
    assert base64.b64encode(SECRETS["secret_data"].encode()).decode() not in text
    # kept: what is not a secret
    assert out["pod"]["spec"]["volumes"][0]["secret"] == {"secretName": "job-ingress-tls"}
    assert out["pod"]["spec"]["containers"][0]["env"][1]["value"] == "debug"
    assert out["client"]["publicClient"] is False and out["client"]["clientId"] == "kns-job-5"
    assert out["user"]["credentials"][0]["type"] == "password"
    assert "Path=/" in out["probe"]["headers"]["Set-Cookie"]
    # the JWT keeps its header and claims (checks may read them), loses its signature
    assert JWT.rsplit(".", 1)[0] in out["event"]["message"]
    kinds = {e["kind"] for e in inventory_json("x.json", out)}
    assert {"secret-data", "client-secret", "credentials", "password", "jwt", "cookie", "api-key",
            "kubeconfig-credential", "token"} <= kinds
    listing = json.dumps(inventory_json("x.json", out))
    for value in SECRETS.values():
        assert value not in listing


def test_secrets_learned_once_are_scrubbed_from_any_later_text():
    redactor = Redactor()
    redactor.data(seeded())
    log = f"2024 upstream rejected client secret {SECRETS['client_secret']} for {SECRETS['secret_data']}"
    clean = redactor.text(log)
    assert SECRETS["client_secret"] not in clean and SECRETS["secret_data"] not in clean
    assert [e["kind"] for e in inventory_text("log", clean)] == ["client-secret", "secret-data"]


def test_equal_secrets_get_equal_markers_and_redaction_is_idempotent():
    redactor = Redactor()
    a = redactor.data({"secret": "same-value-123"})
    b = redactor.data({"password": "same-value-123"})
    tag = lambda v: MARK_RE.search(v).group(0).rsplit(":", 1)[1]  # noqa: E731
    assert tag(a["secret"]) == tag(b["password"])
    assert redactor.data(a) == a and redactor.data(seeded()) == redactor.data(redactor.data(seeded()))
    assert Redactor().data({"secret": "same-value-123"}) != a   # a new key per bundle


def test_harmless_values_are_kept():
    redactor = Redactor()
    text = 'pass_access_token = true\ncookie_refresh = 0\ncookie_name = "oauth2_proxy_kubeflow"\ntoken_ttl: 300s'
    assert redactor.text(text) == text
    assert redactor.data({"forwardOriginalToken": True, "accessTokenLifespan": 300}) == \
        {"forwardOriginalToken": True, "accessTokenLifespan": 300}


def test_the_tape_records_redacted_values_and_returns_the_real_ones():
    redactor = Redactor()
    tape = Tape("record", redact=redactor)
    value = tape.read("keycloak", "get", {"path": "clients"}, lambda: [{"secret": "abc-secret-42"}])
    assert value == [{"secret": "abc-secret-42"}]
    stored = json.dumps(tape.entries)
    assert "abc-secret-42" not in stored and "[REDACTED:client-secret:" in stored


def test_redaction_is_fast_enough_on_a_large_log():
    line = "2024-01-01T00:00:00Z INFO request GET /api?x=1 took 12ms user=jdoe path=/notebook/jdoe/lab\n"
    text = line * 20000 + "a" * 200000
    start = time.perf_counter()
    Redactor(["admin-Pass-1"]).text(text)
    assert time.perf_counter() - start < 5
