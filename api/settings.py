"""The one typed settings object of the HTTP face (built by ``dantin serve`` from its options)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

MiB = 1024 * 1024


class ApiSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    directory: Path = Field(description="The ledger directory (DIR/ledger.json, the log key).")
    database: str | None = Field(default=None, description="postgresql://… overriding the one recorded at init.")
    max_body_bytes: int = Field(default=MiB, ge=1024, description="Largest request body read; larger ones get 413.")
    max_batch: int = Field(default=1000, ge=1, description="Most envelopes in one POST /v1/events.")
    read_only: bool = Field(default=False, description=(
        "Serve a copy without writing anything: the views in memory, POSTs refused with 403 read_only "
        "(``dantin serve --read-only``, or a ledger in a folder that cannot be written)."))
    witnesses: tuple[str, ...] = Field(default=(), description=(
        "Witness services (C2SP tlog-witness submission prefixes) this server pushes each new checkpoint to "
        "(``dantin serve --witness URL``; api.witness_push)."))
    witness_interval_s: float = Field(default=10.0, gt=0, description="How often the witnesses are pushed to.")
    authorities: tuple[str, ...] = Field(default=(), description=(
        "Signed reads: the names (host, with its port when not the scheme's default) clients reach this server "
        "by, as their signatures cover ``@authority``; a request signed for another name is refused (401 "
        "signature_wrong_authority), so one captured on its way to another server holding the same ledger "
        "(an inspector's copy) cannot be replayed here. Empty: any name (``dantin serve --authority``)."))
    signature_window_s: int = Field(default=300, ge=10, le=3600,
                                    description="Signed reads: how far `created` may be from now, and the longest "
                                                "`expires - created` accepted (RFC 9421 §7.2.2).")
