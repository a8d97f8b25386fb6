"""Public: the log's checkpoints, proofs, and witness cosignatures."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from api import examples as ex
from api.deps import LedgerDep, RawBody, ServicesDep
from api.models import ConsistencyProofPublic, CosignaturePublic, InclusionProofPublic
from api.openapi import COSIGNATURE_BODY, problems, read_only
from api.problems import BadRequest, NotFound
from ledger.application import Ledger
from ledger.witness import Policy, add_cosignature, cosigned, witnessed_checkpoint

router = APIRouter(prefix="/v1/log", tags=["log"])
MAX = 2**53  # keeps every size a JSON-safe integer and within the databases' BIGINT
Size = Annotated[int | None, Query(ge=1, le=MAX, description="Kích thước cây (số lá); mặc định: kích thước của "
                                                              "checkpoint mới nhất.")]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class _Published:
    """The published checkpoints, read once per request."""

    def __init__(self, ledger: Ledger, policy: Policy) -> None:
        self.ledger, self.policy = ledger, policy
        self.rows = {row.size: row for row in ledger.checkpoints()}

    def note(self, size: int) -> str | None:
        row = self.rows.get(size) or self.ledger.signed_checkpoint(size)
        return cosigned(self.ledger, row, self.policy).note if row is not None else None

    def size(self, size: int | None) -> int:
        """``size``, or the newest checkpoint's size when it is not given."""
        if size is not None:
            return size
        if not self.rows:
            raise NotFound("Sổ cái chưa công bố checkpoint nào.", code="no_checkpoint", detail="no checkpoint")
        return max(self.rows)


@router.get("/checkpoint", response_class=PlainTextResponse, responses={
    200: {"description": "Ghi chú checkpoint đã ký (C2SP signed note), kèm chữ ký nhân chứng đã lưu.",
          "content": {"text/plain": {"schema": {"type": "string"}, "example": ex.CHECKPOINT}}},
    **problems(404)}, summary="Checkpoint mới nhất")
def get_checkpoint(
    services: ServicesDep,
    witnessed: Annotated[bool, Query(description="Lấy checkpoint mới nhất đã đủ chữ ký nhân chứng theo chính "
                                                 "sách nhân chứng.")] = False,
) -> PlainTextResponse:
    """Ghi chú checkpoint (C2SP signed note) mới nhất do sổ cái ký, kèm các chữ ký nhân chứng đã lưu; với
    `witnessed=true`, checkpoint mới nhất đã đủ nhân chứng ký."""
    ledger, policy = services.ledger, services.policy
    if witnessed:
        found = witnessed_checkpoint(ledger, policy)
        if found is None:
            raise NotFound("Chưa có checkpoint nào đủ nhân chứng ký theo chính sách.", code="not_witnessed",
                           detail="no witnessed checkpoint")
        return PlainTextResponse(found.note)
    row = ledger.checkpoint()
    if row is None:
        raise NotFound("Sổ cái chưa công bố checkpoint nào.", code="no_checkpoint", detail="no checkpoint")
    return PlainTextResponse(cosigned(ledger, row, policy).note)


@router.get("/proof/inclusion", response_model=InclusionProofPublic, responses=problems(400, 404),
            summary="Bằng chứng bao hàm (RFC 9162)")
def inclusion(
    services: ServicesDep,
    index: Annotated[int, Query(ge=0, le=MAX, description="Chỉ số lá (mục) trong nhật ký, tính từ 0.")],
    size: Size = None,
) -> InclusionProofPublic:
    """Bằng chứng rằng mục thứ `index` nằm trong cây Merkle có `size` lá, kèm checkpoint đã ký của kích thước đó
    nếu đã công bố."""
    ledger, published = services.ledger, _Published(services.ledger, services.policy)
    tree_size = published.size(size)
    proof = ledger.inclusion_proof(index, tree_size)
    return InclusionProofPublic(leaf_index=index, tree_size=tree_size, leaf_hash=_b64(ledger.leaf(index).hash),
                                proof=[_b64(h) for h in proof], checkpoint=published.note(tree_size))


@router.get("/proof/consistency", response_model=ConsistencyProofPublic, responses=problems(400, 404),
            summary="Bằng chứng nhất quán (RFC 9162)")
def consistency(
    services: ServicesDep,
    old: Annotated[int, Query(ge=1, le=MAX, description="Kích thước cây cũ (số lá).")],
    new: Size = None,
) -> ConsistencyProofPublic:
    """Bằng chứng rằng cây có `new` lá chỉ nối thêm vào cây có `old` lá (không sửa, không xóa mục nào), kèm các
    checkpoint đã ký của hai kích thước nếu đã công bố."""
    ledger, published = services.ledger, _Published(services.ledger, services.policy)
    new_size = published.size(new)
    proof = ledger.consistency_proof(old, new_size)
    return ConsistencyProofPublic(old_size=old, new_size=new_size, proof=[_b64(h) for h in proof],
                                  old_checkpoint=published.note(old), new_checkpoint=published.note(new_size))


@router.post("/cosignatures", status_code=201, response_model=list[CosignaturePublic],
             responses=problems(400, 413, 422, 503) | read_only(), openapi_extra=COSIGNATURE_BODY,
             summary="Nộp chữ ký nhân chứng cho checkpoint")
async def post_cosignatures(services: ServicesDep, body: RawBody, ledger: LedgerDep) -> list[CosignaturePublic]:
    """Một dòng chữ ký nhân chứng, hoặc một ghi chú checkpoint kèm các dòng chữ ký: được kiểm tra theo các khóa
    hiện hành của cơ quan nhân chứng và theo chính sách nhân chứng, rồi được lưu."""
    ledger.ensure_writable()  # a copy served read only takes nothing: 403 read_only, whatever the body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("Nội dung phải là văn bản UTF-8.", detail="body is not UTF-8") from None
    rows = await run_in_threadpool(add_cosignature, ledger, text, policy=services.policy)
    return [CosignaturePublic(size=r.size, witness=r.witness, key_id=r.key_id, timestamp=r.timestamp, line=r.line)
            for r in rows]
