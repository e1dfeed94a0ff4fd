"""The township's view (乡村一体化管理): pages under /township over server.metrics."""
from server.township import actions, admin, cards, exports, immunization, review, views  # noqa: F401  (routes on bp)
from server.township.web import bp  # noqa: F401
