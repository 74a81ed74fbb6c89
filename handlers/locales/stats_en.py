"""English texts of the stats feature (merged into the en catalog; keys must not collide)."""

from typing import Final

TEXTS: Final[dict[str, str]] = {}
