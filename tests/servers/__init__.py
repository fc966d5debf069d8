"""Real servers for kfdoctor's tests: obtained from package registries, cached, started on loopback."""
