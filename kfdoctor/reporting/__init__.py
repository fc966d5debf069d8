"""Writers that render one RunResult: terminal, JSON, HTML, JUnit, Markdown, Prometheus."""
