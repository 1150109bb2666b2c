"""Golden file: how the JSON-2 backend classifies the answers of a package."""

import json
from pathlib import Path

import requests

from odoo.tests import BaseCase, tagged

from ..backends import OdooJson2Backend

DATA = Path(__file__).parent / "data" / "json2_errors.json"


def _response(sample):
    response = requests.models.Response()
    response.status_code = sample["status"]
    response.headers.update(sample["headers"])
    body = sample["body"]
    response._content = (json.dumps(body) if isinstance(body, dict) else body).encode()
    return response


@tagged("post_install", "-at_install")
class TestJson2ErrorClassification(BaseCase):
    def test_recorded_answers_are_classified_as_expected(self):
        samples = json.loads(DATA.read_text())
        self.assertGreaterEqual(len(samples), 9)
        for sample in samples:
            with self.subTest(sample["what"]):
                error = OdooJson2Backend._error_from_response(_response(sample))
                self.assertEqual(error.kind, sample["kind"])
                self.assertEqual(error.code, sample["code"])
                self.assertEqual(error.retry_after, sample.get("retry_after"))
                # what the bookkeeper reads in the task and the instruction
                self.assertTrue(str(error))
                self.assertNotIn("<", str(error), "never raw HTML")
                if sample["status"] >= 429:
                    self.assertIn(f"HTTP {sample['status']}", str(error))
