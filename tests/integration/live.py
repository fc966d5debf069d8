"""Point kfdoctor at the seeded real servers."""
from __future__ import annotations

from kfdoctor.run import Selection, execute
from kfdoctor.settings import Settings
from kfdoctor.sources.tape import Tape


def cluster_settings(seeded, jarvice_api=None, **extra) -> Settings:
    """Settings for the seeded cluster (and the JARVICE API when given)."""
    values = dict(kubeconfig=str(seeded.kubeconfig), job=seeded.spec.number,
                  appdef=str(seeded.appdef_path), host_root=str(seeded.host_root),
                  vault=seeded.vault_class, realm=seeded.spec.realm)
    if jarvice_api is not None:
        values.update(jarvice_url=jarvice_api.url, jarvice_user=jarvice_api.username,
                      jarvice_apikey=jarvice_api.apikey)
    values.update(extra)
    return Settings(**values)


def run_live(settings: Settings, ids=(), phase="all", tape: Tape | None = None):
    """The outcome of a live run (tape live unless given)."""
    outcome = execute(settings, Selection(list(ids), phase=phase), tape or Tape("live"))
    outcome.runner.close()
    return outcome
