"""The signed checkpoint of the head (issue 14.2): `GET /api/checkpoint`.

Signed on demand: the newest stored checkpoint is served while it is the head's; once the log
has grown, the next request signs the new head (under the log's write lock, so every later
append is recorded after it) and stores it. A checkpoint is worth what its copies elsewhere
are worth: fetch it from cron and keep it off the machine (README, Reliability).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from stanceline.api.models import ERRORS, CheckpointOut
from stanceline.deps import ServiceDep

router = APIRouter(prefix="/api", tags=["events"], responses=ERRORS)


@router.get("/checkpoint", response_model=CheckpointOut)
async def checkpoint(service: ServiceDep) -> CheckpointOut:
    """The latest signed checkpoint of the head: position, hash, time, key (the public half) and
    the Ed25519 signature over them; `stanceline verify --against FILE` checks the log against a
    saved copy. 404 `NoSigningKey` when the service has no usable signing key
    (STANCELINE_SIGNING_KEY_FILE or STANCELINE_SIGNING_KEY)."""
    signed = await run_in_threadpool(service.checkpoint)
    return CheckpointOut(**signed.wire())
