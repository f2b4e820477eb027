"""One booking process for the multi-process rush test: books its families at a shared start time."""

import asyncio
import sys
import time
from datetime import datetime, timezone

from portal import db
from portal.booking import service
from portal.links import Links


async def main(database_url: str, meeting: int, start_at: float, families: str) -> None:
    engine = db.engine_from_url(database_url)
    db.bind(engine)
    await db.open_engine(engine)
    links = Links("http://testserver", "test-secret-key-test-secret-key-0123456789")
    target = await service.find_target("festa-affollata", meeting)
    time.sleep(max(start_at - time.time(), 0))

    async def one(entry: str) -> str:
        family, members = entry.split(":")
        try:
            result = await service.book(int(family), target, [int(m) for m in members.split(".")],
                                        datetime.now(timezone.utc), links)
            return f"{result.status} {result.position or 0}"
        except Exception as error:
            return f"error {type(error).__name__}:{error}"

    for answer in await asyncio.gather(*(one(entry) for entry in families.split(","))):
        print(answer)
    await db.close_engine(engine)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]))
