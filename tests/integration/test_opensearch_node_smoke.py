"""Smoke test of tests/opensearch_node: the session's node is a real OpenSearch 2.19.6 with the
modules sohoa relies on (analysis-common, analysis-icu, painless), plain client calls only.

The first run builds the launcher with Maven (downloads ~100 MB into .cache/m2); later runs reuse
it. The cluster (kills, elections, recovery) is tested with the backend in test_opensearch_cluster.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from opensearchpy import OpenSearch

from tests import opensearch_node as osn

pytestmark = pytest.mark.integration

NAME = "Nguyễn Văn Đức"

INDEX_BODY: dict[str, Any] = {
    "settings": {
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "analysis": {
            "filter": {
                "vi_folding": {"type": "asciifolding", "preserve_original": True},
                "vi_icu_normalizer": {"type": "icu_normalizer", "name": "nfkc_cf"},
            },
            "analyzer": {
                "vi_ascii": {"type": "custom", "tokenizer": "standard",
                             "filter": ["lowercase", "vi_folding"]},
                "vi_icu": {"type": "custom", "tokenizer": "icu_tokenizer",
                           "filter": ["vi_icu_normalizer", "icu_folding"]},
            },
        },
    },
    "mappings": {
        "properties": {
            "name": {"type": "text", "analyzer": "vi_ascii",
                     "fields": {"icu": {"type": "text", "analyzer": "vi_icu"}}},
            "n": {"type": "integer"},
        }
    },
}


@pytest.fixture
def node(opensearch_node: osn.Node | None) -> osn.Node:
    if opensearch_node is None:
        pytest.skip("SOHOA_TEST_OPENSEARCH_URL is set: the suite's own node is not started")
    return opensearch_node


def client(*urls: str) -> OpenSearch:
    return OpenSearch(hosts=list(urls), timeout=30, max_retries=0)


def hit_names(response: dict) -> list[str]:
    return [hit["_source"]["name"] for hit in response["hits"]["hits"]]


def test_single_node_folds_vietnamese(node: osn.Node) -> None:
    os_ = client(node.url)
    assert os_.info()["version"]["number"] == osn.OPENSEARCH_VERSION
    os_.indices.delete(index="people", ignore=[404])
    os_.indices.create(index="people", body=INDEX_BODY)
    os_.index(index="people", id="1", body={"name": NAME, "n": 1}, refresh=True)
    os_.index(index="people", id="2", body={"name": "Trần Thị Hoa", "n": 2}, refresh=True)

    tokens = os_.indices.analyze(index="people", body={"analyzer": "vi_ascii", "text": NAME})
    assert [t["token"] for t in tokens["tokens"]] == ["nguyen", "nguyễn", "van", "văn", "duc", "đức"]
    tokens = os_.indices.analyze(index="people", body={"analyzer": "vi_icu", "text": NAME})
    assert [t["token"] for t in tokens["tokens"]] == ["nguyen", "van", "duc"]

    for field in ("name", "name.icu"):
        for query in ("nguyen van duc", "NGUYEN VAN DUC", NAME):
            found = os_.search(index="people", body={"query": {"match": {field: {"query": query, "operator": "and"}}}})
            assert hit_names(found) == [NAME], (field, query)

    # preserve_original keeps the accented token: the exact spelling ranks above a folded match
    os_.index(index="people", id="3", body={"name": "Nguyen Van Duc", "n": 3}, refresh=True)
    found = os_.search(index="people", body={"query": {"match": {"name": "Đức"}}})
    assert hit_names(found)[0] == NAME and len(found["hits"]["hits"]) == 2

    # painless is there too
    found = os_.search(index="people", body={
        "query": {"match_all": {}},
        "script_fields": {"twice": {"script": {"source": "doc['n'].value * 2"}}},
        "sort": [{"n": "asc"}],
    })
    assert [hit["fields"]["twice"][0] for hit in found["hits"]["hits"]] == [2, 4, 6]

    # and the reindex module (_delete_by_query, which the backend uses)
    assert os_.delete_by_query(index="people", body={"query": {"term": {"n": 3}}}, refresh=True)["deleted"] == 1
    assert os_.count(index="people")["count"] == 2
    os_.indices.delete(index="people")
