"""Wire models of the HTTP face, named by suffix: ``…Create`` comes in, ``…Public`` goes out.

The envelope itself is ``schemas.envelope.EnvelopeWire`` (the contract shared with the CLI);
examples come from a real ledger (``api.examples``). The class docstrings and ``Field`` descriptions here are
the OpenAPI document's (hence /docs'): people read them, so they are Vietnamese (tests/api/test_api_docs.py).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api import examples as ex
from schemas.envelope import EnvelopeWire


def _examples(*values: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(values)})


class EventBatchCreate(BaseModel):
    """Một lô phong bì được xét trong cùng một giao dịch (cũng nhận một mảng JSON trần)."""

    model_config = _examples({"envelopes": [ex.ENVELOPE]})
    envelopes: list[EnvelopeWire] = Field(min_length=1, description="Các phong bì đã ký (DSSE), ít nhất một.")


class InclusionProofPublic(BaseModel):
    """Bằng chứng bao hàm (RFC 9162 §2.1.3) của một lá trong cây Merkle có ``tree_size`` lá; các giá trị băm ở
    dạng base64."""

    model_config = _examples(ex.INCLUSION)
    leaf_index: int = Field(ge=0, description="Chỉ số của lá (mục) trong nhật ký, tính từ 0.")
    tree_size: int = Field(ge=1, description="Kích thước cây (số lá) mà bằng chứng dẫn tới.")
    leaf_hash: str = Field(description="Giá trị băm của lá: SHA-256(0x00 ‖ mục), base64 chuẩn.")
    proof: list[str] = Field(description="Các giá trị băm anh em, từ lá đi lên gốc, base64 chuẩn.")
    checkpoint: str | None = Field(description="Ghi chú checkpoint đã ký (C2SP) của `tree_size`, nếu đã công bố.")


class ReceiptPublic(BaseModel):
    """Biên nhận người nộp nhận được cho một phong bì đã được ghi."""

    model_config = _examples(ex.RECEIPT)
    stream: str = Field(description="Luồng sự kiện (địa bàn, cơ quan hoặc người) mà sự kiện được nối vào.")
    version: int = Field(ge=1, description="Số phiên bản của sự kiện trong luồng đó.")
    type: str = Field(description="Loại sự kiện, ví dụ `personnel.nominated`.")
    index: int = Field(ge=0, description="Chỉ số lá trong nhật ký.")
    notification_id: int = Field(description="Số thứ tự của sự kiện trong dãy thông báo (notification log) của "
                                             "sổ cái.")
    hash: str = Field(description="Giá trị băm của mục (lá), dạng hex.")
    hash_b64: str = Field(description="Cùng giá trị băm đó, base64 chuẩn.")
    inclusion: InclusionProofPublic | None = Field(description="Bằng chứng tới một checkpoint đã công bố (chỉ null "
                                                               "khi máy chủ này không giữ khóa nhật ký).")


class ProblemPublic(BaseModel):
    """Mô tả lỗi theo RFC 9457: `title` và `detail` bằng tiếng Việt, `code` là mã ổn định cho chương trình."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [ex.PROBLEM, ex.PROBLEM_REPLAY]})
    type: str = Field(description="URI của loại lỗi: https://dantin.qng/problems/<code>")
    title: str = Field(description="Tên loại lỗi, tiếng Việt.")
    status: int = Field(description="Mã trạng thái HTTP.")
    detail: str = Field(description="Giải thích lỗi của yêu cầu này, tiếng Việt.")
    code: str = Field(description="Mã lỗi ổn định (ví dụ `not_found`, `replay`), dành cho chương trình.")
    detail_en: str | None = Field(default=None, description="Giải thích bằng tiếng Anh, dành cho chương trình và "
                                                            "nhật ký máy chủ.")
    instance: str | None = Field(default=None, description="URI của lần xảy ra lỗi này, nếu có.")
    receipt: ReceiptPublic | None = Field(default=None, description="Với `replay` (409): biên nhận gốc.")


class BatchItemPublic(BaseModel):
    """Kết quả của một phong bì trong lô."""

    status: int = Field(description="201 đã ghi, 409 gửi lại một phong bì đã được ghi, 422 bị từ chối.")
    receipt: ReceiptPublic | None = Field(default=None, description="Biên nhận (201, và 409 `replay`: biên nhận "
                                                                    "gốc).")
    problem: ProblemPublic | None = Field(default=None, description="Lỗi (409, 422).")


