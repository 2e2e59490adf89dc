"""Alertmanager's configuration, rendered from who is told at each rung.

``hallmon alertmanager-config --contacts contacts.yaml`` writes
``alertmanager.yml``: one route and one receiver per rung of the ladder
(``severity`` = ``hall_manager``, ``district``, ``city``), each receiver
reaching that rung's people on WeChat Work (企业微信, the Chinese message of
``templates/hallq.tmpl``) and on webhooks, as ``contacts.yaml`` says
(:class:`Contacts`). Alerts are grouped per hall; the exporter alerts (and
``HallNowcastStale``: a broken pool makes all its halls' nowcasts stale) per
exporter.

Inhibition is by hall, service and alert: a higher rung of an alert silences
its lower rungs for the same hall and service (the city's oldest-wait alert on
``payment`` silences the district's and the hall manager's on ``payment``),
and nothing else, so a higher rung never hides another problem of the floor
(the hall manager still hears of ``business`` and of a counter short of
plan). An exporter that cannot be scraped silences its halls' other alerts.

With a :class:`~monitor.ops.timescale.TimeScale` (the demo) the grouping
waits and repeat intervals are divided by its factor, as the rules are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NotRequired, TypedDict

from pydantic import Field

from monitor.ops.timescale import REAL_TIME, TimeScale
from sim.model.fields import FrozenModel
from sim.model.yamltree import read_yaml_file, validate_tree

RUNGS: tuple[str, ...] = ("hall_manager", "district", "city")
RECEIVER = {"hall_manager": "hall-manager", "district": "district", "city": "city",
            "info": "model"}  # fmt: skip
# about an exporter, whichever halls they name: a broken pool makes every hall of its
# exporter's nowcast stale at once
EXPORTER_ALERTS = "HallmonExporterDown|HallmonNotScraped|HallNowcastStale"
Url = Annotated[str, Field(pattern=r"^https?://\S+$")]
Duration = Annotated[str, Field(pattern=r"^[0-9]+[smhd]$")]


class Route(TypedDict):
    """One route of ``alertmanager.yml`` (the top one also has the waits)."""

    receiver: str
    matchers: NotRequired[list[str]]
    group_by: NotRequired[list[str]]
    group_wait: NotRequired[str]
    group_interval: NotRequired[str]
    repeat_interval: str
    routes: NotRequired[list[Route]]


class WebhookConfig(TypedDict):
    url: str
    send_resolved: bool


class Receiver(TypedDict):
    name: str
    wechat_configs: NotRequired[list[dict[str, str | bool]]]
    webhook_configs: NotRequired[list[WebhookConfig]]


class Inhibit(TypedDict):
    source_matchers: list[str]
    target_matchers: list[str]
    equal: list[str]


# `global` is a Python keyword: the functional form names it
AlertmanagerConfig = TypedDict(
    "AlertmanagerConfig",
    {
        "global": dict[str, str],
        "templates": list[str],
        "route": Route,
        "inhibit_rules": list[Inhibit],
        "receivers": list[Receiver],
    },
)


class WeChat(FrozenModel):
    """The WeChat Work application that sends the messages."""

    api_url: Url = "https://qyapi.weixin.qq.com/cgi-bin/"
    corp_id: Annotated[str, Field(min_length=1)]
    api_secret: Annotated[str, Field(min_length=1)]
    agent_id: Annotated[str, Field(min_length=1)]


class Rung(FrozenModel):
    """Who is told at one rung: ``who`` (for people: the runbook names them),
    WeChat Work users (``wechat_to_user``, ``|``-separated) or departments
    (``wechat_to_party``), webhooks, and how often a firing alert is repeated."""

    who: Annotated[str, Field(min_length=1)]
    wechat_to_user: str | None = None
    wechat_to_party: str | None = None
    webhooks: tuple[Url, ...] = ()
    repeat: Duration = "1h"


class Contacts(FrozenModel):
    """``contacts.yaml``: the WeChat Work application, the three rungs and,
    apart from the ladder, who owns the halls' models (``model``: told of
    ``HallModelDrift`` and ``HallModelClosed``, severity ``info``; without it,
    the city rung is)."""

    wechat: WeChat | None = None
    resolve_timeout: Duration = "5m"
    hall_manager: Rung
    district: Rung
    city: Rung
    model: Rung | None = None

    def rung(self, severity: str) -> Rung:
        found: Rung | None = self.model if severity == "info" else getattr(self, severity)
        assert found is not None, severity
        return found


def load_contacts(path: Path) -> Contacts:
    """``path`` validated (a :class:`~sim.model.scenario.ScenarioError` naming
    the YAML path and value otherwise)."""
    return validate_tree(Contacts, read_yaml_file(path), str(path))


def _receiver(contacts: Contacts, severity: str) -> Receiver:
    rung = contacts.rung(severity)
    receiver: Receiver = {"name": RECEIVER[severity]}
    if contacts.wechat is not None and (rung.wechat_to_user or rung.wechat_to_party):
        wechat: dict[str, str | bool] = {
            "send_resolved": True,
            "agent_id": contacts.wechat.agent_id,
        }
        if rung.wechat_to_user:
            wechat["to_user"] = rung.wechat_to_user
        if rung.wechat_to_party:
            wechat["to_party"] = rung.wechat_to_party
        wechat |= {"message_type": "text", "message": '{{ template "hallq.wechat.message" . }}'}
        receiver["wechat_configs"] = [wechat]
    if rung.webhooks:
        receiver["webhook_configs"] = [{"url": u, "send_resolved": True} for u in rung.webhooks]
    return receiver


def alertmanager_config(
    contacts: Contacts, scale: TimeScale = REAL_TIME, templates: str = "templates/*.tmpl"
) -> AlertmanagerConfig:
    """The ``alertmanager.yml`` tree for ``contacts`` (see the module docstring);
    ``templates``: where the message templates are (beside the file by default)."""
    d = scale.duration
    global_: dict[str, str] = {"resolve_timeout": contacts.resolve_timeout}
    if contacts.wechat is not None:
        global_ |= {
            "wechat_api_url": contacts.wechat.api_url,
            "wechat_api_corp_id": contacts.wechat.corp_id,
            "wechat_api_secret": contacts.wechat.api_secret,
        }
    routes: list[Route] = [
        {
            "receiver": RECEIVER[severity],
            "matchers": [f'severity="{severity}"'],
            "repeat_interval": d(contacts.rung(severity).repeat),
        }
        for severity in RUNGS
    ]
    # one message per exporter, listing its halls, not one per hall
    routes[-1]["routes"] = [
        {
            "receiver": RECEIVER["city"],
            "matchers": [f'alertname=~"{EXPORTER_ALERTS}"'],
            "group_by": ["instance"],
            "repeat_interval": "1h",
        }
    ]
    if contacts.model is not None:  # no rung: the hall's model has left the live stream
        routes.insert(
            2,
            {
                "receiver": RECEIVER["info"],
                "matchers": ['severity="info"'],
                "group_by": ["hall", "quantity"],
                "repeat_interval": d(contacts.model.repeat),
            },
        )
    lower = {"city": "district|hall_manager", "district": "hall_manager"}
    inhibit: list[Inhibit] = [
        {
            "source_matchers": [f'severity="{higher}"'],
            "target_matchers": [f'severity=~"{lower[higher]}"'],
            "equal": ["hall", "service", "alertname"],
        }
        for higher in ("city", "district")
    ]
    inhibit.append(
        {
            "source_matchers": ['alertname="HallmonExporterDown"'],
            "target_matchers": ['alertname!="HallmonExporterDown"'],
            "equal": ["hall"],
        }
    )
    return {
        "global": global_,
        "templates": [templates],
        "route": {
            "receiver": RECEIVER["city"],  # anything without a rung lands with the ops centre
            "group_by": ["hall"],
            "group_wait": d("30s"),  # gather a hall's alerts that fire together
            "group_interval": d("5m"),  # a new alert for a hall already notified waits this long
            "repeat_interval": d("2h"),
            "routes": routes,
        },
        "inhibit_rules": inhibit,
        "receivers": [
            _receiver(contacts, severity)
            for severity in (*RUNGS, "info")
            if severity != "info" or contacts.model is not None
        ],
    }


HEADER = """\
# Alertmanager for hallq, written by `hallmon alertmanager-config --contacts {source}`
# from who is told at each rung: regenerate, do not edit. One route and one
# receiver per rung of the escalation ladder (hall manager → district → city),
# matched on the `severity` label of the alert rules. Alerts are grouped per
# hall; a higher rung of an alert silences its lower rungs for the same hall
# and service only; an exporter that cannot be scraped silences its halls.
"""


def render_alertmanager_config(
    contacts: Contacts,
    scale: TimeScale = REAL_TIME,
    *,
    source: str = "contacts.yaml",
    templates: str = "templates/*.tmpl",
) -> str:
    """The text of ``alertmanager.yml``."""
    from monitor.ops.prometheus_config import dump_yaml

    note = "" if scale.real_time else f"# Time scale {scale.factor:g}: waits divided by it.\n"
    tree = alertmanager_config(contacts, scale, templates)
    return HEADER.format(source=source) + note + dump_yaml(tree)
