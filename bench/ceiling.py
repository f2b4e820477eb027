"""A Litestar app whose one route does no work: the framework's ceiling on this machine."""

from litestar import Litestar, get


@get("/")
async def hello() -> str:
    return "ok"


app = Litestar([hello])