class BatchResultPublic(BaseModel):
    """Kết quả từng phong bì, theo thứ tự gửi (trả 200 khi có phong bì bị từ chối mà vẫn có phong bì được ghi)."""

    model_config = _examples(ex.BATCH)
    accepted: int = Field(description="Số phong bì được ghi.")
    refused: int = Field(description="Số phong bì không được ghi (bị từ chối hoặc đã ghi từ trước).")
    results: list[BatchItemPublic] = Field(description="Kết quả từng phong bì, theo thứ tự trong lô.")


class PlacePublic(BaseModel):
    """Một địa bàn đã đăng ký: tên, loại, địa bàn cấp trên và các địa bàn trực thuộc."""

    model_config = _examples(ex.PLACE)
    id: str = Field(description="Mã địa bàn, ví dụ `qng.bato.badien.lang-ma`.")
    name: str = Field(description="Tên địa bàn.")
    kind: str = Field(description="Loại địa bàn: `province` (tỉnh), `district` (huyện), `town` (thị xã), `commune` "
                                  "(xã), `ward` (phường), `townlet` (thị trấn), `thon` (thôn), `tdp` (tổ dân phố).")
    parent: str | None = Field(description="Mã địa bàn cấp trên; null với tỉnh.")
    children: list[str] = Field(description="Mã các địa bàn trực thuộc, theo thứ tự chữ cái.")


class ConsistencyProofPublic(BaseModel):
    """Bằng chứng nhất quán (RFC 9162 §2.1.4) giữa hai kích thước cây; các giá trị băm ở dạng base64."""

    model_config = _examples(ex.CONSISTENCY)
    old_size: int = Field(description="Kích thước cây cũ.")
    new_size: int = Field(description="Kích thước cây mới.")
    proof: list[str] = Field(description="Các giá trị băm của bằng chứng, base64 chuẩn.")
    old_checkpoint: str | None = Field(description="Ghi chú checkpoint đã ký của kích thước cũ, nếu đã công bố.")
    new_checkpoint: str | None = Field(description="Ghi chú checkpoint đã ký của kích thước mới, nếu đã công bố.")


class CosignaturePublic(BaseModel):
    """Một chữ ký nhân chứng (C2SP tlog-cosignature) mà sổ cái đã kiểm tra và lưu."""

    model_config = _examples(ex.COSIGNATURE)
    size: int = Field(description="Kích thước cây của checkpoint được ký xác nhận.")
    witness: str = Field(description="Mã cơ quan nhân chứng.")
    key_id: int = Field(description="Mã khóa (key ID) của nhân chứng, theo C2SP signed note.")
    timestamp: int = Field(description="Thời điểm ký (giây kể từ Unix epoch), do nhân chứng ghi.")
    line: str = Field(description="Dòng chữ ký như nhân chứng gửi (C2SP tlog-cosignature).")


class ReaderPublic(BaseModel):
    """Cơ quan đã ký yêu cầu đọc."""

    body: str = Field(description="Mã cơ quan đọc.")
    kind: str = Field(description="Loại cơ quan, ví dụ `inspection` (ủy ban kiểm tra).")
    keyid: str = Field(description="Mã khóa đã ký yêu cầu.")


class EntryPublic(BaseModel):
    """Một mục đã lưu: phong bì đúng như đã nhận, và nội dung của nó."""

    index: int | None = Field(description="Chỉ số lá trong nhật ký.")
    version: int = Field(description="Số phiên bản trong luồng sự kiện.")
    hash: str = Field(description="Giá trị băm của mục (lá), dạng hex.")
    received: str = Field(description="Thời điểm sổ cái ghi nhận phong bì (ISO 8601).")
    envelope: EnvelopeWire = Field(description="Phong bì đã ký (DSSE), đúng như đã nhận.")
    statement: dict[str, Any] = Field(description="Nội dung đã ký (payload), đã giải mã.")


