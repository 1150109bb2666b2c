import json
import logging

from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from odoo import http
from odoo.http import request

from ..models.ccv_moneybird_connection import error_text
from ..models.connection_ccv import WEBHOOK_PATH
from ..models.connection_moneybird import CALLBACK_PATH

_logger = logging.getLogger(__name__)


class CcvMoneybirdController(http.Controller):
    @http.route(CALLBACK_PATH, type="http", auth="user", methods=["GET"])
    def moneybird_oauth_callback(self, code=None, state=None, error=None, **kwargs):
        """Moneybird sends the browser back here after the user allowed the link."""
        if not state:
            raise BadRequest()
        # sudo: the OAuth state is a system-only field; access is checked right below
        connection = (
            request.env["ccv.moneybird.connection"]
            .sudo()
            .search([("moneybird_oauth_state", "=", state)], limit=1)
        )
        if not connection:
            raise NotFound()
        connection = connection.sudo(False).with_user(request.env.user)
        connection.check_access("write")
        if error or not code:
            connection.message_post(
                body=request.env._("Moneybird did not grant access: %s", error or "-")
            )
        else:
            try:
                with request.env.cr.savepoint():
                    connection._finish_oauth(code)
            except Exception as exc:  # whatever goes wrong, the user ends on the form
                _logger.warning("Moneybird OAuth callback failed", exc_info=True)
                connection.moneybird_state = "revoked"
                connection.message_post(
                    body=request.env._(
                        "Connecting Moneybird failed: %s Press Connect Moneybird to "
                        "try again.",
                        error_text(request.env, exc),
                    )
                )
        action = request.env.ref("ccv_moneybird_sync.ccv_moneybird_connection_action")
        return request.redirect(f"/odoo/action-{action.id}/{connection.id}")

    @http.route(
        f"{WEBHOOK_PATH}/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def ccv_webhook(self, token, **kwargs):
        """CCV posts ``{"id": <reference>}``; the transaction is read back from CCV."""
        # sudo: the webhook caller is anonymous; the secret token in the URL selects
        # the connection, and nothing of the body is trusted beyond the reference
        connection = (
            request.env["ccv.moneybird.connection"]
            .sudo()
            .search([("webhook_token", "=", token)], limit=1)
        )
        if not connection or not token:
            raise Forbidden()
        try:
            reference = json.loads(request.httprequest.get_data() or b"{}").get("id")
        except (ValueError, AttributeError):
            reference = None
        if not isinstance(reference, str) or not reference or len(reference) > 255:
            raise BadRequest()
        connection._record_webhook(reference)
        return request.make_response("", status=204)
