"""The engine behaves like pytest: injection by name, scopes, teardown, cached failures, skips."""
import time
import types

import pytest

from kfdoctor import Resource, Severity, check, fail, fixture, ok, parametrize, remediation, skip
from kfdoctor.engine.registry import LoadError, Registry
from kfdoctor.engine.runner import Runner


def registry_of(*objects) -> Registry:
    module = types.ModuleType("kfdoctor_test_plugin")
    for obj in objects:
        setattr(module, obj.__name__, obj)
    registry = Registry()
    registry.collect(module)
    registry.validate()
    return registry


def run(registry, ids=None, timeout=5.0, values=None):
    runner = Runner(registry, values, timeout=timeout)
    specs = [registry.checks[i] for i in (ids or sorted(registry.checks))]
    runs = runner.run(specs)
    teardown_errors = runner.close()
    return {r.spec.id: r.findings for r in runs}, teardown_errors


def test_fixtures_are_injected_by_name_and_shared_in_the_session():
    calls = []

    @fixture
    def numbers():
        calls.append("numbers")
        return [1, 2, 3]

    @fixture
    def total(numbers):
        return sum(numbers)

    @check(severity=Severity.LOW)
    def demo_sum(total, numbers):
        """Sum.

        ## Why it matters
        x
        ## Manual fix
        y
        """
        yield ok(Resource("Thing", "t"), f"total {total} of {len(numbers)}")

    @check()
    def demo_again(numbers):
        """Again."""
        yield ok(Resource("Thing", "u"), "again")

    findings, _ = run(registry_of(numbers, total, demo_sum, demo_again))
    assert findings["demo_sum"][0].message == "total 6 of 3"
    assert calls == ["numbers"]  # session scope: created once for both checks


def test_yield_fixtures_tear_down_in_reverse_order():
    events = []

    @fixture
    def first():
        events.append("setup first")
        yield "a"
        events.append("teardown first")

    @fixture
    def second(first):
        events.append("setup second")
        yield first + "b"
        events.append("teardown second")

    @check()
    def demo_teardown(second):
        """T."""
        yield ok(Resource("X", second), "ok")

    run(registry_of(first, second, demo_teardown))
    assert events == ["setup first", "setup second", "teardown second", "teardown first"]


def test_a_failing_fixture_is_cached_and_errors_every_dependent_with_its_root_cause():
    calls = []

    @fixture
    def broken():
        calls.append(1)
        raise RuntimeError("API server said no")

    @fixture
    def derived(broken):
        return broken

    @fixture
    def healthy():
        return 1

    @check()
    def demo_a(derived):
        """A."""
        yield ok(Resource("X", "a"), "never")

    @check()
    def demo_b(broken):
        """B."""
        yield ok(Resource("X", "b"), "never")

    @check()
    def demo_c(healthy):
        """C."""
        yield ok(Resource("X", "c"), "runs")

    findings, _ = run(registry_of(broken, derived, healthy, demo_a, demo_b, demo_c))
    for check_id in ("demo_a", "demo_b"):
        (finding,) = findings[check_id]
        assert finding.status.value == "error"
        assert "fixture 'broken' failed: API server said no" in finding.message
        assert finding.evidence["root_cause"] == "broken"
    assert findings["demo_c"][0].status.value == "pass"
    assert calls == [1]


def test_skip_in_a_fixture_skips_its_dependents_with_the_reason():
    @fixture
    def keycloak_thing():
        skip("Keycloak is not configured")

    @check()
    def demo_kc(keycloak_thing):
        """K."""
        yield ok(Resource("X", "k"), "never")

    findings, _ = run(registry_of(keycloak_thing, demo_kc))
    (finding,) = findings["demo_kc"]
    assert finding.status.value == "skip" and finding.message == "Keycloak is not configured"


def test_a_raising_check_becomes_an_error_and_the_run_goes_on():
    @check()
    def demo_crash():
        """Crash."""
        yield ok(Resource("X", "first"), "fine")
        raise KeyError("spec")

    @check()
    def demo_after():
        """After."""
        yield fail(Resource("X", "y"), "broken y")

    findings, _ = run(registry_of(demo_crash, demo_after))
    assert [f.status.value for f in findings["demo_crash"]] == ["error"]
    assert "KeyError" in findings["demo_crash"][0].message
    assert findings["demo_after"][0].status.value == "fail"


