"""QR patient cards (居民健康卡): opaque codes, typed fallbacks, issue/revoke/link, printing.

`codes` makes and checks the codes, `service` is the logic (the sync engine links cards
through it), `status` reads a village's cards, `render` draws cards and A4 sheets. All of
it is the rules layer, without Flask; the cards' REST API is `server/api/cards.py`
(docs/architecture.md, docs/adr/0030-qr-card-codes.md).
"""
