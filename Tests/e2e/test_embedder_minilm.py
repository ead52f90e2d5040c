"""The native all-MiniLM-L6-v2 embedder in a real `vireo serve`: a question that shares no
word with the passage it is about still finds it (the hashing fallback cannot), and /health
names the model. `make test` fetches the model first (`make models`) and sets VIREO_MODEL_DIR."""
import json

from conftest import call

PASSAGES = {
    "cats.txt": "The kitten curled up on the sofa and purred while it slept in the afternoon sun.",
    "code.txt": "The compiler reported a type error on line twelve of the parser module.",
    "bread.txt": "Knead the dough, let it rise for an hour, then bake it until the crust is golden.",
    "money.txt": "Interest rates rose again, and bond prices fell across the market this quarter.",
}



def test_minilm_finds_passages_by_meaning(minilm_server):
    base = minilm_server.base_url
    health = call(base, "GET", "/health")
    assert "MiniLM" in json.dumps(health), health
    store = call(base, "POST", "/v1/vector_stores", body={"name": "meaning"})
    for filename, text in PASSAGES.items():
        added = call(base, "POST", f"/v1/vector_stores/{store['id']}/files", form={"text": text, "filename": filename})
        assert added["status"] == "completed", added
    questions = {
        "a sleeping cat": "cats.txt",
        "how do I make a loaf": "bread.txt",
        "a bug found while building software": "code.txt",
        "what happened in the financial markets": "money.txt",
    }
    for question, expected in questions.items():
        found = call(base, "POST", f"/v1/vector_stores/{store['id']}/search", body={"query": question, "max_results": 1})
        assert found["data"][0]["filename"] == expected, (question, found)
