"""kfdoctor.toml and KFDOCTOR_* variables: precedence, types, secrets, unknown keys, config show."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kfdoctor.configfile import OPTIONS, resolve
from kfdoctor.sources.errors import ConfigError
from kfdoctor.testing import tape_from_case

CASES = Path(__file__).resolve().parents[1] / "checks" / "cases"
CHECK = "storage_default_class_unique"


def kfdoctor(*args, cwd, env=None):
    full = {k: v for k, v in os.environ.items() if not k.startswith("KFDOCTOR_")}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "kfdoctor", *args], capture_output=True,
                          text=True, env=full, cwd=cwd, timeout=60, stdin=subprocess.DEVNULL)


def recording(tmp_path, name="no default class"):
    spec = yaml.safe_load((CASES / "storage_default_class_unique.yaml").read_text())
    case = next(c for c in spec["cases"] if c["name"] == name)
    folder = tmp_path / "recording"
    tape_from_case(case).save(folder, {"settings": {}})
    return folder


def one_line_exit_2(proc, *parts):
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    for part in parts:
        assert part in proc.stderr, proc.stderr


def write(tmp_path, text, name="kfdoctor.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


# -- precedence and types -----------------------------------------------------------------------
def test_precedence_cli_then_env_then_file_then_default(tmp_path):
    path = write(tmp_path, 'job = 1\nrealm = "from-file"\nvault = "file-vault"\n'
                           'context = "file-ctx"\n')
    env = {"KFDOCTOR_JOB": "2", "KFDOCTOR_REALM": "from-env"}
    eff = resolve({"job": 3}, path, env)
    assert (eff.values["job"], eff.origins["job"]) == (3, "cli")
    assert (eff.values["realm"], eff.origins["realm"]) == ("from-env", "env")
    assert (eff.values["vault"], eff.origins["vault"]) == ("file-vault", "file")
    assert eff.origins["kubeconfig"] == "default" and eff.get("keycloak_user") == "admin"
    settings = eff.settings()
    assert (settings.job, settings.realm, settings.vault, settings.context) == \
        (3, "from-env", "file-vault", "file-ctx")


def test_every_command_line_option_has_a_key_and_a_variable():
    from kfdoctor.cli.source_options import SOURCE_PARAMS

    flags = {p.default.param_decls[0][2:].replace("-", "_") if hasattr(p.default, "param_decls")
             else p.name for p in SOURCE_PARAMS}
    flags -= {"config"}
    assert flags <= set(OPTIONS), flags - set(OPTIONS)
    for key in ("json", "report", "junit", "markdown", "prometheus", "output", "fail_on",
                "inotify_min_watches", "inotify_min_instances", "timeout"):
        assert key in OPTIONS and OPTIONS[key].env == f"KFDOCTOR_{key.upper()}"


@pytest.mark.parametrize("variable,value,key,expected", [
    ("KFDOCTOR_JOB", "12", "job", 12),
    ("KFDOCTOR_TIMEOUT", "2.5", "timeout", 2.5),
    ("KFDOCTOR_IN_CLUSTER", "yes", "in_cluster", True),
    ("KFDOCTOR_KEYCLOAK_VERIFY", "false", "keycloak_verify", False),
    ("KFDOCTOR_INOTIFY_MIN_WATCHES", "524288", "inotify_min_watches", 524288),
    ("KFDOCTOR_JSON", "out.json", "json", Path("out.json")),
])
def test_environment_values_are_typed(variable, value, key, expected):
    eff = resolve({}, None, {variable: value})
    assert eff.values[key] == expected and type(eff.values[key]) is type(expected)
    assert eff.origins[key] == "env"


@pytest.mark.parametrize("variable,value", [("KFDOCTOR_JOB", "five"), ("KFDOCTOR_TIMEOUT", "x"),
                                            ("KFDOCTOR_NODE_PROBE", "maybe")])
def test_bad_environment_values_are_usage_errors(tmp_path, variable, value):
    proc = kfdoctor("check", CHECK, "--from", str(recording(tmp_path)), cwd=tmp_path,
                    env={variable: value})
    one_line_exit_2(proc, variable)


@pytest.mark.parametrize("text,part", [('job = "five"\n', "job must be an integer"),
                                       ("in_cluster = 1\n", "in_cluster must be a boolean"),
                                       ("job = [\n", "not valid TOML")])
def test_bad_file_values_are_usage_errors(tmp_path, text, part):
    write(tmp_path, text)
    one_line_exit_2(kfdoctor("check", cwd=tmp_path), part)


def test_unknown_key_names_close_matches(tmp_path):
    write(tmp_path, 'kubconfig = "x"\n')
    one_line_exit_2(kfdoctor("check", cwd=tmp_path), "unknown key 'kubconfig'",
                    "did you mean kubeconfig")


def test_config_option_and_missing_file(tmp_path):
    one_line_exit_2(kfdoctor("check", "--config", str(tmp_path / "nope.toml"), cwd=tmp_path),
                    "--config", "no such file")


# -- secrets --------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["keycloak_password", "jarvice_apikey", "probe_password"])
def test_plain_secrets_in_the_file_are_refused(tmp_path, key):
    write(tmp_path, f'{key} = "hunter2"\n')
    proc = kfdoctor("check", cwd=tmp_path)
    one_line_exit_2(proc, f"{key} may not be written in the config file", f"{key}_file",
                    f"KFDOCTOR_{key.upper()}")
    assert "hunter2" not in proc.stderr + proc.stdout


def test_secret_file_references_and_the_environment(tmp_path):
    secret = tmp_path / "kc"
    secret.write_text("from-file\n")
    path = write(tmp_path, f'keycloak_url = "https://kc.example"\nkeycloak_password_file = "{secret}"\n')
    assert resolve({}, path, {}).settings().keycloak_password == "from-file"
    env = {"KFDOCTOR_KEYCLOAK_PASSWORD": "from-env"}
    assert resolve({}, path, env).settings().keycloak_password == "from-env"
    other = tmp_path / "other"
    other.write_text("from-cli")
    cli = resolve({"keycloak_password_file": other}, path, env)
    assert cli.settings().keycloak_password == "from-cli"
    assert resolve({}, None, {"KFDOCTOR_JARVICE_APIKEY_FILE": str(secret),
                              "KFDOCTOR_JARVICE_URL": "http://j"}).settings().jarvice_apikey \
        == "from-file"


def test_config_show_masks_secrets_and_tells_origins(tmp_path):
    secret = tmp_path / "kc"
    secret.write_text("s3cr3t-value")
    write(tmp_path, f'job = 4\nrealm = "file-realm"\nkeycloak_password_file = "{secret}"\n'
                    '[[suppress]]\ncheck = "storage_default_class_unique"\nreason = "known"\n')
    env = {"KFDOCTOR_REALM": "env-realm", "KFDOCTOR_JARVICE_APIKEY": "apikey-value"}
    proc = kfdoctor("config", "show", "--vault", "v1", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "s3cr3t-value" not in out and "apikey-value" not in out
    lines = {line.split()[0]: line for line in out.splitlines() if line and line[0].isalpha()}
    assert "# file" in lines["job"] and '"env-realm"' in lines["realm"] and "# env" in lines["realm"]
    assert "# cli" in lines["vault"] and "# default" in lines["kubeconfig"]
    assert "********" in lines["keycloak_password"] and str(secret) in lines["keycloak_password"]
    assert "********" in lines["jarvice_apikey"] and "# env" in lines["jarvice_apikey"]
    assert "[[suppress]] check=storage_default_class_unique" in out
    data = json.loads(kfdoctor("config", "show", "-o", "json", cwd=tmp_path, env=env).stdout)
    rows = {r["key"]: r for r in data["options"]}
    assert rows["job"] == {"key": "job", "value": 4, "origin": "file", "env": "KFDOCTOR_JOB"}
    assert rows["keycloak_password"]["value"] == "********"
    assert data["suppress"][0]["reason"] == "known"


def test_config_show_refuses_a_bad_file_too(tmp_path):
    write(tmp_path, 'keycloak_password = "x"\n')
    one_line_exit_2(kfdoctor("config", "show", cwd=tmp_path), "keycloak_password")


# -- the commands get it through with_source_options ------------------------------------------------
def test_check_takes_its_outputs_from_the_file(tmp_path):
    write(tmp_path, f'output = "json"\njson = "{tmp_path / "r.json"}"\n'
                    f'report = "{tmp_path / "r.html"}"\nfail_on = "fail"\n')
    proc = kfdoctor("check", CHECK, "--from", str(recording(tmp_path)), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["schema"] == "kfdoctor/results/v1"
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["fail"] == 1
    assert "<html" in (tmp_path / "r.html").read_text().lower()


def test_command_line_output_beats_the_file(tmp_path):
    write(tmp_path, 'output = "json"\n')
    proc = kfdoctor("check", CHECK, "--from", str(recording(tmp_path)), "-o", "table", cwd=tmp_path)
    assert proc.returncode == 1 and not proc.stdout.lstrip().startswith("{")


def test_env_fail_on_applies_to_check(tmp_path):
    rec = recording(tmp_path, "two default classes (old beta annotation counts too)")
    assert kfdoctor("check", CHECK, "--from", str(rec), cwd=tmp_path).returncode == 0
    assert kfdoctor("check", CHECK, "--from", str(rec), cwd=tmp_path,
                    env={"KFDOCTOR_FAIL_ON": "warn"}).returncode == 1


def test_several_outputs_in_one_run(tmp_path):
    rec = recording(tmp_path)
    proc = kfdoctor("check", CHECK, "--from", str(rec), "--json", str(tmp_path / "a.json"),
                    "--report", str(tmp_path / "a.html"), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "storage_default_class_unique" in proc.stdout          # the table on stdout
    assert json.loads((tmp_path / "a.json").read_text())["results"]
    assert (tmp_path / "a.html").stat().st_size > 0
