"""Public: registered places (names, kinds, the tree)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import ServicesDep
from api.models import PlacePublic
from api.openapi import problems
from api.problems import NotFound

router = APIRouter(prefix="/v1/places", tags=["places"])
PlaceIdPath = Annotated[str, Path(max_length=200, description="Mã địa bàn.", examples=["qng.bato.badien.lang-ma"])]


@router.get("/{place_id}", response_model=PlacePublic, responses=problems(400, 404), summary="Một địa bàn")
def get_place(place_id: PlaceIdPath, services: ServicesDep) -> PlacePublic:
    """Tên, loại, địa bàn cấp trên và các địa bàn trực thuộc của một địa bàn đã đăng ký."""
    place = services.places.get(place_id)
    if place is None:
        raise NotFound(f"Địa bàn '{place_id}' chưa được đăng ký.", detail="unknown place")
    return PlacePublic(id=place.id, name=place.name, kind=place.kind, parent=place.parent,
                       children=sorted(place.children))
