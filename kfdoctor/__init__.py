"""kfdoctor: diagnostics and safe remediation for Kubeflow as the JARVICE Kubeflow application.

The public API for writing checks, fixtures and remediations.
"""
from kfdoctor.engine.model import (Finding, Resource, Severity, Status, fail, ok, skip, skipped,
                                   warn)
from kfdoctor.engine.registry import KubeRead, check, fixture, parametrize, remediation

__version__ = "0.1.0"
__all__ = ["Finding", "KubeRead", "Resource", "Severity", "Status", "check", "fail", "fixture",
           "ok", "parametrize", "remediation", "skip", "skipped", "warn", "__version__"]
