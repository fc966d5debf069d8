"""The built-in plugin: kfdoctor's own fixtures, checks and remediations."""
from kfdoctor.engine.plugins import hookimpl, walk


@hookimpl
def kfdoctor_modules():
    return [m for package in ("kfdoctor.fixtures", "kfdoctor.checks", "kfdoctor.remediations")
            for m in walk(package)]
