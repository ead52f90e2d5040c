import Hummingbird

/// GET /docs: a page that renders /openapi.json in the browser. Everything it needs is in
/// this one answer (no CDN, no registry packages), so it works offline and behind firewalls.
enum DocsPage {
    static let path = "/docs"

    static func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static let html = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Vireo REST API</title>
    <style>
    body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
    details { border: 1px solid #ddd; border-radius: 6px; margin: .5rem 0; padding: .4rem .8rem; }
    summary { cursor: pointer; } code, pre { font: 13px ui-monospace, monospace; }
    pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; }
    .method { display: inline-block; width: 4.5rem; font-weight: 600; text-transform: uppercase; }
    .get { color: #0a6; } .post { color: #06c; } .patch { color: #a60; } .delete { color: #c22; } .open { color: #888; }
    </style></head><body>
    <h1>Vireo REST API</h1>
    <p>Send an API key as <code>X-API-Key: KEY</code> or <code>Authorization: Bearer KEY</code>.
    Errors answer <code>{"error": {"code", "message", "field", "sqlstate"}, "detail", "request_id"}</code>
    (the vector-store surfaces in their own envelopes: see each route's responses).
    The machine-readable document is <a href="/openapi.json">/openapi.json</a>.</p>
    <div id="routes">Loading /openapi.json …</div>
    <script>
    const text = (value) => JSON.stringify(value, null, 2);
    const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
    function section(title, value) {
      return value === undefined ? "" : `<h4>${title}</h4><pre>${escape(text(value))}</pre>`;
    }
    function operation(path, method, op) {
      const open = op.security && op.security.length === 0 ? ' <span class="open">(no key)</span>' : "";
      const body = op.requestBody && Object.values(op.requestBody.content)[0].schema;
      return `<details><summary><span class="method ${method}">${method}</span><code>${escape(path)}</code>
        — ${escape(op.summary)}${open}</summary>${section("Parameters", op.parameters)}
        ${section("Request body", body)}${section("Responses", op.responses)}</details>`;
    }
    fetch("/openapi.json").then((r) => r.json()).then((doc) => {
      const parts = [];
      for (const [path, methods] of Object.entries(doc.paths))
        for (const [method, op] of Object.entries(methods)) parts.push(operation(path, method, op));
      document.getElementById("routes").innerHTML = parts.join("");
    }).catch((error) => { document.getElementById("routes").textContent = "Cannot load /openapi.json: " + error; });
    </script></body></html>
    """
}
