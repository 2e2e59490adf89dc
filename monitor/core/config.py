"""The exporter's configuration: one YAML file listing the halls it serves,
validated once by :func:`load_settings` into a frozen :class:`Settings`.

A hall names the scenario its forecast and nowcast simulate (a path relative to
the config file) and how its ticket system authenticates: ``token_env`` (the
name of an environment variable holding the token, read when the settings are
loaded) or ``token_sha256`` (the hex SHA-256 of the token, from
``hallmon hash-token``). A plain token never appears in the file. Every
problem is a :class:`ConfigError` naming the YAML path and the bad value (for a
bad scenario file: the hall, the scenario's path and the scenario's problem).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitor.core.etaconfig import EtaConfig, NotifyConfig

# the limits' and the models' sections live in their own modules; their names
# stay importable from here, where the config is read
from monitor.core.limitsconfig import HallLimitsConfig as HallLimitsConfig
from monitor.core.limitsconfig import HallLimitsOverride as HallLimitsOverride
from monitor.core.limitsconfig import LimitsConfig as LimitsConfig
from monitor.core.modelconfig import DriftConfig, LearnConfig
from monitor.core.modelconfig import ForecastConfig as ForecastConfig
from monitor.core.modelconfig import NowcastConfig as NowcastConfig
from monitor.core.modelconfig import NowcastPrecision as NowcastPrecision
from monitor.core.placeconfig import (
    CityMapConfig,
    Location,
    counter_services,
    offered_problems,
    read_outline,
)
from monitor.core.plan import PlannedShift, RosterError, read_roster

# which halls an exporter of a sharded province serves; importable from here
from monitor.core.shards import in_shard as in_shard
from monitor.core.shards import parse_shard as parse_shard
from sim.model.errors import InputError
from sim.model.fields import DurationS, FrozenModel
from sim.model.scenario import Scenario, load_scenario, scenario_from_dict
from sim.model.yamltree import (
    ScenarioError,
    parse_yaml,
    read_text_file,
    read_yaml_file,
    validate_tree,
)

_SHA256 = re.compile(r"[0-9a-f]{64}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DEFAULT_PORT = 9180  # hallmon serve --port


class ConfigError(InputError):
    """A config that cannot be served; the message names the file, the YAML
    path and the bad value, one problem per line."""


class HallConfig(FrozenModel):
    """One hall as written in the config file."""

    id: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    """The hall's id: the ``hall`` of its events and the label of its metrics."""
    name: str | None = None
    """Display name on the pages and in alerts; default: the scenario's name, else the id."""
    district: str = ""
    """District (区县) the hall belongs to: the region dashboards and the alert ladder's second
    rung group by it."""
    city: str = ""
    """City (城市) the hall belongs to, for the same, and the city wait map it is drawn on."""
    location: Location | None = None
    """Where the hall is, ``{lat: 23.1291, lon: 113.2644}`` (degrees): the city wait map draws
    it there and adds the travel to it; absent: listed, not drawn."""
    services: Annotated[tuple[str, ...], Field(min_length=1)] | None = None
    """The services the hall offers (ids of its scenario's services), which the city wait map
    ranks it for; default: every service a counter of its scenario serves."""
    scenario: Path
    """The hall's scenario, which its forecast and nowcast simulate (relative to the config
    file)."""
    target: DurationS | None = None
    """The target wait; default: the scenario's ``target.wait``."""
    objective: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    """Share of customers to be called within the target; default: the scenario's
    ``target.service_level``."""
    token_env: str | None = None
    """Name of the environment variable that holds the hall's ingest token (read when the
    config is loaded)."""
    token_sha256: str | None = None
    """Or the SHA-256 of the ingest token, from ``hallmon hash-token``. Give exactly one of the
    two."""
    clock: Literal["wall", "events"] | None = None
    """The hall's clock: ``wall`` (real ticket systems) or ``events`` (its latest event:
    replays at speed); default: the file's ``clock``."""
    limits: HallLimitsOverride = HallLimitsOverride()
    """The hall's own limits (any key of the file's ``limits.hall``); default: the file's."""
    learn: LearnConfig | None = None
    """The hall's nightly learning; default: the file's ``learn`` (``{enabled: false}`` turns
    it off for this hall)."""
    roster: Path | None = None
    """The plan the hall is measured against: a roster file, the shifts of ``hallsim roster
    --json`` (relative to the config file); default: the scenario's schedule for the day."""

    @model_validator(mode="after")
    def _one_token(self) -> HallConfig:
        if (self.token_env is None) == (self.token_sha256 is None):
            raise ValueError("give exactly one of token_env or token_sha256")
        if self.token_env is not None and not _ENV_NAME.fullmatch(self.token_env):
            raise ValueError(f"token_env {self.token_env!r} is not an environment variable name")
        if self.token_sha256 is not None and not _SHA256.fullmatch(self.token_sha256):
            raise ValueError("token_sha256 must be 64 lower-case hex digits (hallmon hash-token)")
        return self


