"""Rollup tables: compute every indicator for a period once, read the pages from them.

A period is open until `period_close_days` after its end; the nightly job then computes
it one last time with as_of at the close and freezes it (docs/adr/0021-frozen-periods.md).
Frozen rollups are never rewritten; records stored after the close are counted as late
on the period's row and shown beside, not inside, its figures.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from core.clock import now_utc
from core.models import (
    RECORD_CLASSES,
    MetricPeriod,
    MetricRollup,
    QualityFlag,
    ServiceRecord,
    Township,
)
from server.metrics import compute, parallel, vaccines
from server.metrics import keys as K
from server.metrics.definitions import PERIOD, SUPPORTED, Period, parse_period, periods_of_year
from server.metrics.population import (
    CST,
    Window,
    Windows,
    live_records,
    make_window,
    materialized,
)
from server.metrics.sql import batch_settings

# Windows from which a batch builds its population as temporary tables: for the two or
# three windows of a nightly run, building them costs more than rebuilding the CTEs.
MATERIALIZE_FROM = 6
FOLLOWUP_KINDS = ("hypertension_followup", "diabetes_followup")
COVERAGE = (K.RECORD_COVERAGE, K.E_RECORD_COVERAGE)


def close_instant(session: Session, township_id: int, period: Period, settings: dict) -> \
        dt.datetime:
    """When a period closes: midnight (China time) after its last grace day."""
    del session, township_id
    days = int(settings.get("period_close_days", {}).get("days", 10))
    day = period.end + dt.timedelta(days=days + 1)
    return dt.datetime.combine(day, dt.time(0, 0), CST).astimezone(dt.UTC)


def compute_period(session: Session, w: Window, cache: dict | None = None) -> list[dict]:
    """Every rollup row of one window: indicators, workload and quality counts.

    `cache` holds results already computed for this window's dates, by `compute_windows`
    (every open period in one pass per indicator); windows with the same dates share
    them (a quarter and its last month, year to date: docs/adr/0020-denominators.md).
    Anything missing is computed here, for this window alone."""
    acc: dict[tuple, list] = defaultdict(lambda: [0, None])

    def add(scope: str, scope_id: int | None, indicator: str, num, den) -> None:
        if scope_id is None:
            return
        cell = acc[(scope, scope_id, indicator)]
        cell[0] += int(num or 0)
        if den is not None:
            cell[1] = (cell[1] or 0) + int(den)

    def add_all(village_id, doctor_id, indicator, num, den) -> None:
        add("township", w.township_id, indicator, num, den)
        add("village", village_id, indicator, num, den)
        add("doctor", doctor_id, indicator, num, den)

    def cached(name: str, whole_period: bool, compute_one):
        key = (name, w.key(whole_period))
        if cache is None or key not in cache:
            rows = compute_one()
            if cache is not None:
                cache[key] = rows
            return rows
        return cache[key]

    for ind in SUPPORTED:
        rows = cached(ind.key, ind.window == PERIOD,
                      lambda ind=ind: compute.aggregate(session, w, ind.key))
        for village_id, doctor_id, num, den in rows:
            add_all(village_id, doctor_id, ind.key, num, den)
        if ind.unit == "rate":  # an empty denominator still shows as 0 / 0
            add("township", w.township_id, ind.key, 0, 0)
            for v in w.village_ids:
                add("village", v, ind.key, 0, 0)
    _apply_population(w, acc)
    for village_id, doctor_id, kind, phone, n in cached(
            "workload", True, lambda: compute.workload(session, w)):
        add_all(village_id, doctor_id, f"work:{kind}", n, None)
        if phone:
            add_all(village_id, doctor_id, f"phone:{kind}", n, None)
    vaccines.add_rollups(session, w, add_all, cache)  # per vaccine and dose: "vacc:HepB:2"
    for village_id, doctor_id, check, n in cached(
            "quality", True, lambda: quality_counts(session, w)):
        add_all(village_id, doctor_id, f"quality:{check}", n, None)
    return [{"township_id": w.township_id, "period": w.period.key, "scope": s,
             "scope_id": sid, "indicator": ind, "numerator": num, "denominator": den}
            for (s, sid, ind), (num, den) in sorted(acc.items())]


def compute_windows(session: Session, windows: list[Window], workers: int = 1,
                    alongside: Callable[[], object] | None = None,
                    extra: dict[str, Callable] | None = None) -> dict:
    """A cache for `compute_period` holding every window's results, one query per
    indicator for all of them (docs/adr/0026-multi-period-rollups.md).

    Windows with the same dates are computed once: year-to-date indicators ignore the
    period's own start, so a quarter and its last month are one window for them.

    With `workers` > 1 the windows are dealt into that many shares, and each share's
    queries go to the connections of server/metrics/parallel.py, reading one snapshot
    of committed data (docs/adr/0038-parallel-recompute.md; the caller must not hold a
    write transaction then: on SQLite the snapshot waits for it); a share's temporary
    tables are built on one connection. `alongside` runs on this session meanwhile (the
    quality checks: the quality counts are read after it). `extra` queries,
    `fn(session, batch)` by name, run with the rest; their results are in the cache under
    their names."""
    shares = max(1, workers if parallel.can_share(session) else 1)
    groups: dict[tuple[bool, int], list[Window]] = {}
    for whole in (False, True) if windows else ():
        unique = list({w.key(whole): w for w in windows}.values())
        n = min(shares, len(unique))
        for i in range(n):  # dealt in turn, so each share has early and late windows
            groups[(whole, i)] = unique[i::n]
    tasks = [parallel.Task((group, i.key), group,
                           lambda s, batch, group=group, name=i.key:
                           compute.aggregate_windows(s, batch.windows(group), name))
             for group in groups for i in SUPPORTED if (i.window == PERIOD) == group[0]]
    tasks += [parallel.Task((group, "workload"), group, lambda s, batch, group=group:
                            compute.workload_windows(s, batch.windows(group)))
              for group in groups if group[0]]
    tasks += [parallel.Task((None, name), None, fn) for name, fn in (extra or {}).items()]
    tasks.sort(key=lambda t: -COST.get(t.key[1], 0.005) * (1 if t.group is None
                                                            else len(groups[t.group])))
    results = parallel.run_tasks(session, tasks, workers,
                                 lambda s, stack: _Batch(s, stack, groups), alongside)
    cache: dict = {}
    for (group, name), by_wid in results.items():
        if group is None:
            cache[name] = by_wid
            continue
        for wid, w in enumerate(groups[group]):
            cache[(name, w.key(group[0]))] = by_wid[wid]
    whole = [w for group, share in groups.items() if group[0] for w in share]
    if whole:  # after `alongside`, on this session: the flags as it left them, one query
        for wid, rows in quality_counts_windows(session, Windows(whole)).items():
            cache[("quality", whole[wid].key(True))] = rows
    return cache


# Seconds per window each query took in a township's backfill (bench/metrics_breakdown.py,
# SQLite, 2026-11, 24 windows; "late" is the late-record counts of all periods together):
# the parallel batch starts the longest first so that the connections finish together.
# Unlisted ones took under 0.01 s a window.
COST = {K.HOUSEHOLD_VISITS: 0.07, "workload": 0.055, K.HTN_CONTROL: 0.05,
        K.HTN_CONTROL_140: 0.05, K.RECORD_USE: 0.045, K.EDU_REACH: 0.04,
        K.HTN_STANDARD: 0.03, "late": 0.6}


class _Batch:
    """One connection's part of a batch: each share of windows as Windows, with its
    temporary tables built the first time one of its queries runs here."""

    def __init__(self, session: Session, stack: ExitStack, groups: dict):
        self.session, self.stack, self.groups = session, stack, groups
        self.made: dict = {}
        batch_settings(session)

    def windows(self, group: tuple[bool, int]) -> Windows:
        """A share's Windows, with temporary tables when it has enough windows."""
        if group not in self.made:
            whole, share = group[0], self.groups[group]
            ws = Windows(share)
            if len(share) >= MATERIALIZE_FROM:
                self.stack.enter_context(materialized(
                    self.session, ws, None if whole else ("hypertension", "diabetes"),
                    tag=f"_{int(whole)}_{group[1]}"))
            self.made[group] = ws
        return self.made[group]


