"""QR patient cards (居民健康卡): opaque codes, typed fallbacks, issue/revoke/link, printing.

`codes` makes and checks the codes, `service` is the Flask-free logic (the sync engine
links cards through it), `render` draws cards and A4 sheets, `views` is the township API.
Nothing here is imported by `server.cards` itself, so importing the service never pulls
in Flask (docs/adr/0030-qr-card-codes.md).
"""
