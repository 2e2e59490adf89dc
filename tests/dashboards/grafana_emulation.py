"""What Grafana does with a dashboard before Prometheus sees a query, done
here the way Grafana 11 documents and implements it, so that the tests can
run every panel's PromQL against a real Prometheus without a Grafana server:

* variable queries: ``label_values(selector, label)`` becomes
  ``/api/v1/label/<label>/values?match[]=selector``; ``query_result(expr)`` an
  instant query whose samples are rendered ``name{l1="v1",l2="v2"} value ts``
  (labels in the order Prometheus returns them) and matched against the
  variable's regex, whose named groups ``value`` and ``text`` give the option;
* interpolation: ``$name``, ``${name}`` and ``[[name]]`` replaced by the chosen
  value (a multi-value variable used in a regex matcher as ``(a|b)``, ``All``
  as its ``allValue``), built-ins (``$__rate_interval``, ``$__range``...) by
  the values Grafana would compute for the test's scrape interval; a name
  that is no variable (``$1`` in ``label_replace``) is left as it is.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]")
LABEL_VALUES = re.compile(r"^label_values\((?:(.*),\s*)?(\w+)\)$")
QUERY_RESULT = re.compile(r"^query_result\((.*)\)$")
# what Grafana gives its built-ins for a 1 s scrape interval and a few minutes' range
BUILTINS = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
}


def interpolate(text: str, values: Mapping[str, str]) -> str:
    """``text`` with every variable reference replaced as Grafana does."""

    def replace(match: re.Match[str]) -> str:
        name = next(g for g in match.groups() if g is not None)
        if name in values:
            return values[name]
        return BUILTINS.get(name, match.group(0))

    return VARIABLE.sub(replace, text)


def variable_names(text: str) -> set[str]:
    """Names of the variables ``text`` refers to."""
    return {next(g for g in m.groups() if g is not None) for m in VARIABLE.finditer(text)}


def _js_regex(regex: str) -> re.Pattern[str]:
    """A Grafana variable regex (``/…/``, JavaScript named groups) for Python."""
    assert regex.startswith("/") and regex.endswith("/"), regex
    return re.compile(regex[1:-1].replace("(?<", "(?P<"))


def variable_options(
    prometheus: str, variable: Mapping[str, Any], values: Mapping[str, str]
) -> list[tuple[str, str]]:
    """The options ``(value, text)`` a query variable offers, given the values
    of the variables before it."""
    query = variable["query"]
    text = interpolate(query if isinstance(query, str) else query["query"], values)
    found: list[tuple[str, str]] = []
    if m := LABEL_VALUES.match(text):
        params = {"match[]": m.group(1)} if m.group(1) else {}
        body = httpx.get(f"{prometheus}/api/v1/label/{m.group(2)}/values", params=params).json()
        assert body["status"] == "success", body
        found = [(v, v) for v in body["data"]]
    elif m := QUERY_RESULT.match(text):
        body = httpx.get(f"{prometheus}/api/v1/query", params={"query": m.group(1)}).json()
        assert body["status"] == "success", body
        for sample in body["data"]["result"]:
            labels = dict(sample["metric"])
            name = labels.pop("__name__", "")
            line = name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
            line += f" {sample['value'][1]} {int(float(sample['value'][0]) * 1000)}"
            found.append((line, line))
    else:
        raise AssertionError(f"variable {variable['name']}: unknown query {text!r}")
    regex = variable.get("regex")
    if not regex:
        return found
    pattern, options = _js_regex(regex), []
    for value, _ in found:
        hit = pattern.search(value)
        if hit:
            groups = hit.groupdict()
            chosen = groups.get("value") or hit.group(1)
            options.append((chosen, groups.get("text") or chosen))
    return options


def panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel but rows, including those a collapsed row holds."""
    for panel in dashboard.get("panels", []):
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def run_target(prometheus: str, target: Mapping[str, Any], expr: str) -> list[dict[str, Any]]:
    """The query as the panel runs it: instant at now, or a range over the
    last two minutes at a 5 s step; the series returned."""
    if target.get("instant") and not target.get("range"):
        params: dict[str, str | float] = {"query": expr}
        path = "query"
    else:
        now = time.time()
        params, path = {"query": expr, "start": now - 120, "end": now, "step": 5}, "query_range"
    body = httpx.get(f"{prometheus}/api/v1/{path}", params=params, timeout=30).json()
    assert body["status"] == "success", f"{expr}: {body}"
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def has_numbers(result: list[dict[str, Any]]) -> bool:
    """True if some series holds a finite number (NaN is not data)."""
    for series in result:
        points = series.get("values") or [series.get("value")]
        if any(p is not None and math.isfinite(float(p[1])) for p in points):
            return True
    return False