def _apply_population(w: Window, acc: dict) -> None:
    """The statistics office's 常住人口, where the township set it, as a second denominator
    beside the register's: `<indicator>:stat` rows (township and village) with the same
    numerator. The register's own figure stays as computed (issue 18.1: each denominator
    labelled with its source; docs/indicators.md, 建档率)."""
    official = {int(k): int(v) for k, v in (w.settings.get("permanent_population") or {})
                .items()}
    if not official:
        return
    for ind in COVERAGE:
        total_num = total_den = 0
        for v in w.village_ids:
            if v not in official:
                continue  # no official figure: that village has no second denominator
            num = acc[("village", v, ind)][0] if ("village", v, ind) in acc else 0
            acc[("village", v, f"{ind}:stat")] = [num, official[v]]
            total_num, total_den = total_num + num, total_den + official[v]
        if total_den:
            acc[("township", w.township_id, f"{ind}:stat")] = [total_num, total_den]


def quality_counts_windows(session: Session, ws: Windows) -> dict[int, list]:
    """{wid: [(village_id, doctor_id, check, count), ...]}: quality findings on each
    window's period's records, as stored by its as_of."""
    q, win = QualityFlag, ws.table
    stmt = (select(win.c.wid, q.village_id, q.doctor_id, q.check, func.count())
            .select_from(QualityFlag)
            .join(win, and_(q.service_date >= win.c.pstart, q.service_date <= win.c.pend,
                            or_(q.record_created_at.is_(None),
                                q.record_created_at <= win.c.as_of)))
            .where(q.township_id == ws.township_id)
            .group_by(win.c.wid, q.village_id, q.doctor_id, q.check))
    out: dict[int, list] = {wid: [] for wid in range(len(ws.items))}
    for wid, *row in session.execute(stmt):
        out[wid].append(tuple(row))
    return out