class _Serving(FrozenModel):
    """What the file sets for the whole exporter, with the defaults of both the
    file and :class:`Settings` (defined once, here)."""

    store: Path = Path("hallmon.db")
    """The event store (SQLite), relative to the working directory; ``hallmon serve --store``
    overrides it."""
    synchronous: Literal["full", "normal"] = "full"
    """``full``: every acknowledged batch is on disk (survives power loss); ``normal``: faster,
    the last batches may be lost on power loss."""
    max_body_bytes: Annotated[int, Field(ge=1024)] = 4 * 1024 * 1024
    """Largest ingest request body; beyond, 413."""
    workers: Annotated[int, Field(ge=1)] | None = None
    """Processes that simulate forecasts and nowcasts; default: the number of CPUs."""
    dask: Annotated[str, Field(pattern=r"^[a-z]+://\S+$")] | None = None
    """A Dask scheduler (``tcp://host:8786``) the nightly fits run on: the exporter reads each
    fit's days from its store and sends them with the job, so the Dask workers need no access
    to the store, only hallq installed (``hallq[dask]``); absent: the fits run in ``workers``."""
    nowcast: NowcastConfig = NowcastConfig()
    """The nowcast: the expected wait of a ticket taken now and in 15, 30 and 60 minutes."""
    forecast: ForecastConfig = ForecastConfig()
    """The day forecast the live queue is compared with."""
    alertmanager_url: Annotated[str, Field(pattern=r"^https?://[^\s]+$")] | None = None
    """An Alertmanager whose alerts the pages show by rung (its v2 API: firing, silenced,
    inhibited); absent: no alerts on the pages, unless ``prometheus_url`` is set."""
    prometheus_url: Annotated[str, Field(pattern=r"^https?://[^\s]+$")] | None = None
    """A Prometheus whose alerts the pages show by rung, firing and pending (its
    ``/api/v1/alerts``); with ``alertmanager_url`` too, Alertmanager says which are silenced
    or inhibited."""
    max_label_values: Annotated[int, Field(ge=0)] = 50
    """Names of services, segments and counters a hall's events may use that its scenario does
    not know, per dimension and day; beyond, they are published as ``other``."""
    future_slack: Annotated[DurationS, Field(ge=0.0)] = 300.0
    """Events dated further ahead of the wall clock are stored but quarantined: never applied."""
    limits: LimitsConfig = LimitsConfig()
    """What one client may hold of the server."""
    metrics: Literal["full", "compact"] = "full"
    """The metric set ``/metrics`` publishes: ``full``, or ``compact`` for very large
    deployments: the wait and service-time histograms per hall instead of per service (see
    "Metric sets" in the metrics reference)."""
    drift: DriftConfig = DriftConfig()
    """The drift test of every hall's live stream against its model."""
    city_map: CityMapConfig = CityMapConfig()
    """The city wait map: the travel speed it ranks by and the outlines of the cities."""
    eta: EtaConfig = EtaConfig()
    """A waiting ticket's predicted call time (``/v1/halls/{hall}/tickets/{ticket}/eta``)."""
    notify: NotifyConfig | None = None
    """"Your turn in about 10 minutes" messages to ticket holders; absent: none are sent."""


