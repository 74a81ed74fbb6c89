"""Russian texts of the roles feature (merged into the ru catalog; keys must not collide)."""

from typing import Final

TEXTS: Final[dict[str, str]] = {}