def test_a_check_exceeding_its_timeout_becomes_an_error():
    @check(timeout=0.3)
    def demo_slow():
        """Slow."""
        time.sleep(5)
        yield ok(Resource("X", "z"), "late")

    started = time.monotonic()
    findings, _ = run(registry_of(demo_slow))
    assert time.monotonic() - started < 3
    (finding,) = findings["demo_slow"]
    assert finding.status.value == "error" and "timeout of 0.3s" in finding.message


def test_the_default_timeout_is_configurable():
    @check()
    def demo_sleepy():
        """Sleepy."""
        time.sleep(2)
        yield ok(Resource("X", "z"), "late")

    findings, _ = run(registry_of(demo_sleepy), timeout=0.2)
    assert "timeout of 0.2s" in findings["demo_sleepy"][0].message


def test_parametrize_runs_the_check_once_per_value():
    @check()
    @parametrize("limit", [1, 5])
    def demo_param(limit):
        """P."""
        yield (ok if limit > 2 else fail)(Resource("Limit", str(limit)), f"limit {limit}")

    findings, _ = run(registry_of(demo_param))
    assert [(f.status.value, f.resource.name) for f in findings["demo_param"]] == [
        ("fail", "1"), ("pass", "5")]


def test_unknown_fixture_fails_at_load_time_listing_the_available_ones():
    @fixture
    def nodes():
        return []

    @check()
    def demo_typo(nodez):
        """Typo."""
        yield ok(Resource("X", "x"), "x")

    with pytest.raises(LoadError, match=r"unknown fixture 'nodez'; available fixtures: nodes"):
        registry_of(nodes, demo_typo)


def test_fixture_cycles_and_remediations_of_unknown_checks_fail_at_load_time():
    @fixture
    def ping(pong):
        return 1

    @fixture
    def pong(ping):
        return 2

    with pytest.raises(LoadError, match="cycle"):
        registry_of(ping, pong)

    @remediation("demo_missing")
    def repair(finding):
        """Repair."""

    with pytest.raises(LoadError, match="unknown check 'demo_missing'"):
        registry_of(repair)


def test_one_remediation_per_check():
    @check()
    def demo_fixable():
        """F."""
        yield fail(Resource("X", "x"), "broken")

    @remediation("demo_fixable")
    def repair_one(finding):
        """One."""

    @remediation("demo_fixable")
    def repair_two(finding):
        """Two."""

    module = types.ModuleType("a")
    module.demo_fixable, module.repair_one = demo_fixable, repair_one
    other = types.ModuleType("b")
    other.repair_two = repair_two
    registry = Registry()
    registry.collect(module)
    with pytest.raises(LoadError, match="defined twice"):
        registry.collect(other)


def test_values_injected_by_the_caller_win_over_fixture_definitions():
    @fixture
    def settings():
        return "default"

    @check()
    def demo_settings(settings):
        """S."""
        yield ok(Resource("X", settings), settings)

    findings, _ = run(registry_of(settings, demo_settings), values={"settings": "injected"})
    assert findings["demo_settings"][0].message == "injected"


def test_a_check_that_yields_nothing_is_skipped_not_passed():
    @check()
    def demo_empty():
        """E."""
        return iter(())

    findings, _ = run(registry_of(demo_empty))
    assert findings["demo_empty"][0].status.value == "skip"


def test_independent_fixtures_are_read_concurrently_with_a_bound():
    import threading
    active, peak, lock = [0], [0], threading.Lock()

    def slow_read():
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1
        return 1

    fixtures = []
    for i in range(12):
        f = lambda: slow_read()  # noqa: E731
        f.__name__ = f"read{i}"
        fixtures.append(fixture(f))
    names = ", ".join(f.__name__ for f in fixtures)
    namespace = {"check": check, "ok": ok, "Resource": Resource}
    exec(f"@check()\ndef demo_many({names}):\n    '''M.'''\n    yield ok(Resource('X', 'x'), 'x')",
         namespace)
    registry = registry_of(*fixtures, namespace["demo_many"])
    started = time.monotonic()
    runner = Runner(registry, workers=4)
    runner.run([registry.checks["demo_many"]])
    elapsed = time.monotonic() - started
    assert peak[0] == 4            # bounded by the worker count
    assert elapsed < 12 * 0.2      # yet faster than one read after the other