class FileConfig(_Serving):
    """The config file as written."""

    clock: Literal["wall", "events"] = "wall"
    """Every hall's clock unless the hall sets its own: ``wall`` or ``events``."""
    learn: LearnConfig | None = None
    """Every hall's nightly learning unless the hall sets its own; absent: no hall learns."""
    halls: Annotated[tuple[HallConfig, ...], Field(min_length=1)]
    """The halls this exporter serves."""
    read_token_env: str | None = None
    """Name of the environment variable holding the token for the read API, ``/metrics`` and
    the pages; absent (and no ``read_token_sha256``): anyone may read."""
    read_token_sha256: str | None = None
    """Or the SHA-256 of the read token, from ``hallmon hash-token``."""

    @model_validator(mode="after")
    def _read_token(self) -> FileConfig:
        if self.read_token_env is not None and self.read_token_sha256 is not None:
            raise ValueError("give at most one of read_token_env or read_token_sha256")
        if self.read_token_env is not None and not _ENV_NAME.fullmatch(self.read_token_env):
            raise ValueError(
                f"read_token_env {self.read_token_env!r} is not an environment variable name"
            )
        if self.read_token_sha256 is not None and not _SHA256.fullmatch(self.read_token_sha256):
            raise ValueError(
                "read_token_sha256 must be 64 lower-case hex digits (hallmon hash-token)"
            )
        return self

    @model_validator(mode="after")
    def _unique_ids(self) -> FileConfig:
        seen: set[str] = set()
        for hall in self.halls:
            if hall.id in seen:
                raise ValueError(f"hall id {hall.id!r} appears twice")
            seen.add(hall.id)
        return self


class Hall(BaseModel):
    """A hall ready to serve: its config, its loaded scenario and its token hash."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    id: str
    name: str
    district: str
    city: str
    scenario: Scenario
    target_wait_s: float
    objective: float
    token_sha256: str
    clock: Literal["wall", "events"]
    limits: HallLimitsConfig = HallLimitsConfig()
    learn: LearnConfig | None = None  # None: no nightly learning
    # configured: the config's scenario; cold_start: a new hall's sketch completed
    source: Literal["configured", "cold_start"] = "configured"
    # the configured model as YAML: the scenario file's text, or the completed sketch
    # (the model registry keeps it, and tells a changed file by it)
    scenario_text: str = ""
    roster: tuple[PlannedShift, ...] | None = None  # None: the scenario's schedule is the plan
    location: Location | None = None  # None: not on the city map
    services: tuple[str, ...] = ()  # the services it offers (its scenario's ids)


class Settings(_Serving):
    """Everything :func:`monitor.server.app.create_app` needs."""

    halls: tuple[Hall, ...]
    read_token_sha256: str | None = None


def token_hash(token: str) -> str:
    """The hex SHA-256 of a token (tokens are long random strings, so a fast
    hash is enough; the file never holds the token itself)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _named(path: Path, exc: ScenarioError) -> list[str]:
    """The lines of ``exc``, each starting with the file it is about."""
    return [
        line if line.startswith(str(path)) else f"{path}: {line}" for line in str(exc).splitlines()
    ]


def _hall_scenario(
    path: Path, learn: LearnConfig | None, base: Path
) -> tuple[Scenario, Literal["configured", "cold_start"], str]:
    """The hall's configured model and its YAML text: its scenario file (the
    text as written), or for a new hall's sketch (a file without ``arrivals``)
    the sketch completed by the cold start (:mod:`sim.model.coldstart`, from
    ``learn.cold_start`` or the stated default)."""
    from sim.model.coldstart import cold_start, is_sketch
    from sim.model.scenario_io import scenario_yaml

    text = read_text_file(path)
    tree = parse_yaml(text, source=str(path))
    if not is_sketch(tree):
        return scenario_from_dict(tree, source=str(path)), "configured", text
    assert isinstance(tree, dict)
    template = None
    if learn is not None and learn.cold_start is not None:
        where = learn.cold_start if learn.cold_start.is_absolute() else base / learn.cold_start
        template = load_scenario(where)
    completed = cold_start(tree, template)
    note = f"the cold start of {path.name}"
    return completed, "cold_start", scenario_yaml(completed, comment=note)


