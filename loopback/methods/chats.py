"""getChat, getChatMember, getChatAdministrators, getChatMemberCount and leaveChat."""

from __future__ import annotations

from typing import Any

from telegram import ChatMemberUpdated

from loopback.api_errors import bad_request
from loopback.chat_access import resolve_visible_chat
from loopback.chat_state import Membership, MemberStatus, utc_now
from loopback.delivery import deliver_to
from loopback.methods.context import CallContext


async def get_chat(ctx: CallContext) -> Any:
    view = resolve_visible_chat(ctx.world, ctx.bot, ctx.params.chat_ref())
    if view.group is not None:
        return view.group.full_info().to_dict()
    assert view.user is not None
    return view.user.full_info().to_dict()


async def get_chat_member(ctx: CallContext) -> Any:
    view = resolve_visible_chat(ctx.world, ctx.bot, ctx.params.chat_ref())
    user_id = ctx.params.required_integer("user_id", error="invalid user_id specified")
    user = ctx.world.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    if view.group is None:
        if user_id not in {view.id, ctx.bot.id}:
            raise bad_request("user not found")
        return Membership(MemberStatus.MEMBER).to_chat_member(user.to_user(), "private").to_dict()
    membership = view.group.membership(user_id)
    known = user_id in ctx.bot.known_users or user.is_bot
    if membership.status == MemberStatus.LEFT and user_id not in view.group.members and not known:
        raise bad_request("user not found")
    return membership.to_chat_member(user.to_user(), view.group.type).to_dict()


async def get_chat_administrators(ctx: CallContext) -> Any:
    view = resolve_visible_chat(ctx.world, ctx.bot, ctx.params.chat_ref())
    if view.group is None:
        raise bad_request("there are no administrators in the private chat")
    chat = view.group
    admins = sorted(
        (
            (user_id, membership)
            for user_id, membership in chat.members.items()
            if membership.is_admin
        ),
        key=lambda item: item[1].status != MemberStatus.CREATOR,
    )
    return [
        membership.to_chat_member(ctx.world.users[user_id].to_user(), chat.type).to_dict()
        for user_id, membership in admins
    ]


async def get_chat_member_count(ctx: CallContext) -> Any:
    view = resolve_visible_chat(ctx.world, ctx.bot, ctx.params.chat_ref())
    if view.group is None:
        return 2
    return sum(1 for membership in view.group.members.values() if membership.present)


async def leave_chat(ctx: CallContext) -> Any:
    view = resolve_visible_chat(ctx.world, ctx.bot, ctx.params.chat_ref())
    chat = view.group
    if chat is None:
        raise bad_request("chat member status can't be changed in private chats")
    old = chat.membership(ctx.bot.id)
    if not old.present:
        raise bad_request("USER_NOT_PARTICIPANT")
    chat.members[ctx.bot.id] = Membership(MemberStatus.LEFT)
    me = ctx.bot.user.to_user()
    change = ChatMemberUpdated(
        chat=chat.to_chat(),
        from_user=me,
        date=utc_now(),
        old_chat_member=old.to_chat_member(me, chat.type),
        new_chat_member=Membership(MemberStatus.LEFT).to_chat_member(me, chat.type),
    )
    deliver_to(ctx.world, ctx.bot, "my_chat_member", change)
    return True