class PersonPublic(BaseModel):
    """Một người được các sự kiện của thôn nhắc tới: lý lịch hiện hành và các mục về người đó."""

    id: str = Field(description="Mã người.")
    profile: dict[str, Any] = Field(description="Lý lịch hiện hành (trường của lý lịch ghi sau thay trường ghi "
                                                "trước).")
    entries: list[EntryPublic] = Field(description="Các mục trong luồng sự kiện của người này (lý lịch), theo thứ "
                                                   "tự ghi.")


class HistoryPublic(BaseModel):
    """Dữ liệu hạn chế: toàn bộ lịch sử của một thôn, kèm lý lịch những người được nhắc tới."""

    model_config = _examples(ex.HISTORY)
    village: PlacePublic = Field(description="Thôn, tổ dân phố.")
    reader: ReaderPublic = Field(description="Cơ quan đã ký yêu cầu đọc.")
    events: list[EntryPublic] = Field(description="Mọi sự kiện của thôn, theo thứ tự ghi.")
    people: list[PersonPublic] = Field(description="Những người được các sự kiện nhắc tới.")


class HealthPublic(BaseModel):
    """Tiến trình máy chủ đang chạy."""

    model_config = _examples({"status": "ok"})
    status: str = Field(description="Luôn là `ok`.")


class ReadyPublic(BaseModel):
    """Sổ cái truy cập được."""

    model_config = _examples({"status": "ready", "log_size": 42, "read_only": False})
    status: str = Field(description="Luôn là `ready`.")
    log_size: int = Field(description="Số mục trong nhật ký.")
    read_only: bool = Field(default=False, description="Bản sao phục vụ chỉ đọc: không nhận ghi gì (403 "
                                                       "`read_only`).")


class OfficesPublic(BaseModel):
    """Mã người giữ từng chức vụ của thôn (null: chưa có ai)."""

    head: str | None = Field(description="Trưởng thôn (tổ trưởng tổ dân phố).")
    acting_head: str | None = Field(description="Người được cử tạm thời làm trưởng thôn.")
    secretary: str | None = Field(description="Bí thư chi bộ.")
    deputy: str | None = Field(description="Phó bí thư chi bộ.")
    committee: list[str] = Field(description="Các chi ủy viên.")
    front_head: str | None = Field(description="Trưởng Ban công tác Mặt trận.")


class LeadershipPublic(BaseModel):
    """Ai giữ từng chức vụ của thôn vào ngày ``as_of`` (mã người; ``names`` cho tên). Không có dữ liệu lý lịch."""

    model_config = _examples({
        "village": "qng.bato.badien.lang-ma", "name": "Thôn Làng Mạ", "as_of": "2022-08-01", "mode": "as_corrected",
        "offices": {"head": "lang-ma.p01", "acting_head": None, "secretary": "lang-ma.p01", "deputy": None,
                    "committee": [], "front_head": "lang-ma.p04"},
        "names": {"lang-ma.p01": "Đinh Văn Ngó", "lang-ma.p04": "Phạm Thị Hiên"}})
    village: str = Field(description="Mã thôn, tổ dân phố.")
    name: str = Field(description="Tên thôn, tổ dân phố.")
    as_of: str = Field(description="Ngày được xem (YYYY-MM-DD).")
    mode: Literal["as_corrected", "as_recorded"] = Field(description="`as_corrected`: đã áp dụng các đính chính; "
                                                                     "`as_recorded`: theo số liệu ghi ban đầu.")
    offices: OfficesPublic = Field(description="Người giữ từng chức vụ.")
    names: dict[str, str] = Field(description="Tên của từng người được nêu, theo mã người.")


class CheckPublic(BaseModel):
    """Một kiểm tra theo một quy tắc: trạng thái, giải thích và các sự kiện làm căn cứ."""

    model_config = ConfigDict(extra="allow")
    rule: str = Field(description="Mã quy tắc, ví dụ `E-WINNER`.")
    ruleset: str = Field(description="Bộ quy tắc chứa quy tắc này.")
    status: Literal["pass", "fail", "waived", "deviation", "pending", "not_applicable"] = Field(
        description="`pass` đạt, `fail` vi phạm, `waived` được miễn, `deviation` lệch mô hình, `pending` chờ, "
                    "`not_applicable` không áp dụng.")
    events: list[str] = Field(description="Các sự kiện làm căn cứ (giá trị băm hex của mục).")
    detail: str = Field(description="Giải thích bằng tiếng Anh, dành cho chương trình.")
    detail_vi: str = Field(description="Giải thích bằng tiếng Việt.")


