"""Examples for the OpenAPI document, taken from a real ledger (signatures and proofs are genuine)."""

# ruff: noqa: E501 - base64 payloads and signatures are single long tokens

from __future__ import annotations

from typing import Any

ENVELOPE: dict[str, Any] = {
    "payloadType": "application/vnd.dantin.event+json; version=1",
    "payload": "eyJib2R5IjoicW5nLmJhdG8uYmFkaWVuL2NvbW1pdHRlZSIsImRhdGUiOiIyMDIyLTAzLTIwIiwiZmFjdHMiOnsibmFtZSI6IsSQaW5oIFbEg24gQiIsInBlcnNvbiI6InAtZGluaC12YW4tYiJ9LCJrZXkiOiJiOWFkZjY2ZWNiMjIxOGEyZWE5ODFhOWI2ZDJiZjRiMiIsInBsYWNlIjoicW5nLmJhdG8uYmFkaWVuLmxhbmctbWEiLCJzaWduZWRfYXQiOiIyMDI2LTExLTIyVDAzOjQ4OjE1WiIsInR5cGUiOiJwZXJzb24ucHJvZmlsZWQiLCJ2IjoxfQ==",
    "signatures": [
        {
            "keyid": "b9adf66ecb2218a2ea981a9b6d2bf4b2",
            "sig": "rn+eTKT0YIqUzaw46Y+0H6FC730kJk1zj6SWn1CqpIC6A20IuiALqjRqJS8ODJ8UAf4u3UC4wd8btbNHh40gDA==",
        }
    ],
}
INCLUSION: dict[str, Any] = {
    "leaf_index": 18,
    "tree_size": 19,
    "leaf_hash": "7Uw8/42NMVwmQVErSGcoT58hqCjaaiG3s2T3K8TmV7M=",
    "proof": ["/lVKVXSw8Ppi3W2YmCF8oxeGmU9fL4FBLIg3XUz+350=", "dAYf6p+vaVOCQCHL1f4hf3Smxm4x94HBLz7Z8HN6NtQ="],
    "checkpoint": "dantin.qng/log\n"
    "19\n"
    "cZTMSvdKXq3W3r3tS3MLH6dEdjQljk9ObKkLzMGIfOA=\n"
    "\n"
    "— dantin.qng/log "
    "1ljtghyRBAPWjvAHGNX+JYngn7u+2bBSrs0prVZvSpGV6YqA7Hh6pfgk+o5uvsBPz7gSpbGK7xXqKgoJqL+i5hP6Twg=\n",
}
RECEIPT: dict[str, Any] = {
    "stream": "person:p-dinh-van-b",
    "version": 1,
    "type": "person.profiled",
    "index": 18,
    "notification_id": 19,
    "hash": "ed4c3cff8d8d315c2641512b4867284f9f21a828da6a21b7b364f72bc4e657b3",
    "hash_b64": "7Uw8/42NMVwmQVErSGcoT58hqCjaaiG3s2T3K8TmV7M=",
    "inclusion": {
        "leaf_index": 18,
        "tree_size": 19,
        "leaf_hash": "7Uw8/42NMVwmQVErSGcoT58hqCjaaiG3s2T3K8TmV7M=",
        "proof": ["/lVKVXSw8Ppi3W2YmCF8oxeGmU9fL4FBLIg3XUz+350=", "dAYf6p+vaVOCQCHL1f4hf3Smxm4x94HBLz7Z8HN6NtQ="],
        "checkpoint": "dantin.qng/log\n"
        "19\n"
        "cZTMSvdKXq3W3r3tS3MLH6dEdjQljk9ObKkLzMGIfOA=\n"
        "\n"
        "— dantin.qng/log "
        "1ljtghyRBAPWjvAHGNX+JYngn7u+2bBSrs0prVZvSpGV6YqA7Hh6pfgk+o5uvsBPz7gSpbGK7xXqKgoJqL+i5hP6Twg=\n",
    },
}
PROBLEM: dict[str, Any] = {
    "type": "https://dantin.qng/problems/kind_not_allowed",
    "title": "Loại cơ quan này không được ký loại sự kiện này",
    "status": 422,
    "detail": "Cơ quan loại 'cell' không được ký sự kiện 'election.ordered'.",
    "code": "kind_not_allowed",
    "detail_en": "cell may not sign election.ordered",
    "instance": "/v1/events",
}
PROBLEM_REPLAY: dict[str, Any] = {
    "type": "https://dantin.qng/problems/replay",
    "title": "Phong bì này đã được ghi nhận trước đó",
    "status": 409,
    "detail": "Phong bì này đã được ghi nhận trước đó; không ghi lại lần nữa.",
    "code": "replay",
    "detail_en": "payload e97cd040d23b51ff9704e2bdd397b82dd1e9fd53ff04fd8f381f1401bef4065d already in "
    "person:p-dinh-van-b",
    "instance": "/v1/events",
    "receipt": {
        "stream": "person:p-dinh-van-b",
        "version": 1,
        "type": "person.profiled",
        "index": 18,
        "notification_id": 19,
        "hash": "ed4c3cff8d8d315c2641512b4867284f9f21a828da6a21b7b364f72bc4e657b3",
        "hash_b64": "7Uw8/42NMVwmQVErSGcoT58hqCjaaiG3s2T3K8TmV7M=",
        "inclusion": {
            "leaf_index": 18,
            "tree_size": 19,
            "leaf_hash": "7Uw8/42NMVwmQVErSGcoT58hqCjaaiG3s2T3K8TmV7M=",
            "proof": ["/lVKVXSw8Ppi3W2YmCF8oxeGmU9fL4FBLIg3XUz+350=", "dAYf6p+vaVOCQCHL1f4hf3Smxm4x94HBLz7Z8HN6NtQ="],
            "checkpoint": "dantin.qng/log\n"
            "19\n"
            "cZTMSvdKXq3W3r3tS3MLH6dEdjQljk9ObKkLzMGIfOA=\n"
            "\n"
            "— dantin.qng/log "
            "1ljtghyRBAPWjvAHGNX+JYngn7u+2bBSrs0prVZvSpGV6YqA7Hh6pfgk+o5uvsBPz7gSpbGK7xXqKgoJqL+i5hP6Twg=\n",
        },
    },
}
BATCH: dict[str, Any] = {
    "accepted": 1,
    "refused": 1,
    "results": [
        {
            "status": 201,
            "receipt": {
                "stream": "qng.bato.badien.lang-ma",
                "version": 3,
                "type": "personnel.nominated",
                "index": 19,
                "notification_id": 20,
                "hash": "70f31f51417dc230cb85a1f3eb02ad22cdde137e0376b9457bf886c85f92c126",
                "hash_b64": "cPMfUUF9wjDLhaHz6wKtIs3eE34DdrlFe/iGyF+SwSY=",
                "inclusion": {
                    "leaf_index": 19,
                    "tree_size": 20,
                    "leaf_hash": "cPMfUUF9wjDLhaHz6wKtIs3eE34DdrlFe/iGyF+SwSY=",
                    "proof": [
                        "7Uw8/42NMVwmQVErSGcoT58hqCjaaiG3s2T3K8TmV7M=",
                        "/lVKVXSw8Ppi3W2YmCF8oxeGmU9fL4FBLIg3XUz+350=",
                        "dAYf6p+vaVOCQCHL1f4hf3Smxm4x94HBLz7Z8HN6NtQ=",
                    ],
                    "checkpoint": "dantin.qng/log\n"
                    "20\n"
                    "XSMJRM3LQOUqZbyoeKiTag7J5GPkHzQbb/quZo0egRY=\n"
                    "\n"
                    "— dantin.qng/log "
                    "1ljtgjt/DuJrO/57pHJEBgChBHsMTJhaUEOMUKE7EgDwOcChsU1x+1cS3hZKcCa+Md/TgjtX4SPsu+kcqw5U3Yu3sg8=\n",
                },
            },
        },
        {
            "status": 422,
            "receipt": None,
            "problem": {
                "type": "https://dantin.qng/problems/kind_not_allowed",
                "title": "Loại cơ quan này không được ký loại sự kiện này",
                "status": 422,
                "detail": "Cơ quan loại 'cell' không được ký sự kiện 'election.ordered'.",
                "code": "kind_not_allowed",
                "detail_en": "cell may not sign election.ordered",
            },
        },
    ],
}
PLACE: dict[str, Any] = {
    "id": "qng.bato.badien",
    "name": "Xã Ba Điền",
    "kind": "commune",
    "parent": "qng.bato",
    "children": ["qng.bato.badien.lang-ma"],
}
CONSISTENCY: dict[str, Any] = {
    "old_size": 16,
    "new_size": 19,
    "proof": ["rZjJFg0FkK/qCdUfiGNCyD02hVJiDymqjWRTs6yLZsQ="],
    "old_checkpoint": None,
    "new_checkpoint": "dantin.qng/log\n"
    "19\n"
    "cZTMSvdKXq3W3r3tS3MLH6dEdjQljk9ObKkLzMGIfOA=\n"
    "\n"
    "— dantin.qng/log "
    "1ljtghyRBAPWjvAHGNX+JYngn7u+2bBSrs0prVZvSpGV6YqA7Hh6pfgk+o5uvsBPz7gSpbGK7xXqKgoJqL+i5hP6Twg=\n",
}
COSIGNATURE: dict[str, Any] = {
    "size": 20,
    "witness": "qng.bato.badien/front",
    "key_id": 2642628155,
    "timestamp": 1795319295,
    "line": "— qng.bato.badien/front "
    "nYNOOwAAAABrAmX/M+tQkXZYUHB/uLug9gLu8u8PUiUGp0KYpaZV6+pbSF3uv5hbUH9gM/5lgpVOHN9k54DEgSEbC+dQgI4wEHQSAA==\n",
}
HISTORY: dict[str, Any] = {
    "village": {
        "id": "qng.bato.badien.lang-ma",
        "name": "Thôn Làng Mạ",
        "kind": "thon",
        "parent": "qng.bato.badien",
        "children": [],
    },
    "reader": {"body": "qng.bato/inspection", "kind": "inspection", "keyid": "e0610361381485e1b8d4427fda39bff5"},
    "events": [
        {
            "index": 4,
            "version": 1,
            "hash": "5ca3e25f404a17c63a20f2d519c71943d0c20892d723776bd0997904607a1787",
            "received": "2026-11-22T03:48:15.560766+00:00",
            "envelope": {
                "payloadType": "application/vnd.dantin.event+json; version=1",
                "payload": "eyJib2R5IjoicW5nL3Jvb3QiLCJkYXRlIjoiMjAyMi0wMS0xMCIsImZhY3RzIjp7ImlkIjoicW5nLmJhdG8uYmFkaWVuLmxhbmctbWEiLCJraW5kIjoidGhvbiIsIm5hbWUiOiJUaMO0biBMw6BuZyBN4bqhIn0sImtleSI6IjBmZWI1MGMyNjBiMTQyYmNlMTU5ZjhkNmM2ZWZmODYwIiwicGxhY2UiOiJxbmcuYmF0by5iYWRpZW4ubGFuZy1tYSIsInNpZ25lZF9hdCI6IjIwMjYtMTEtMjJUMDM6NDg6MTVaIiwidHlwZSI6InBsYWNlLnJlZ2lzdGVyZWQiLCJ2IjoxfQ==",
                "signatures": [
                    {
                        "keyid": "0feb50c260b142bce159f8d6c6eff860",
                        "sig": "feKOKfPkzGTFvyqH+KN5E2QPTRucj/2W4hiZEsTDQwYy9xqVHejewJE49N4LCAU2qZLSOGFOLLgVOD9GT/iXDA==",
                    }
                ],
            },
            "statement": {
                "body": "qng/root",
                "date": "2022-01-10",
                "facts": {"id": "qng.bato.badien.lang-ma", "kind": "thon", "name": "Thôn Làng Mạ"},
                "key": "0feb50c260b142bce159f8d6c6eff860",
                "place": "qng.bato.badien.lang-ma",
                "signed_at": "2026-11-22T03:48:15Z",
                "type": "place.registered",
                "v": 1,
            },
        }
    ],
    "people": [
        {
            "id": "p-nguyen-van-a",
            "profile": {
                "born": "1975-02-01",
                "name": "Nguyễn Văn A",
                "party": {"since": "2001-05-19", "status": "full"},
            },
            "entries": [
                {
                    "index": 16,
                    "version": 1,
                    "hash": "0d618c2441ed6b0e33b154556d263efddbe309f51326ab446e3335694ffe1891",
                    "received": "2026-11-22T03:48:15.667320+00:00",
                    "envelope": {
                        "payloadType": "application/vnd.dantin.event+json; version=1",
                        "payload": "eyJib2R5IjoicW5nLmJhdG8uYmFkaWVuL2NvbW1pdHRlZSIsImRhdGUiOiIyMDIyLTAzLTIwIiwiZmFjdHMiOnsiYm9ybiI6IjE5NzUtMDItMDEiLCJuYW1lIjoiTmd1eeG7hW4gVsSDbiBBIiwicGFydHkiOnsic2luY2UiOiIyMDAxLTA1LTE5Iiwic3RhdHVzIjoiZnVsbCJ9LCJwZXJzb24iOiJwLW5ndXllbi12YW4tYSJ9LCJrZXkiOiJiOWFkZjY2ZWNiMjIxOGEyZWE5ODFhOWI2ZDJiZjRiMiIsInBsYWNlIjoicW5nLmJhdG8uYmFkaWVuLmxhbmctbWEiLCJzaWduZWRfYXQiOiIyMDI2LTExLTIyVDAzOjQ4OjE1WiIsInR5cGUiOiJwZXJzb24ucHJvZmlsZWQiLCJ2IjoxfQ==",
                        "signatures": [
                            {
                                "keyid": "b9adf66ecb2218a2ea981a9b6d2bf4b2",
                                "sig": "P2jLr0USk6Ys6/gt4BkFKDgSL6EyxvLLuGrSaQuYIxtryy+Wr3RKVaG7j4OtYtJXNTOaxLOlJmkw1YPg9CKWBA==",
                            }
                        ],
                    },
                    "statement": {
                        "body": "qng.bato.badien/committee",
                        "date": "2022-03-20",
                        "facts": {
                            "born": "1975-02-01",
                            "name": "Nguyễn Văn A",
                            "party": {"since": "2001-05-19", "status": "full"},
                            "person": "p-nguyen-van-a",
                        },
                        "key": "b9adf66ecb2218a2ea981a9b6d2bf4b2",
                        "place": "qng.bato.badien.lang-ma",
                        "signed_at": "2026-11-22T03:48:15Z",
                        "type": "person.profiled",
                        "v": 1,
                    },
                }
            ],
        }
    ],
}
CHECKPOINT: str = (
    "dantin.qng/log\n"
    "20\n"
    "XSMJRM3LQOUqZbyoeKiTag7J5GPkHzQbb/quZo0egRY=\n"
    "\n"
    "— dantin.qng/log "
    "1ljtgjt/DuJrO/57pHJEBgChBHsMTJhaUEOMUKE7EgDwOcChsU1x+1cS3hZKcCa+Md/TgjtX4SPsu+kcqw5U3Yu3sg8=\n"
)
COSIGNATURE_LINE: str = (
    "— qng.bato.badien/front "
    "nYNOOwAAAABrAmX/M+tQkXZYUHB/uLug9gLu8u8PUiUGp0KYpaZV6+pbSF3uv5hbUH9gM/5lgpVOHN9k54DEgSEbC+dQgI4wEHQSAA==\n"
)
