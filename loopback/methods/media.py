"""sendPhoto, sendDocument and getFile: uploads are stored and can be downloaded again."""

from __future__ import annotations

import mimetypes
from typing import Any

from telegram import Document, File, PhotoSize

from loopback.api_errors import bad_request
from loopback.chat_access import sendable_chat
from loopback.file_store import FileKind, StoredFile
from loopback.formatted_text import FormattedText
from loopback.images import image_size
from loopback.keyboards import inline_markup, parse_reply_markup, require_buttons_allowed
from loopback.message_factory import build_message, store
from loopback.message_text import MAX_CAPTION_LENGTH, format_text
from loopback.methods.context import CallContext
from loopback.methods.messages import entity_list, thread_and_reply
from loopback.request_params import UploadedFile

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
_KIND_NAMES = {FileKind.PHOTO: "Photo", FileKind.DOCUMENT: "Document", FileKind.STICKER: "Sticker"}


def _caption(ctx: CallContext) -> FormattedText | None:
    source = ctx.params.text("caption")
    if not source:
        return None
    caption = format_text(
        source,
        parse_mode=ctx.params.text("parse_mode"),
        entities=entity_list(ctx, "caption_entities"),
        lookup_user=ctx.world.user_lookup(ctx.bot),
    )
    if caption.length > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return caption if caption.text else None


def _existing_file(ctx: CallContext, reference: str, kind: FileKind) -> StoredFile:
    stored = ctx.world.files.by_id(reference)
    if stored is None:
        if reference.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind:
        raise bad_request(
            f"can't use file of type {_KIND_NAMES[stored.kind]} as {_KIND_NAMES[kind]}"
        )
    return stored


def _photo_file(ctx: CallContext) -> StoredFile:
    upload = ctx.params.upload("photo")
    if upload is None:
        raise bad_request("there is no photo in the request")
    if isinstance(upload, str):
        return _existing_file(ctx, upload, FileKind.PHOTO)
    size = image_size(upload.data)
    if size is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    mime_type = "image/png" if upload.data.startswith(b"\x89PNG") else "image/jpeg"
    return ctx.world.files.add(
        FileKind.PHOTO,
        upload.data,
        filename=upload.filename,
        mime_type=mime_type,
        width=size[0],
        height=size[1],
    )


def _document_file(ctx: CallContext) -> StoredFile:
    upload = ctx.params.upload("document")
    if upload is None:
        raise bad_request("there is no document in the request")
    if isinstance(upload, str):
        return _existing_file(ctx, upload, FileKind.DOCUMENT)
    return store_document(ctx, upload)


def store_document(ctx: CallContext, upload: UploadedFile) -> StoredFile:
    if not upload.data:
        raise bad_request("file must be non-empty")
    if len(upload.data) > MAX_UPLOAD_BYTES:
        raise bad_request("file is too big")
    mime_type = upload.content_type
    if not mime_type or mime_type == "application/octet-stream":
        mime_type = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
    return ctx.world.files.add(
        FileKind.DOCUMENT, upload.data, filename=upload.filename, mime_type=mime_type
    )


async def _send_media(ctx: CallContext, kind: FileKind) -> Any:
    view = sendable_chat(ctx.world, ctx.bot, ctx.params)
    stored = _photo_file(ctx) if kind == FileKind.PHOTO else _document_file(ctx)
    caption = _caption(ctx)
    thread_id, reply_to = thread_and_reply(ctx, view)
    markup = parse_reply_markup(ctx.params)
    require_buttons_allowed(markup, private=view.is_private)
    ctx.spend_send_quota(view)
    content: dict[str, Any] = {}
    if kind == FileKind.PHOTO:
        content["photo"] = [
            PhotoSize(
                stored.file_id, stored.file_unique_id, stored.width, stored.height, stored.size
            )
        ]
    else:
        content["document"] = Document(
            stored.file_id, stored.file_unique_id, stored.filename, stored.mime_type, stored.size
        )
    message = build_message(
        view,
        sender=ctx.bot.user.to_user(),
        thread_id=thread_id,
        reply_to=reply_to,
        reply_markup=inline_markup(markup),
        caption=caption.text if caption else None,
        caption_entities=(caption.entities or None) if caption else None,
        **content,
    )
    store(
        view,
        message,
        sender_bot_id=ctx.bot.id,
        source_text=ctx.params.text("caption") or "",
        parse_mode=ctx.params.text("parse_mode"),
        markup=markup,
        file=stored,
    )
    ctx.world.changed()
    return message.to_dict()


async def send_photo(ctx: CallContext) -> Any:
    return await _send_media(ctx, FileKind.PHOTO)


async def send_document(ctx: CallContext) -> Any:
    return await _send_media(ctx, FileKind.DOCUMENT)


async def get_file(ctx: CallContext) -> Any:
    file_id = ctx.params.text("file_id") or ""
    stored = ctx.world.files.by_id(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return File(stored.file_id, stored.file_unique_id, stored.size, stored.file_path).to_dict()
