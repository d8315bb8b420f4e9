"""The price list of a region: one dated JSON file per region in ``tools/cost/prices/``, read offline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRICES_DIR = Path(__file__).resolve().parent / "prices"


class PriceError(LookupError):
    """No price file for a region, or a price the bill needs is missing from it."""


@dataclass(frozen=True)
class PriceList:
    """One region's prices (USD), the date they were read and the pages they come from."""

    region: str
    as_of: str
    sources: dict[str, str]
    _prices: dict[str, Any]

    def __call__(self, *path: str) -> float:
        """``prices("lambda", "gb_second", "arm64")`` -> the price at that path of the file."""
        value: Any = self._prices
        for key in path:
            if not isinstance(value, dict) or key not in value:
                raise PriceError(f"{self.region}: no price at {'.'.join(path)}")
            value = value[key]
        if not isinstance(value, int | float):
            raise PriceError(f"{self.region}: {'.'.join(path)} is not a number")
        return float(value)


def load(region: str, directory: Path = PRICES_DIR) -> PriceList:
    path = directory / f"{region}.json"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.json")))
        raise PriceError(f"no price file for {region} (known: {known}); add {path.name} from AWS's pages")
    data: dict[str, Any] = json.loads(path.read_text())
    return PriceList(region=data["region"], as_of=data["as_of"], sources=data["sources"], _prices=data)