class VerdictLeadershipPublic(BaseModel):
    """Những người giữ chức vụ mà kết luận xét tới (mã người)."""

    head: str | None = Field(description="Trưởng thôn.")
    secretary: str | None = Field(description="Bí thư chi bộ.")
    deputy: str | None = Field(description="Phó bí thư chi bộ.")
    committee: list[str] = Field(description="Các chi ủy viên.")


class VerdictPublic(BaseModel):
    """Kết luận tuân thủ của một thôn (EVENTS.md §Verdict). Sự kiện được nêu bằng giá trị băm hex của mục, như
    trong biên nhận."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "village": "qng.bato.badien.lang-ma", "rulesets": ["vn-2008", "party-2014", "qn-bato-2022"],
        "ruleset_digest": "sha256:…", "verdict": "compliant", "same_person": "secretary",
        "leadership": {"head": "lang-ma.p01", "secretary": "lang-ma.p01", "deputy": None, "committee": []},
        "checks": [{"rule": "E-WINNER", "ruleset": "vn-2008", "status": "pass", "events": ["9f86d0…"],
                    "detail": "lang-ma.p01 has 200 of 310 households (64.5%)",
                    "detail_vi": "Ông Đinh Văn Ngó được 200/310 hộ (64,5%)"}]}]})
    village: str = Field(description="Mã thôn, tổ dân phố.")
    rulesets: list[str] = Field(description="Các bộ quy tắc đã áp dụng.")
    ruleset_digest: str = Field(description="Giá trị băm SHA-256 của dữ liệu các bộ quy tắc đã áp dụng (dạng "
                                            "chuẩn hóa RFC 8785), để dựng lại đúng kết luận này.")
    verdict: Literal["violations", "incomplete", "compliant"] = Field(
        description="`compliant` đúng quy định, `incomplete` chưa đủ hồ sơ, `violations` có vi phạm.")
    same_person: Literal["secretary", "deputy", "committee", "outside", "non_member", "none"] = Field(
        description="Trưởng thôn và chi bộ (RULES.md P-SAME-PERSON): `secretary` trưởng thôn là bí thư chi bộ, "
                    "`deputy` là phó bí thư, `committee` là chi ủy viên, `outside` là đảng viên ngoài cấp ủy chi "
                    "bộ, `non_member` không phải đảng viên, `none` chưa có trưởng thôn được công nhận.")
    leadership: VerdictLeadershipPublic = Field(description="Những người giữ chức vụ được xét.")
    checks: list[CheckPublic] = Field(description="Các kiểm tra theo từng quy tắc.")


class OfficeholderPublic(BaseModel):
    """Một người giữ một chức vụ ở một thôn."""

    village: str = Field(description="Mã thôn, tổ dân phố.")
    office: str = Field(description="Chức vụ: `head`, `secretary`, `deputy`, `committee` hoặc `front_head`.")
    person: str = Field(description="Mã người.")
    name: str = Field(description="Họ và tên.")
    since: str = Field(description="Ngày bắt đầu giữ chức vụ (YYYY-MM-DD).")
    acting: bool = Field(description="Được cử tạm thời (trưởng thôn tạm thời).")


class OfficeholdersPublic(BaseModel):
    """Một trang danh sách người giữ chức vụ ở các thôn của một địa bàn."""

    model_config = _examples({
        "place": "qng.bato", "office": "head", "as_of": "2022-08-01", "limit": 100, "offset": 0, "next_offset": None,
        "items": [{"village": "qng.bato.badien.lang-ma", "office": "head", "person": "lang-ma.p01",
                   "name": "Đinh Văn Ngó", "since": "2022-05-18", "acting": False}]})
    place: str = Field(description="Địa bàn được hỏi; trống: tất cả.")
    office: str | None = Field(description="Chức vụ được hỏi; null: mọi chức vụ.")
    as_of: str = Field(description="Ngày được xem (YYYY-MM-DD).")
    items: list[OfficeholderPublic] = Field(description="Những người giữ chức vụ trong trang này.")
    limit: int = Field(description="Số dòng tối đa của một trang.")
    offset: int = Field(description="Vị trí dòng đầu của trang này.")
    next_offset: int | None = Field(description="`offset` của trang sau; null ở trang cuối.")
