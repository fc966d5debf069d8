"""Plugin loading through pluggy: built-ins and third-party packages take the same path.

A plugin is any module registered under the entry-point group ``kfdoctor`` that implements
``kfdoctor_modules()``: the modules whose checks, fixtures and remediations the registry collects.
"""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Iterable

import pluggy

from .registry import Registry

GROUP = "kfdoctor"
hookspec = pluggy.HookspecMarker(GROUP)
hookimpl = pluggy.HookimplMarker(GROUP)


class Hooks:
    @hookspec
    def kfdoctor_modules(self) -> Iterable[ModuleType]:
        """Return the modules holding this plugin's checks, fixtures and remediations."""


def walk(package: str) -> list[ModuleType]:
    """Import ``package`` and every module below it (how a plugin lists its modules)."""
    root = importlib.import_module(package)
    modules = [root]
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        modules.append(importlib.import_module(info.name))
    return modules


def plugin_manager(extra: Iterable[object] = ()) -> pluggy.PluginManager:
    manager = pluggy.PluginManager(GROUP)
    manager.add_hookspecs(Hooks)
    manager.load_setuptools_entrypoints(GROUP)
    for plugin in extra:
        manager.register(plugin)
    return manager


def load_registry(extra: Iterable[object] = ()) -> Registry:
    """Collect and validate everything the installed plugins (and ``extra`` ones) provide."""
    registry = Registry()
    for modules in plugin_manager(extra).hook.kfdoctor_modules():
        for module in modules:
            registry.collect(module)
    registry.validate()
    return registry
