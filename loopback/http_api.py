"""The HTTP side of the Bot API: routing, envelopes, the call log, faults and drops."""

from __future__ import annotations

import datetime as dtm
import json
import logging
from typing import Any

from aiohttp import web

from loopback.api_errors import (
    ApiError,
    bad_gateway,
    not_found,
    server_error,
    too_many_requests,
    unauthorized,
)
from loopback.faults import WAITING_KINDS, FaultInjector, FaultRule
from loopback.flood_control import FloodControl
from loopback.methods.context import CallContext, Described, Handler
from loopback.methods.table import find_method
from loopback.records import ApiCall
from loopback.request_params import Params, read_params
from loopback.webhook_delivery import WebhookSender
from loopback.world import BotRecord, World

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 52 * 1024 * 1024


class BotApiHttp:
    """Answers /bot<token>/<method> and /file/bot<token>/<path> like api.telegram.org."""

    def __init__(
        self,
        world: World,
        faults: FaultInjector,
        flood: FloodControl | None,
        webhooks: WebhookSender,
        callback_query_ttl: float,
    ) -> None:
        self._world = world
        self._faults = faults
        self._flood = flood
        self._webhooks = webhooks
        self._callback_query_ttl = callback_query_ttl

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        return app

    def _record_call(self, index: int | None, call: ApiCall) -> None:
        if index is None:
            self._world.calls.append(call)
        else:
            self._world.calls[index] = call
        self._world.changed()

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token, name = request.match_info["token"], request.match_info["method"]
        bot = self._world.bots.get(token)
        found = find_method(name)
        method = found[0] if found is not None else name
        at = dtm.datetime.now(dtm.UTC)
        params = Params({}, {})
        try:
            if bot is None:
                raise unauthorized()
            if found is None:
                raise not_found()
            params = await read_params(request)
        except ApiError as error:
            self._record_call(None, self._failed(method, params, error, at, bot))
            return self._error_response(error)
        assert found is not None
        assert bot is not None
        return await self._dispatch(request, bot, method, found[1], params, at)

    async def _dispatch(
        self,
        request: web.Request,
        bot: BotRecord,
        method: str,
        handler: Handler,
        params: Params,
        at: dtm.datetime,
    ) -> web.StreamResponse:
        index = len(self._world.calls)
        self._record_call(
            None, ApiCall(method, params.summary(), False, None, None, at, bot.id, pending=True)
        )
        fired = self._faults.firing(method, params.text("chat_id"))
        for rule in fired:
            if rule.kind in WAITING_KINDS and rule.when == "before":
                await rule.wait()
        failure = next((rule for rule in fired if rule.kind not in WAITING_KINDS), None)
        drop_after = failure is not None and failure.kind == "drop" and failure.when == "after"
        if failure is not None and not drop_after:
            if failure.kind == "drop":
                self._record_call(index, self._dropped(method, params, at, bot, applied=False))
                return self._drop(request)
            error = _fault_error(failure)
            self._record_call(index, self._failed(method, params, error, at, bot))
            return self._error_response(error)
        context = CallContext(
            world=self._world,
            bot=bot,
            params=params,
            callback_query_ttl=self._callback_query_ttl,
            flood=self._flood,
            webhooks=self._webhooks,
        )
        try:
            outcome = await handler(context)
        except ApiError as error:
            if drop_after:
                self._record_call(index, self._dropped(method, params, at, bot, applied=False))
                return self._drop(request)
            self._record_call(index, self._failed(method, params, error, at, bot))
            return self._error_response(error)
        except Exception:
            log.exception("loopback server bug in %s", method)
            internal = server_error()
            self._record_call(index, self._failed(method, params, internal, at, bot))
            return self._error_response(internal)
        result = outcome.result if isinstance(outcome, Described) else outcome
        for rule in fired:  # applied, its answer still on the way (a kill can land here)
            if rule.kind in WAITING_KINDS and rule.when == "after":
                await rule.wait()
        if drop_after:
            self._record_call(index, self._dropped(method, params, at, bot, applied=True))
            return self._drop(request)
        self._record_call(
            index, ApiCall(method, params.summary(), True, None, None, at, bot.id, result=result)
        )
        body: dict[str, Any] = {"ok": True, "result": result}
        if isinstance(outcome, Described):
            body["description"] = outcome.description
        return web.Response(text=json.dumps(body), content_type="application/json")

    @staticmethod
    def _failed(
        method: str, params: Params, error: ApiError, at: dtm.datetime, bot: BotRecord | None
    ) -> ApiCall:
        return ApiCall(
            method,
            params.summary(),
            False,
            error.error_code,
            error.description,
            at,
            bot.id if bot is not None else None,
        )

    @staticmethod
    def _dropped(
        method: str, params: Params, at: dtm.datetime, bot: BotRecord, *, applied: bool
    ) -> ApiCall:
        description = (
            "connection dropped after the call was applied"
            if applied
            else ("connection dropped before the call was applied")
        )
        return ApiCall(
            method, params.summary(), applied, None, description, at, bot.id, dropped=True
        )

    @staticmethod
    def _error_response(error: ApiError) -> web.Response:
        return web.Response(
            text=json.dumps(error.envelope()),
            status=error.error_code,
            content_type="application/json",
        )

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        """Closes the connection without an answer; aiohttp then has nothing to write to."""
        transport = request.transport
        if transport is not None:
            transport.abort()
        return web.Response(status=499)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] not in self._world.bots:
            return self._error_response(not_found())
        stored = self._world.files.by_path(request.match_info["path"])
        if stored is None:
            return self._error_response(not_found())
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )


def _fault_error(rule: FaultRule) -> ApiError:
    if rule.kind == "retry_after":
        return too_many_requests(rule.retry_after)
    if rule.kind == "server_error":
        return server_error()
    if rule.kind == "bad_gateway":
        return bad_gateway()
    return ApiError(rule.error_code, rule.description)
