"""Registry commands of `report-bot`: keys (generate, rotate) and the search blocklist export.

Each prints its answer on stdout and problems on stderr as `report-bot: ...`; keys are only ever
printed by `keys generate`, which exists to print them.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections.abc import Callable
from typing import Any

from bot.settings import Settings
from moderation.clock import SystemClock
from moderation.registry import rotate_keys
from storage import StorageError, Store
from storage.crypto import new_key_text, new_secret_text


def add_registry_commands(
    commands: Any, *, ok: int, failed: int, err: Callable[[str], None]
) -> None:
    keys = commands.add_parser(
        "keys",
        help="encryption keys for personal data: generate, rotate",
        description="Personal data (phone numbers, IP addresses) is encrypted under "
        "ENCRYPTION_KEY and found through a blind index under BLIND_INDEX_KEY.",
    )
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    generate = key_commands.add_parser(
        "generate",
        help="print a new ENCRYPTION_KEY and BLIND_INDEX_KEY for .env",
        description="Print fresh random keys in the format the settings expect.",
    )
    generate.add_argument("--key-id", default="k1", help="id of the new encryption key")

    def cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
        print(f"ENCRYPTION_KEY={new_key_text(args.key_id)}")
        print(f"BLIND_INDEX_KEY={new_secret_text()}")
        return ok

    generate.set_defaults(handler=cmd_generate)

    rotate = key_commands.add_parser(
        "rotate",
        help="re-encrypt every stored value under the current ENCRYPTION_KEY",
        description="Put the new key in ENCRYPTION_KEY and the old one in "
        "ENCRYPTION_PREVIOUS_KEYS, run this, then drop the old key. Safe to re-run.",
    )

    def cmd_rotate(args: argparse.Namespace, settings: Settings) -> int:
        cipher = settings.cipher()

        async def work() -> int:
            store = await Store.open(settings.database_path)
            try:
                return await rotate_keys(store, cipher, SystemClock().now())
            finally:
                await store.close()

        try:
            count = asyncio.run(work())
        except StorageError as exc:
            err(f"keys rotate: {exc}")
            return failed
        print(f"re-encrypted {count} value(s) under key {cipher.current_key_id}")
        return ok

    rotate.set_defaults(handler=cmd_rotate)

    blocklist = commands.add_parser(
        "blocklist",
        help="the targets hidden from search",
        description="What the platform's search must hide.",
    )
    block_commands = blocklist.add_subparsers(
        dest="blocklist_command", required=True, metavar="ACTION"
    )
    export = block_commands.add_parser(
        "export",
        help="print hidden targets as JSON Lines or CSV",
        description="One line per hidden target: key, kind, username, telegram id, post id, "
        "category, whether provisional, case id and when it was hidden.",
    )
    export.add_argument("--format", choices=("json", "csv"), default="json")

    def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
        async def work() -> list[dict[str, Any]]:
            store = await Store.open(settings.database_path)
            try:
                async with store.reading() as uow:
                    return await uow.review.blocklist()
            finally:
                await store.close()

        try:
            rows = asyncio.run(work())
        except StorageError as exc:
            err(f"blocklist export: {exc}")
            return failed
        if args.format == "json":
            for row in rows:
                print(json.dumps(row, ensure_ascii=False, sort_keys=True))
        else:
            writer = csv.DictWriter(sys.stdout, fieldnames=BLOCKLIST_FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        return ok

    export.set_defaults(handler=cmd_export)


BLOCKLIST_FIELDS = [
    "target_key",
    "kind",
    "username",
    "telegram_id",
    "post_id",
    "category",
    "provisional",
    "case_id",
    "hidden_at",
]
