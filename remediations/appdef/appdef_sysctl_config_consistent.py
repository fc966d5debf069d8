"""Write a corrected AppDef beside the original: keep or drop the sysctl-config template."""
import copy
import json
import re
from pathlib import Path

from kfdoctor import remediation
from kfdoctor.appdef import SYSCTL_CONFIG
from kfdoctor.fixing import Plan, WriteFile

TEMPLATE = {"name": SYSCTL_CONFIG, "type": "kustomize",
            "path": f"manifests/components/apps/{SYSCTL_CONFIG}"}


def fixed_path(original: str) -> str:
    """``appdef.json`` -> ``appdef.fixed.json`` (beside it; never the original)."""
    path = Path(original)
    stem = path.stem if path.suffix.lower() == ".json" else path.name
    return str(path.with_name(f"{stem}.fixed.json"))


def _indent(text: str) -> int | None:
    match = re.search(r"^\{\s*\n([ \t]+)\S", text)
    return len(match.group(1).expandtabs(4)) if match else None


def render(document, like: str) -> str:
    """The document as JSON, indented as the original was (2 spaces when it was not indented)."""
    indent = _indent(like)
    text = json.dumps(document, indent=indent if indent is not None else 2, ensure_ascii=False)
    return text + ("\n" if like.endswith("\n") or not like else "")


@remediation("appdef_sysctl_config_consistent", risk="low")
def correct_appdef(finding, appdef, appdef_file):
    """Write ``<name>.fixed.json`` beside the AppDef, with the sysctl-config template dropped or
    put back as the finding says, and show the diff.

    The AppDef keeps the privileged sysctl-config app while every node already has the values
    (warn): the copy drops the whole ``sysctl-config`` object from the KNS object's ``templates``
    and nothing else (the admin guide's section 2.1 opt-out, done as valid JSON). The AppDef drops
    it while nodes lack the values (fail): the copy puts ``{"name": "sysctl-config", "type":
    "kustomize", "path": "manifests/components/apps/sysctl-config"}`` back (after nswatcher, else
    last). The original file is never touched; the check is re-run on the copy. Upload the copy to
    JARVICE for it to take effect. Undo removes only the file the fix wrote.
    """
    original = appdef_file["path"]
    document = copy.deepcopy(appdef.document)
    kns = (document["commands"][appdef.command] if appdef.command else document)[appdef.kns_key]
    templates = kns.get("templates")
    if not isinstance(templates, list):
        return Plan.manual_only(f"the AppDef's {appdef.kns_key} object has no templates list",
                                "kfdoctor check jarvice_appdef_valid says what is wrong")
    template = appdef.sysctl_config
    if template is not None:
        kns["templates"] = [t for i, t in enumerate(templates)
                            if not any(k.index == i and k.is_sysctl_config for k in appdef.templates)]
        summary = (f"write {fixed_path(original)}: the AppDef without the sysctl-config template "
                   f"({template.path}), since every node already has the values")
    else:
        after = next((i for i, t in enumerate(appdef.templates) if t.name == "nswatcher"), None)
        at = len(templates) if after is None else after + 1
        kns["templates"] = templates[:at] + [dict(TEMPLATE)] + templates[at:]
        summary = (f"write {fixed_path(original)}: the AppDef with the sysctl-config template "
                   f"({TEMPLATE['path']}) back, since nodes lack the values")
    content = render(document, appdef_file["text"])
    target = fixed_path(original)
    return Plan(summary, [WriteFile(target, content, original)],
                verify_settings={"appdef": target},
                note=f"the job's AppDef is unchanged: replace it with {target} in JARVICE "
                     "(and check it with kfdoctor check jarvice_appdef_valid --appdef "
                     f"{target})")
