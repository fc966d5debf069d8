"""Fix runs: plans, preview, backup journal, apply, verify, undo.

Remediations build a :class:`Plan` from these actions; they never act themselves.
"""
from .options import FixOptions
from .plan import (Change, JarviceSignal, KeycloakAction, KeycloakCreate, KeycloakRoleGrant,
                   KeycloakUpdate, KubeAwaitRollout, KubeCreate, KubePatch, Plan, PrintOnly,
                   WriteFile)

__all__ = ["Change", "FixOptions", "JarviceSignal", "KeycloakAction", "KeycloakCreate",
           "KeycloakRoleGrant", "KeycloakUpdate", "KubeAwaitRollout", "KubeCreate", "KubePatch",
           "Plan", "PrintOnly", "WriteFile"]
