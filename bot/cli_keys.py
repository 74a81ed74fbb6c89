"""`report-bot keys`: make the keys for .env, and rotate them.

`keys generate` is the only command that prints a key: it exists to print them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from bot.cli_kit import Exits, add_command, add_group, add_settings_free_command
from bot.settings import Settings
from bot.stores import run_with_store
from moderation.clock import SystemClock
from moderation.instances import PRESUMED_DEAD, Instance
from moderation.rekeying import Rotation, rotate_everything
from moderation.text import counted
from storage import StorageError, Store
from storage.crypto import DecryptionFailed, new_key_text, new_secret_text


def add_key_commands(
    commands: Any, *, ok: int, failed: int, usage: int, err: Callable[[str], None]
) -> None:
    exits = Exits(ok, failed, usage, err)
    actions = add_group(
        commands,
        "keys",
        dest="keys_command",
        help="encryption keys for personal data: generate, rotate",
        description="Personal data (phone numbers, IP addresses) is encrypted under "
        "ENCRYPTION_KEY and found through a blind index under BLIND_INDEX_KEY.",
    )
    generate = add_settings_free_command(
        actions,
        "generate",
        generate_keys,
        exits,
        help="print a new ENCRYPTION_KEY, BLIND_INDEX_KEY and LEDGER_KEY for .env",
        description="Print fresh random keys in the format the settings expect. Reads no "
        "settings: it works before .env is complete.",
    )
    generate.add_argument("--key-id", default="k1", help="id of the new encryption key")
    add_command(
        actions,
        "rotate",
        rotate_keys,
        exits,
        help="re-encrypt every stored value under the current keys; rebuild blind indexes",
        description="Put the new key in ENCRYPTION_KEY and the old one in "
        "ENCRYPTION_PREVIOUS_KEYS (likewise BLIND_INDEX_KEY as <new id>:<key> and the old one "
        "in BLIND_INDEX_PREVIOUS_KEYS), restart the bot so it seals with the new key, run this, "
        "then drop the old keys and restart the bot again. Every sealed column "
        "is re-encrypted (observations, disclosures, request targets, order documents, "
        "journaled updates, legal drafts) and every index rebuilt, in batches: safe to re-run, "
        "and a run that was killed carries on where it stopped.",
    )


def generate_keys(exits: Exits, args: argparse.Namespace) -> int:
    print(f"ENCRYPTION_KEY={new_key_text(args.key_id)}")
    print(f"BLIND_INDEX_KEY={new_secret_text()}")
    print(f"LEDGER_KEY={new_key_text('l1')}")
    return exits.ok


def rotate_keys(exits: Exits, args: argparse.Namespace, settings: Settings) -> int:
    cipher = settings.cipher()

    async def work(store: Store) -> tuple[Rotation, list[Instance]]:
        now = SystemClock().now()
        done = await rotate_everything(store, cipher, now)
        async with store.reading() as uow:
            running = await uow.instances.live(now - PRESUMED_DEAD)
        return done, running

    try:
        done, running = run_with_store(settings, work)
    except StorageError as exc:
        exits.err(f"keys rotate: {exc}")
        return exits.failed
    except DecryptionFailed as exc:
        exits.err(
            f"keys rotate: {exc}; put the key that sealed it in ENCRYPTION_PREVIOUS_KEYS and "
            "run this again (what was done so far is kept)"
        )
        return exits.failed
    print(
        f"re-encrypted {counted(done.total - done.indexes, 'value')} under key "
        f"{cipher.current_key_id} (observations {done.observations}, legal "
        f"{done.legal}, journal {done.journal}, drafts {done.drafts}); "
        f"re-indexed {done.indexes} under blind index key {cipher.current_index_key_id}"
    )
    for instance in running:
        # A bot keeps the keys it started with: one started before .env named the new key
        # goes on sealing under the old one, and cannot open what was just re-sealed.
        exits.err(
            f"keys rotate: note: a bot instance is running (pid {instance.pid} on "
            f"{instance.host}, started {instance.started_at:%Y-%m-%d %H:%M} UTC); it seals "
            "with the keys it was started with. If that was before ENCRYPTION_KEY named key "
            f"{cipher.current_key_id}, restart it and run keys rotate again before dropping "
            "the old keys"
        )
    return exits.ok
