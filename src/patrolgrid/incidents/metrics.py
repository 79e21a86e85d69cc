"""Response-time metrics (接警→派警, 派警→接警, 派警→到场, 到场→处置) per squadron, type or day,
computed from the first time each step was reached. Plain Python over the incidents given."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum

from patrolgrid.incidents.models import (
    CHINA_TIME,
    Incident,
    IncidentStatus,
    IncidentType,
    MetricGroup,
    MetricSummary,
)
from patrolgrid.incidents.service import durations

TYPE_LABELS = {
    IncidentType.congestion: "拥堵",
    IncidentType.accident: "事故",
    IncidentType.illegal_parking: "违停",
    IncidentType.blocking: "占道/堵路",
    IncidentType.assistance: "求助",
    IncidentType.other: "其他",
}
_INTERVALS = (
    "receive_to_dispatch",
    "dispatch_to_accept",
    "dispatch_to_arrive",
    "arrive_to_handled",
)
_DONE = (IncidentStatus.handled.value, IncidentStatus.closed.value)


class GroupBy(StrEnum):
    squadron = "squadron"
    type = "type"
    day = "day"  # the local (China Standard Time) calendar day the incident was received


def summarise(values: Sequence[float]) -> MetricSummary:
    if not values:
        return MetricSummary(count=0, mean_s=None, median_s=None, p90_s=None)
    ordered = sorted(values)
    # Nearest-rank 90th percentile: an actual observed time, as a report would quote it.
    rank = max(0, -(-9 * len(ordered) // 10) - 1)
    return MetricSummary(
        count=len(ordered),
        mean_s=round(statistics.fmean(ordered), 1),
        median_s=round(statistics.median(ordered), 1),
        p90_s=round(ordered[rank], 1),
    )


def group(key: str, label: str, incidents: Iterable[Incident]) -> MetricGroup:
    chosen = list(incidents)
    spans: dict[str, list[float]] = {name: [] for name in _INTERVALS}
    for incident in chosen:
        measured = durations(incident).model_dump()
        for name in _INTERVALS:
            if measured[name] is not None:
                spans[name].append(measured[name])
    return MetricGroup(
        key=key,
        label=label,
        incidents=len(chosen),
        handled=sum(1 for i in chosen if i.status in _DONE),
        receive_to_dispatch=summarise(spans["receive_to_dispatch"]),
        dispatch_to_accept=summarise(spans["dispatch_to_accept"]),
        dispatch_to_arrive=summarise(spans["dispatch_to_arrive"]),
        arrive_to_handled=summarise(spans["arrive_to_handled"]),
    )


def grouped(
    incidents: Sequence[Incident], by: GroupBy, squadron_names: dict[int, str]
) -> list[MetricGroup]:
    key_of: Callable[[Incident], str]
    if by is GroupBy.squadron:
        key_of = lambda i: str(i.squadron_id or "")  # noqa: E731
    elif by is GroupBy.type:
        key_of = lambda i: i.type  # noqa: E731
    else:
        key_of = lambda i: i.created_at.astimezone(CHINA_TIME).date().isoformat()  # noqa: E731
    buckets: dict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        buckets[key_of(incident)].append(incident)

    def label(key: str) -> str:
        if by is GroupBy.squadron:
            return squadron_names.get(int(key), key) if key else "未归属 / unassigned"
        if by is GroupBy.type:
            return TYPE_LABELS.get(IncidentType(key), key)
        return key

    return [group(key, label(key), buckets[key]) for key in sorted(buckets)]
