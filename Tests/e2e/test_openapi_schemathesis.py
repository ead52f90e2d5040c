"""schemathesis generates requests from /openapi.json and checks every answer: no 5xx,
each status documented, each body matching its schema and content type."""
import os
import subprocess
import sys

from conftest import API_KEY


def test_rest_api_conforms_to_its_openapi_document(server, tmp_path):
    schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    result = subprocess.run(
        [schemathesis, "run", f"{server.base_url}/openapi.json",
         "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
         "--max-examples", "20", "--seed", "1", "-H", f"X-API-Key: {API_KEY}"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)  # its cache stays out of the tree
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
