"""``dantin demo``: a ledger for Ba Tơ district, Quảng Ngãi, with every body the process needs.

Places come from ``cli/data/bato.json`` (19 commune-level units). The root registers the
places and enrols the district's bodies; the district standing committee enrols every
commune and village body. Each body gets its own key under ``DIR/keys/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli.demo_attendance import run_year
from cli.demo_term import run_term
from ledger import home
from ledger.application import Ledger
from ledger.envelope import seal
from ledger.errors import DantinError
from ledger.signing import SigningKey

DATE = "2022-01-10"


def key_file(keys_dir: Path, body_id: str) -> Path:
    return keys_dir / (body_id.replace("/", "__") + ".pem")


class _Builder:
    def __init__(self, ledger: Ledger, keys_dir: Path, root_key: SigningKey) -> None:
        self.ledger = ledger
        self.keys_dir = keys_dir
        self.keys: dict[str, SigningKey] = {"qng/root": root_key}
        self.batch: list[dict[str, Any]] = []

    def place(self, place_id: str, name: str, kind: str) -> None:
        self.batch.append(seal(self.keys["qng/root"], "qng/root", {
            "type": "place.registered", "place": place_id, "date": DATE,
            "facts": {"id": place_id, "name": name, "kind": kind},
        }))

    def body(self, parent: str, body_id: str, kind: str, name: str, jurisdiction: str) -> None:
        key = SigningKey.generate()
        self.keys[body_id] = key
        home.write_private(key_file(self.keys_dir, body_id), key.to_pem())
        self.batch.append(seal(self.keys[parent], parent, {
            "type": "body.enrolled", "place": jurisdiction, "date": DATE,
            "facts": {"id": body_id, "kind": kind, "name": name, "jurisdiction": jurisdiction,
                      "keys": [{"public": key.public.b64}]},
        }))

    def flush(self) -> None:
        for result in self.ledger.submit(self.batch):
            if isinstance(result, DantinError):
                raise result
        self.batch.clear()


def build_demo(directory: Path, database: str | None = None) -> str:
    data = json.loads((Path(__file__).parent / "data" / "bato.json").read_text(encoding="utf-8"))
    keys_dir = directory / "keys"
    root_key = SigningKey.generate()
    ledger = home.init(directory, root_key=root_key, database=database)
    home.write_private(key_file(keys_dir, "qng/root"), root_key.to_pem())
    try:
        b = _Builder(ledger, keys_dir, root_key)
        district = data["district"]["id"]
        b.place(district, data["district"]["name"], "district")
        villages = 0
        for commune in data["communes"]:
            cid = f"{district}.{commune['slug']}"
            b.place(cid, commune["name"], commune["kind"])
            for slug, name, kind in commune["villages"]:
                b.place(f"{cid}.{slug}", name, kind)
                villages += 1
        b.flush()
        standing = f"{district}/district_standing"
        b.body("qng/root", standing, "district_standing", "Ban Thường vụ Huyện ủy Ba Tơ", district)
        b.body("qng/root", f"{district}/training_center", "training_center",
               "Trung tâm Chính trị huyện Ba Tơ", district)
        b.body("qng/root", f"{district}/inspection", "inspection", "Ủy ban Kiểm tra Huyện ủy Ba Tơ", district)
        b.flush()
        for commune in data["communes"]:
            cid, cname = f"{district}.{commune['slug']}", commune["name"]
            short = cname.removeprefix("Xã ").removeprefix("Thị trấn ")
            level = "thị trấn" if commune["kind"] == "townlet" else "xã"
            b.body(standing, f"{cid}/commune_committee", "commune_committee", f"UBND {level} {short}", cid)
            b.body(standing, f"{cid}/commune_front", "commune_front",
                   f"Ban Thường trực UBMTTQ {level} {short}", cid)
            b.body(standing, f"{cid}/commune_party", "commune_party", f"Đảng ủy {level} {short}", cid)
            for slug, name, _kind in commune["villages"]:
                vid = f"{cid}.{slug}"
                b.body(standing, f"{vid}/village_front", "village_front", f"Ban công tác Mặt trận {name}", vid)
                b.body(standing, f"{vid}/election_team", "election_team", f"Tổ bầu cử {name}", vid)
                b.body(standing, f"{vid}/cell", "cell", f"Chi bộ {name}", vid)
            b.flush()
        term = run_term(directory, database, keys_dir, ledger=ledger)  # cli/demo_term.py: the 2022 term
        year = run_year(directory, database, keys_dir, ledger=ledger)  # cli/demo_attendance.py: 2022 attendances
        total = ledger.recorder.max_notification_id() or 0
        witnesses = witness_demo(ledger, directory, b.keys, f"{district}.{data['communes'][0]['slug']}")
    finally:
        ledger.close()
    return (
        f"Đã dựng sổ cái mẫu huyện Ba Tơ tại {directory}: {len(data['communes'])} xã/thị trấn, "
        f"{villages} thôn/tổ dân phố, {len(b.keys)} cơ quan có khóa riêng, {total} sự kiện đã ký.\n"
        f"{term}\n"
        f"{year}\n"
        "Xem tiếp:\n"
        f"  dantin stats {directory}            # số sự kiện theo loại\n"
        f"  dantin verify {directory}           # kiểm lại mọi chữ ký, thẩm quyền, liên kết\n"
        f"  dantin checkpoint {directory}       # checkpoint đã được {witnesses} ký xác nhận\n"
        f"  dantin copy {directory} BẢN_SAO     # bản sao cho Ủy ban Kiểm tra, không kèm khóa riêng của nhật ký;\n"
        f"  dantin verify BẢN_SAO --log-key \"$(dantin log-key {directory})\"   # rồi kiểm bằng khóa đã công bố\n"
        f"  ls {keys_dir}                       # khóa riêng của từng cơ quan (chỉ dùng cho bản mẫu)"
    )


def witness_demo(ledger: Ledger, directory: Path, keys: dict[str, SigningKey], commune: str) -> str:
    """End with a checkpoint of the whole log cosigned by the inspection commission and one commune
    Front, which satisfies the default witness policy. Each witness keeps its state in DIR/witnesses/."""
    from ledger.witness import witness_ledger

    ledger.publish_checkpoint()
    log = home.log_verifier(directory)
    names = []
    for body in ("qng.bato/inspection", f"{commune}/commune_front"):
        state = directory / "witnesses" / (body.replace("/", "__") + ".json")
        names.append(witness_ledger(ledger, keys[body], body, state, log).witness)
    return " và ".join(names)
