"""The Kubeflow AppDef is valid JSON and describes a KNS app with its components."""
import re

from kfdoctor import Resource, Severity, check, fail, ok, warn
from kfdoctor.appdef import KNS_KEYS, AppDefError, gotty_enabled_value, load

_LONE_COMMA = re.compile(r"^[ \t]*,[ \t]*$", re.M)
_TRAILING_COMMA = re.compile(r",\s*[}\]]")


def guide_example_hint(text: str) -> str | None:
    """Why the text looks like the admin guide's ch. 2.1 opt-out example, or None."""
    marks = []
    lone = _LONE_COMMA.search(text)
    if lone:
        marks.append(f"a line holding only ',' (line {text.count(chr(10), 0, lone.start()) + 1})")
    trailing = _TRAILING_COMMA.search(text)
    if trailing:
        marks.append(f"a trailing comma before '{text[trailing.end() - 1]}' "
                     f"(line {text.count(chr(10), 0, trailing.start()) + 1})")
    if not marks:
        return None
    return ("this looks like the admin guide's section 2.1 opt-out example, which is not valid JSON "
            f"({', '.join(marks)}): to opt out, delete the whole sysctl-config object from the "
            "templates list (and the comma before it), keep the nswatcher object whole")


@check(severity=Severity.HIGH, phase="pre-launch", tags={"appdef", "jarvice"})
def jarvice_appdef_valid(appdef_file):
    """The Kubeflow AppDef is valid JSON and describes a KNS app with its components.

    ## Why it matters
    JARVICE refuses an AppDef that is not valid JSON, and the Kubeflow app deploys only what the
    AppDef's KNS object lists: its ``templates`` (the Kubeflow components), ``kubernetes_version``
    and the optional GoTTY shell (``enable_gotty_shell``). The KNS object is spelled
    ``nestedkubernetes`` in the admin guide (ch. 6) and jardoc's AppDef reference, and
    ``nested_kubernetes`` in the 2025 KNS tutorial; kfdoctor reads both. The admin guide's own
    opt-out example (ch. 2.1) is not valid JSON: copied as printed it breaks the AppDef.

    ## Manual fix
    Fix the JSON at the line and column given (``python -m json.tool kubeflow.json`` shows the same
    position). To opt out of sysctl-config, remove the whole ``{"name": "sysctl-config", ...}``
    object from ``templates`` and the comma before it; leave the other entries (nswatcher
    included) whole, each with ``name``, ``type`` and ``path``. Keep one KNS object per command,
    under one spelling, with ``"enable_gotty_shell": "true"`` or ``"false"`` (admin guide ch. 6),
    and set ``"appkind": "kns"`` at the top level (jardoc ``docs/appdef.md``). Then upload the
    AppDef again in JARVICE (PushToCompute -> the app -> Edit -> AppDef).
    """
    path, text = appdef_file["path"], appdef_file["text"]
    resource = Resource("AppDef", path)
    try:
        appdef = load(text, path)
    except AppDefError as error:
        hint = guide_example_hint(text)
        yield fail(resource, f"{error}; expected valid JSON" + (f" ({hint})" if hint else ""),
                   {"error": str(error), "guide_example": hint is not None})
        return
    if not isinstance(appdef.document, dict):
        yield fail(resource, f"the AppDef is a JSON {type(appdef.document).__name__}; expected an "
                   "object with name, commands, ...", {})
        return
    evidence = appdef.summary()
    if not appdef.is_kns:
        yield fail(resource, f"no command of the AppDef has a {' or '.join(KNS_KEYS)} object "
                   f"(commands: {', '.join(appdef.document.get('commands') or {}) or 'none'}); "
                   "expected one describing the nested Kubeflow cluster", evidence)
        return
    problems = 0
    where = f"{appdef.command}.{appdef.kns_key}" if appdef.command else appdef.kns_key
    if appdef.both_spellings:
        problems += 1
        yield warn(resource, f"command {appdef.command} has both nestedkubernetes and "
                   f"nested_kubernetes; kfdoctor reads {appdef.kns_key}, JARVICE may read the other: "
                   "expected one", evidence)
    if len(appdef.kns_commands) > 1:
        problems += 1
        yield warn(resource, f"{len(appdef.kns_commands)} commands have a KNS object "
                   f"({', '.join(appdef.kns_commands)}); kfdoctor judges {appdef.command}, expected one",
                   evidence)
    if not appdef.templates:
        problems += 1
        yield fail(resource, f"{where} names no Kubeflow components (templates: "
                   f"{appdef.kns.get('templates')!r}); expected a list of {{name, type, path}}", evidence)
    for template in appdef.templates:
        if template.missing:
            problems += 1
            label = template.name or f"#{template.index + 1}"
            yield fail(resource, f"template {label} of {where} lacks {', '.join(template.missing)} "
                       f"({template.raw!r}); expected name, type and path", evidence)
    if gotty_enabled_value(appdef.gotty_value) is None:
        problems += 1
        yield warn(resource, f"{where}.enable_gotty_shell is {appdef.gotty_value!r}; expected "
                   "\"true\" or \"false\"", evidence)
    if appdef.appkind != "kns":
        problems += 1
        yield warn(resource, f"appkind is {appdef.appkind!r}; expected \"kns\" for a KNS app (the "
                   "default, \"k8s\", does not build a nested cluster)", evidence)
    if problems:
        return
    gotty = "enabled" if appdef.gotty_enabled else "disabled"
    yield ok(resource, f"the AppDef is valid: {where} (Kubernetes {appdef.kubernetes_version or 'version unset'}, "
             f"GoTTY shell {gotty}) names {len(appdef.components)} components: "
             f"{', '.join(appdef.components)}", evidence)