def quality_counts(session: Session, w: Window) -> list[tuple]:
    """(village_id, doctor_id, check, count) of quality findings on the period's records."""
    return quality_counts_windows(session, Windows([w]))[0]


def store_period(session: Session, w: Window, rows: list[dict], frozen_by: int | None = None,
                 freeze: bool = False) -> MetricPeriod:
    """Replace the period's rollups with `rows` and record when (and if frozen, by whom)."""
    session.execute(delete(MetricRollup).where(MetricRollup.township_id == w.township_id,
                                               MetricRollup.period == w.period.key))
    now = now_utc()
    if rows:
        # Core, not ORM, insert: one multi-row statement per thousand rows instead of
        # the ORM bulk path's small batches (3 s of a PostgreSQL backfill).
        session.execute(insert(MetricRollup.__table__), [{**r, "computed_at": now} for r in rows])
    mp = session.scalar(select(MetricPeriod).where(MetricPeriod.township_id == w.township_id,
                                                   MetricPeriod.period == w.period.key))
    if mp is None:
        mp = MetricPeriod(township_id=w.township_id, period=w.period.key, as_of=w.as_of)
        session.add(mp)
    mp.as_of, mp.computed_at = w.as_of, now
    if freeze:
        mp.frozen_at, mp.frozen_by_id = now, frozen_by
    session.flush()
    return mp


def plan_period(session: Session, township_id: int, key: str, now: dt.datetime,
                freeze: bool | None = None) -> tuple[Window, bool] | MetricPeriod:
    """The window a period is (re)computed over and whether it freezes now; or its
    MetricPeriod if it is frozen already (then nothing is computed)."""
    period = parse_period(key)
    mp = session.scalar(select(MetricPeriod).where(MetricPeriod.township_id == township_id,
                                                   MetricPeriod.period == key))
    if mp is not None and mp.frozen_at is not None:
        return mp
    w = make_window(session, township_id, period, now)
    closes = close_instant(session, township_id, period, w.settings)
    if freeze is None:
        freeze = closes <= now
    w.as_of = min(now, closes) if freeze else now
    return w, freeze


