"""sendPhoto, sendDocument, getFile and downloads through the file route."""

from __future__ import annotations

import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest

from loopback import LoopbackServer, UserHandle
from loopback.images import tiny_png


@pytest.fixture
async def alice(server: LoopbackServer, bot: Bot) -> UserHandle:
    user = server.add_user(first_name="Alice")
    await user.send("/start")
    return user


async def test_photo_upload_is_stored_with_its_size(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    png = tiny_png(3, 2)
    sent = await bot.send_photo(alice.id, png, caption="<b>evidence</b>", parse_mode="HTML")
    assert (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
    stored = server.messages(alice.id)[-1]
    assert stored.caption == "evidence"
    assert stored.caption_entities == ({"type": "bold", "offset": 0, "length": 8},)
    assert stored.photo is not None
    assert stored.photo.data == png
    again = await bot.send_photo(alice.id, sent.photo[-1].file_id)
    assert again.photo[-1].file_id == sent.photo[-1].file_id


async def test_photo_must_be_an_image(bot: Bot, alice: UserHandle) -> None:
    with pytest.raises(BadRequest, match=r"^Image_process_failed$"):
        await bot.send_photo(alice.id, InputFile(b"not an image", filename="x.png"))


async def test_caption_limit(bot: Bot, alice: UserHandle) -> None:
    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await bot.send_photo(alice.id, tiny_png(), caption="x" * 1025)


async def test_document_round_trips_through_get_file(
    bot: Bot, server: LoopbackServer, alice: UserHandle
) -> None:
    report = b"case,decision\n1,approved\n"
    sent = await bot.send_document(alice.id, report, filename="report.csv", caption="Export")
    assert sent.document is not None
    assert sent.document.file_name == "report.csv"
    stored = server.messages(alice.id)[-1]
    assert stored.document is not None
    assert (stored.document.filename, stored.document.data) == ("report.csv", report)
    assert server.calls("sendDocument")[-1].params["document"] == "report.csv"
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == report


async def test_user_documents_can_be_downloaded(bot: Bot, server: LoopbackServer) -> None:
    alice = server.add_user(first_name="Alice")
    sent = await alice.send_document(filename="order.pdf", content=b"%PDF-1.4 court order")
    assert sent.document is not None
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    assert file.file_path.endswith(".pdf")
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 court order"


async def test_unknown_file_ids_are_refused(bot: Bot, alice: UserHandle) -> None:
    with pytest.raises(BadRequest, match=r"^Invalid file_id$"):
        await bot.get_file("nope")
    with pytest.raises(BadRequest, match=r"^Wrong file identifier/http url specified$"):
        await bot.send_document(alice.id, "nope")