def load_settings(
    path: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    shard: tuple[int, int] = (0, 1),
    store: Path | None = None,
) -> Settings:
    """Read and validate the config file at ``path``, load each hall's scenario
    and resolve its token. Only the halls of ``shard`` are kept. Raises
    :class:`ConfigError` naming the path and value of every problem."""
    path = Path(path)
    environ = os.environ if environ is None else environ
    try:
        conf = validate_tree(FileConfig, read_yaml_file(path), str(path))
    except ScenarioError as exc:  # the same YAML reader and messages as scenarios
        raise ConfigError("\n".join(_named(path, exc))) from None
    base = path.parent
    halls: list[Hall] = []
    problems: list[str] = []
    for i, hc in enumerate(conf.halls):
        if not in_shard(hc.id, shard):
            continue
        where = f"{path}: halls[{i}]"
        scenario_path = hc.scenario if hc.scenario.is_absolute() else base / hc.scenario
        learn = hc.learn if hc.learn is not None else conf.learn
        if learn is not None and not learn.enabled:
            learn = None
        try:
            scn, source, text = _hall_scenario(scenario_path, learn, base)
        except ScenarioError as exc:
            problems.extend(f"{where}.scenario: {line}" for line in _named(scenario_path, exc))
            continue
        if hc.services is not None and (bad := offered_problems(hc.services, scn, where)):
            problems.extend(bad)
            continue
        roster = None
        if hc.roster is not None:
            try:
                roster = read_roster(
                    hc.roster if hc.roster.is_absolute() else base / hc.roster, scn
                )
            except RosterError as exc:
                problems.append(f"{where}.roster: {exc}")
                continue
        if hc.token_env is not None:
            token = environ.get(hc.token_env)
            if not token:
                problems.append(
                    f"{where}.token_env: environment variable {hc.token_env} is not set"
                )
                continue
            digest = token_hash(token)
        else:
            assert hc.token_sha256 is not None
            digest = hc.token_sha256
        halls.append(
            Hall(
                id=hc.id,
                name=hc.name or scn.name or hc.id,
                district=hc.district,
                city=hc.city,
                scenario=scn,
                target_wait_s=hc.target if hc.target is not None else scn.target.wait,
                objective=hc.objective if hc.objective is not None else scn.target.service_level,
                token_sha256=digest,
                clock=hc.clock or conf.clock,
                limits=hc.limits.over(conf.limits.hall),
                learn=learn,
                source=source,
                scenario_text=text,
                roster=roster,
                location=hc.location,
                services=hc.services or counter_services(scn),
            )
        )
    digests = [h.token_sha256 for h in halls]
    if len(set(digests)) != len(digests):
        problems.append(f"{path}: two halls share a token; each hall needs its own")
    read_digest = conf.read_token_sha256
    if conf.read_token_env is not None:
        read_token = environ.get(conf.read_token_env)
        if read_token:
            read_digest = token_hash(read_token)
        else:
            problems.append(
                f"{path}: read_token_env: environment variable {conf.read_token_env} is not set"
            )
    if read_digest is not None and read_digest in digests:
        problems.append(f"{path}: the read token is a hall's ingest token; give it its own")
    outlines = {
        city: where if where.is_absolute() else base / where
        for city, where in conf.city_map.outlines.items()
    }
    for city, outline in outlines.items():
        try:
            read_outline(outline)
        except ValueError as exc:
            problems.append(f"{path}: city_map.outlines.{city}: {exc}")
    if problems:
        raise ConfigError("\n".join(problems))
    serving = {name: getattr(conf, name) for name in _Serving.model_fields}
    city_map = conf.city_map.model_copy(update={"outlines": outlines})
    return Settings(
        **serving | {"store": store or conf.store, "city_map": city_map},
        halls=tuple(halls),
        read_token_sha256=read_digest,
    )
