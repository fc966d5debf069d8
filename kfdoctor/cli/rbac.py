"""``kfdoctor rbac``: the ClusterRoles kfdoctor needs, from the fixtures' declared reads and writes."""
from __future__ import annotations

import json

import typer

from .errors import handle_errors


@handle_errors
def rbac(role: str = typer.Option("all", "--role",
                                  help="read (check, bundle), fix, or all (both, separately)."),
         namespace: str = typer.Option("kfdoctor", "-n", "--namespace",
                                       help="Namespace of the ServiceAccounts."),
         name: str = typer.Option("kfdoctor", "--name",
                                  help="Name of the read-only ServiceAccount; roles are NAME-read "
                                       "and NAME-fix, the fix ServiceAccount NAME-fix."),
         output: str = typer.Option("yaml", "-o", "--output", help="yaml or json.")):
    """Print the read-only ClusterRole (check, bundle) and the one for fix, with a ServiceAccount
    and a ClusterRoleBinding each, ready for kubectl apply -f -."""
    from ..engine.plugins import load_registry
    from ..rbac import ROLES, documents, to_yaml
    from ..sources.errors import ConfigError

    if role not in (*ROLES, "all"):
        raise ConfigError(f"--role must be one of read, fix, all, not {role!r}")
    if output not in ("yaml", "json"):
        raise ConfigError(f"-o must be one of yaml, json, not {output!r}")
    docs = documents(load_registry(), role, namespace, name)
    if output == "json":
        typer.echo(json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}, indent=2))
    else:
        typer.echo(to_yaml(docs), nl=False)
