"""The options that say where to read from, shared by check, bundle and fix."""
from __future__ import annotations

import functools
import inspect
from pathlib import Path
from typing import Optional

import typer

from .layering import layer

P = inspect.Parameter


def _option(name: str, annotation, default, *flags: str, help: str) -> inspect.Parameter:
    return P(name, P.KEYWORD_ONLY, annotation=annotation,
             default=typer.Option(default, *flags, help=help, show_default=default is not None))


SOURCE_PARAMS = [
    _option("kubeconfig", Optional[str], None, "--kubeconfig", help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config)."),
    _option("context", Optional[str], None, "--context", help="Kubeconfig context to use."),
    _option("in_cluster", bool, False, "--in-cluster", help="Use the pod's service account."),
    _option("keycloak_url", Optional[str], None, "--keycloak-url", help="Keycloak base URL."),
    _option("realm", Optional[str], None, "--realm", help="Realm (default: the ML team admin's username)."),
    _option("keycloak_user", Optional[str], None, "--keycloak-user", help="Keycloak admin user [admin]."),
    _option("keycloak_user_realm", Optional[str], None, "--keycloak-user-realm", help="Realm the admin logs into [master]."),
    _option("keycloak_password_file", Optional[Path], None, "--keycloak-password-file", help="File holding the admin password (else $KFDOCTOR_KEYCLOAK_PASSWORD or a prompt)."),
    _option("job", Optional[int], None, "--job", help="JARVICE job number N (client kns-job-N)."),
    _option("appdef", Optional[str], None, "--appdef", help="The Kubeflow application's AppDef JSON file."),
    _option("jarvice_url", Optional[str], None, "--jarvice-url", help="JARVICE API base URL."),
    _option("jarvice_user", Optional[str], None, "--jarvice-user", help="JARVICE user (the ML team admin)."),
    _option("jarvice_apikey_file", Optional[Path], None, "--jarvice-apikey-file", help="File holding the JARVICE API key (else $KFDOCTOR_JARVICE_APIKEY)."),
    _option("job_url", Optional[str], None, "--job-url", help="The job's URL, for HTTP probes."),
    _option("vault", Optional[str], None, "--vault", help="The vault StorageClass name."),
    _option("host_root", Optional[str], None, "--host-root", help="Read /proc/sys under this root (e.g. / on a node)."),
    _option("node_probe", bool, False, "--node-probe", help="Read each node's sysctls with a short-lived pod."),
    _option("node_probe_namespace", Optional[str], None, "--node-probe-namespace", help="Namespace of the node-probe pods [kube-system]."),
    _option("probe_user", Optional[str], None, "--probe-user", help="User for the login probe (password in $KFDOCTOR_PROBE_PASSWORD)."),
    _option("probe_model", Optional[str], None, "--probe-model", help="InferenceService to load in the login probe."),
    _option("check_timeout", Optional[float], None, "--timeout", help="Seconds each check may take [30]."),
    _option("probe_password_file", Optional[Path], None, "--probe-password-file", help="File holding the probe user's password (else $KFDOCTOR_PROBE_PASSWORD)."),
    _option("config", Optional[Path], None, "--config", help="Config file (default: $KFDOCTOR_CONFIG, ./kfdoctor.toml); every option may also come from $KFDOCTOR_<OPTION>."),
    _option("no_suppress", bool, False, "--no-suppress", help="Ignore the config file's [[suppress]] entries."),
]
SECRET_FILE_OPTIONS = {"keycloak_password_file": "keycloak_password",
                       "jarvice_apikey_file": "jarvice_apikey",
                       "probe_password_file": "probe_password"}


def with_source_options(command):
    """Add the source options to ``command`` and hand it ``settings`` built from them.

    The command receives ``settings_for(replaying: bool)`` as ``settings``: a callable, because
    whether secrets are needed depends on whether a recording is replayed.
    """
    signature = inspect.signature(command)
    own = [p for p in signature.parameters.values() if p.name != "settings"]

    @functools.wraps(command)
    def wrapper(**kwargs):
        given = {p.name: kwargs.pop(p.name) for p in SOURCE_PARAMS}
        # command line, then $KFDOCTOR_*, then kfdoctor.toml, then defaults (kfdoctor/configfile.py)
        kwargs["settings"] = layer(command, given, kwargs)
        return command(**kwargs)

    wrapper.__signature__ = signature.replace(parameters=own + SOURCE_PARAMS)
    return wrapper
