"""The Atom feeds of the saved searches over HTTP, as routes on the app's server: a feed reader or
a newsroom's chat follows a beat at /feeds/NAME.atom."""

from __future__ import annotations

from rag import saved
from rag.saved import SavedSearchError


def serve_feeds(app, engine, auth: tuple[str, str] | None) -> None:
    """GET /feeds/NAME.atom on the FastAPI `app`: the new passages of the saved search NAME as an Atom
    feed (rag.saved), from `engine.searcher` as it is at each request. With --auth it asks for the
    same user and password by HTTP Basic auth: a feed reader cannot fill in Gradio's login form."""
    from fastapi import Request, Response

    def feed(name: str, request: Request) -> Response:
        if auth is not None and not _authorised(request.headers.get("authorization", ""), auth):
            return Response("login required", 401, {"WWW-Authenticate": 'Basic realm="rag feeds"'})
        try:
            search = saved.load(engine.settings.index_dir).get(name)
        except SavedSearchError as err:
            return Response(str(err), 503, media_type="text/plain")
        if search is None:
            return Response(f"no saved search {name!r}", 404, media_type="text/plain")
        body = saved.atom_feed(search, saved.new_hits(engine.searcher, search), link=str(request.url))
        return Response(body, media_type="application/atom+xml")

    feed.__annotations__ = {"name": str, "request": Request, "return": Response}  # FastAPI reads the types
    app.add_api_route("/feeds/{name}.atom", feed, methods=["GET"])


def _authorised(header: str, auth: tuple[str, str]) -> bool:
    import base64
    import binascii
    import hmac

    scheme, _, value = header.partition(" ")
    try:
        given = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return scheme.lower() == "basic" and hmac.compare_digest(given.encode(), f"{auth[0]}:{auth[1]}".encode())
