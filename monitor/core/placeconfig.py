"""The config of where halls are and what they offer (:mod:`monitor.core.config`
holds the rest): a hall's ``location`` and ``services``, and the file's
``city_map`` section (travel speed, city outlines) that the city wait map
(:mod:`monitor.core.citymap`, ``/v1/cities/{city}/halls``) reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import Field

from sim.model.fields import FrozenModel
from sim.model.scenario import Scenario

# the outlines shipped with hallmon (outlines/README.md says where they come from), by the
# city name halls give in ``city:``
OUTLINES = Path(__file__).resolve().parent / "outlines"
BUNDLED_OUTLINES: dict[str, str] = {"广州": "guangzhou.geojson"}
_GEOJSON_TYPES = {"FeatureCollection", "Feature", "Polygon", "MultiPolygon"}


class Location(FrozenModel):
    """A point in degrees, in the coordinate system of the city's outline (the
    bundled outlines are GCJ-02, as Chinese map apps give coordinates)."""

    lat: Annotated[float, Field(ge=-90.0, le=90.0)]
    """Latitude, degrees north (-90 to 90)."""
    lon: Annotated[float, Field(ge=-180.0, le=180.0)]
    """Longitude, degrees east (-180 to 180)."""


class CityMapConfig(FrozenModel):
    """How the city wait map reckons travel, and the outlines it draws."""

    speed_km_per_h: Annotated[float, Field(gt=0.0, le=200.0)] = 15.0
    """Speed over the straight-line distance from the customer to a hall: the travel time the
    ranking adds to the wait (15 km/h: city traffic, or a bicycle, over the bee line)."""
    outlines: dict[str, Path] = Field(default_factory=dict)
    """A city's outline as GeoJSON (a Polygon, MultiPolygon, Feature or FeatureCollection; a
    path relative to the config file), by the name its halls give in ``city``; the bundled
    outlines (广州) need no entry."""


def counter_services(scn: Scenario) -> tuple[str, ...]:
    """The services some counter of ``scn`` serves, in the scenario's order:
    what a hall offers unless its config says otherwise."""
    served = {name for group in scn.counters for name in group.services}
    return tuple(name for name in scn.services if name in served)


def offered_problems(services: tuple[str, ...], scn: Scenario, where: str) -> list[str]:
    """One line per service of ``services`` that ``scn`` does not know, naming
    its path ``where.services[i]`` and the services the scenario knows."""
    known = ", ".join(scn.services)
    return [
        f"{where}.services[{i}]: {name!r} is not a service of the hall's scenario (known: {known})"
        for i, name in enumerate(services)
        if name not in scn.services
    ]


def read_outline(path: Path) -> dict[str, object]:
    """The GeoJSON at ``path``, checked to be an outline; ValueError naming why not."""
    try:
        tree = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from None
    if not isinstance(tree, dict) or tree.get("type") not in _GEOJSON_TYPES:
        kinds = ", ".join(sorted(_GEOJSON_TYPES))
        raise ValueError(f"{path} is not a GeoJSON outline (its type must be one of {kinds})")
    return tree


def outline_path(conf: CityMapConfig, city: str) -> Path | None:
    """The outline file of ``city``: the configured one, else the bundled one,
    else ``None``."""
    if city in conf.outlines:
        return conf.outlines[city]
    bundled = BUNDLED_OUTLINES.get(city)
    return None if bundled is None else OUTLINES / bundled