def recompute_period(session: Session, township_id: int, key: str, *, now: dt.datetime | None
                     = None, freeze: bool | None = None, user_id: int | None = None,
                     cache: dict | None = None) -> MetricPeriod | None:
    """Recompute one period unless frozen; freeze it when its close has passed."""
    planned = plan_period(session, township_id, key, now or now_utc(), freeze)
    if isinstance(planned, MetricPeriod):
        return planned
    w, freeze = planned
    return store_period(session, w, compute_period(session, w, cache), user_id, freeze)


def late_counts(session: Session, township_id: int, as_of_by_period: dict[str, dt.datetime]) \
        -> dict[str, int]:
    """{period: records of the period's dates stored after its as_of (its close)}."""
    if not as_of_by_period:
        return {}
    sr = ServiceRecord.__table__.c
    w = make_window(session, township_id, parse_period(next(iter(as_of_by_period))), now_utc())
    counts = {}
    for key, as_of in as_of_by_period.items():
        p = parse_period(key)
        # Every kind, named, so the (village, kind, date) index reads the period's dates
        # only; without it a county-sized table was read whole for each period (1.8 s a
        # township).
        counts[key] = session.scalar(
            select(func.count()).select_from(ServiceRecord.__table__)
            .where(sr.kind.in_(list(RECORD_CLASSES)), sr.service_date >= p.start,
                   sr.service_date <= p.end, sr.created_at > as_of, live_records(w))) or 0
    return counts


def _frozen(session: Session, township_id: int) -> dict[str, dt.datetime]:
    """{period: as_of} of the township's frozen periods."""
    return dict(session.execute(select(MetricPeriod.period, MetricPeriod.as_of).where(
        MetricPeriod.township_id == township_id, MetricPeriod.frozen_at.is_not(None))).all())


def _store_late(session: Session, township_id: int, counts: dict[str, int]) -> None:
    for key, n in counts.items():
        session.execute(update(MetricPeriod).where(MetricPeriod.township_id == township_id,
                                                   MetricPeriod.period == key)
                        .values(late_records=n))


def count_late(session: Session, township_id: int) -> None:
    """Refresh each frozen period's count of records stored after it closed."""
    _store_late(session, township_id, late_counts(session, township_id,
                                                  _frozen(session, township_id)))


def open_periods(today: dt.date) -> list[str]:
    """This year's and last year's periods that have begun, newest first."""
    keys = [p.key for y in (today.year, today.year - 1) for p in periods_of_year(y)
            if p.start <= today]
    return keys


def recompute_township(session: Session, township_id: int, now: dt.datetime | None = None,
                       user_id: int | None = None, workers: int | None = None,
                       alongside: Callable[[], object] | None = None) -> dict:
    """The nightly job for one township (and the admin's "recompute now").

    Commits the session first: the batch's queries run on `workers` connections of
    their own (default: the app's METRICS_WORKERS), which see committed data only.
    `alongside` runs on this session while they do (see compute_windows)."""
    now = now or now_utc()
    workers = parallel.default_workers() if workers is None else workers
    session.commit()
    today = now.astimezone(CST).date()
    planned = {key: plan_period(session, township_id, key, now)
               for key in open_periods(today)}
    todo = {k: p for k, p in planned.items() if not isinstance(p, MetricPeriod)}
    # Late records of every period frozen by the end of this run, counted with the rest.
    late_of = {**_frozen(session, township_id),
               **{k: w.as_of for k, (w, freeze) in todo.items() if freeze}}
    # Every period still open in one pass per indicator, then stored period by period.
    cache = compute_windows(session, [w for w, _ in todo.values()], workers, alongside,
                            extra={"late": lambda s, _: late_counts(s, township_id, late_of)})
    for w, freeze in todo.values():
        store_period(session, w, compute_period(session, w, cache), user_id, freeze)
    done = list(todo)
    skipped = [k for k in planned if k not in todo]
    _store_late(session, township_id, cache["late"])
    session.commit()
    return {"computed": done, "frozen_skipped": skipped}


def township_ids(session: Session) -> list[int]:
    """Every township on this server."""
    return list(session.scalars(select(Township.id).order_by(Township.id)))
