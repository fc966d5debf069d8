"""The Go-duration parser used for oauth2-proxy's cookie_expire / cookie_refresh."""
import pytest

from kfdoctor.durations import DurationError, format_seconds, parse_duration


@pytest.mark.parametrize("text,seconds", [
    ("168h0m0s", 168 * 3600), ("2h", 7200), ("30m", 1800), ("1h30m", 5400), ("24h", 86400),
    ("0", 0), ("0s", 0), ("-1m", -60), ("+5s", 5), ("1.5h", 5400), (".5m", 30), ("300ms", 0.3),
    ("1h0m0.5s", 3600.5), ("2m3s4ms", 123.004), ("10us", 1e-5), ("10µs", 1e-5), ("7ns", 7e-9),
    (" 2h ", 7200),
])
def test_valid(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("value,seconds", [(0, 0), (3_600_000_000_000, 3600)])
def test_integers_are_nanoseconds(value, seconds):
    assert parse_duration(value) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "1d", "h", "2h30", "1x", "--1s", "1h 30m", "abc", "-", True])
def test_invalid(text):
    with pytest.raises(DurationError):
        parse_duration(text)


def test_error_says_what_is_wrong():
    with pytest.raises(DurationError, match="unknown unit 'd'"):
        parse_duration("1d")
    with pytest.raises(DurationError, match="missing unit"):
        parse_duration("90")


@pytest.mark.parametrize("seconds,text", [(7800, "2h10m"), (300, "5m"), (45, "45s"), (0, "0s"),
                                          (86400, "24h"), (3661, "1h1m1s")])
def test_format(seconds, text):
    assert format_seconds(seconds) == text
