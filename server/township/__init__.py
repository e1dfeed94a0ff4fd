"""The township's view (乡村一体化管理): pages under /township over server.metrics."""
from server.township import (  # noqa: F401  (routes on bp)
    accounts,
    actions,
    admin,
    cards,
    exports,
    immunization,
    indicators,
    residents,
    review,
    setup,
    setup_people,
    setup_schedule,
    views,
    worklists,
)
from server.township.web import bp  # noqa: F401
