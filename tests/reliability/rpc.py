"""XML-RPC as an Odoo user (``/xmlrpc/2/object``), with a timeout, from threads."""

import http.client
import xmlrpc.client


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout
        self.context = {}  # added to every call (e.g. allowed_company_ids)

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


class Rpc:
    """One user on one server; each call opens its own connection (thread-safe)."""

    def __init__(self, url, db, login, password, timeout=120):
        self.url, self.db, self.login, self.password = url, db, login, password
        self.timeout = timeout
        self.context = {}  # added to every call (e.g. allowed_company_ids)
        self.uid = self._proxy("common").authenticate(db, login, password, {})
        if not self.uid:
            raise RuntimeError(f"{login} cannot log in to {db} at {url}")

    def _proxy(self, service):
        return xmlrpc.client.ServerProxy(
            f"{self.url}/xmlrpc/2/{service}",
            transport=_TimeoutTransport(self.timeout),
            allow_none=True,
        )

    def __call__(self, model, method, *args, **kwargs):
        if self.context:
            kwargs["context"] = {**self.context, **kwargs.get("context", {})}
        return self._proxy("object").execute_kw(
            self.db, self.uid, self.password, model, method, list(args), kwargs
        )

    def ref(self, xmlid):
        """The database id of an XML id (module.name)."""
        module, name = xmlid.split(".", 1)
        found = self(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        return found[0]["res_id"] if found else False


RPC_ERRORS = (xmlrpc.client.Error, OSError, http.client.HTTPException)
