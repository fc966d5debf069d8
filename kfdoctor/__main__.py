"""python -m kfdoctor"""
from kfdoctor.cli.main import run

run()
