"""The plans of node_inotify_limits and appdef_sysctl_config_consistent, without servers."""
from __future__ import annotations

import json

from kfdoctor.remediations.appdef.appdef_sysctl_config_consistent import (
    correct_appdef,
    fixed_path,
)
from kfdoctor.remediations.node.node_inotify_limits import daemonset, host_commands

from kfdoctor.appdef import load
from kfdoctor.engine.model import Finding, Resource, Status
from kfdoctor.fixing import WriteFile
from kfdoctor.fixtures.inotify import find_sysctl_daemonset

THRESHOLDS = {"max_user_instances": 1280, "max_user_watches": 655360}


def test_the_daemonset_is_recognised_by_the_check_with_its_values():
    body = daemonset(THRESHOLDS, "busybox:1.36")
    found = find_sysctl_daemonset([body])
    assert found is not None and found.privileged and found.sets == THRESHOLDS
    assert body["spec"]["template"]["spec"]["tolerations"] == [{"operator": "Exists"}]


def test_host_commands_raise_only_what_is_low_and_keep_higher_values():
    text = host_commands([("node-a", {"max_user_instances": 128, "max_user_watches": 1048576})],
                         THRESHOLDS)
    assert "sysctl -w fs.inotify.max_user_instances=1280" in text
    assert "sysctl -w fs.inotify.max_user_watches" not in text
    assert "fs.inotify.max_user_watches = 1048576" in text           # not lowered
    assert "/etc/sysctl.d/99-kubeflow-inotify.conf" in text and text.endswith("sysctl --system")


def test_appdef_copy_drops_only_the_sysctl_config_object(tmp_path):
    templates = [{"name": n, "type": "kustomize", "path": f"manifests/components/apps/{n}"}
                 for n in ("profiles", "nswatcher", "sysctl-config")]
    document = {"name": "Kubeflow", "commands": {"Kubeflow": {"path": "/usr/bin/true",
                "nested_kubernetes": {"enable_gotty_shell": "false", "templates": templates}}}}
    original = tmp_path / "kubeflow.json"
    original.write_text(json.dumps(document, indent=4) + "\n")
    appdef = load(original.read_text(), str(original))
    finding = Finding(Status("warn"), Resource("AppDef", str(original)), "keeps it")
    plan = correct_appdef(finding, appdef, {"path": str(original), "text": original.read_text()})
    [action] = plan.actions
    assert isinstance(action, WriteFile) and action.path == fixed_path(str(original))
    assert action.path.endswith("kubeflow.fixed.json") and plan.verify_settings == {"appdef": action.path}
    fixed = json.loads(action.content)
    assert fixed["commands"]["Kubeflow"]["nested_kubernetes"]["templates"] == templates[:2]
    assert action.content.startswith('{\n    "name"')                 # the original's indentation
    assert any(line.strip().startswith("-") and '"name": "sysctl-config"' in line
               for line in action.preview().splitlines())
