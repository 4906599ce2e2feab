"""Smoke tests of tests/opensearch_node: a real OpenSearch 2.19 node and a real 3-node cluster.

The first run builds the launcher with Maven (downloads ~100 MB into .cache/m2); later runs reuse
it. Each test starts its own JVMs on free loopback ports and stops them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from tests import opensearch_node as osn

pytestmark = pytest.mark.integration

NAME = "Nguyễn Văn Đức"

INDEX_BODY = {
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


@pytest.fixture(scope="module")
def launcher() -> None:
    try:
        osn.build()
    except osn.BuildError as err:
        pytest.fail(f"the OpenSearch launcher did not build: {err}")


@pytest.fixture
def node(launcher: None, tmp_path: Path) -> Iterator[osn.Node]:
    node = osn.start_node(tmp_path / "node")
    yield node
    node.stop()


@pytest.fixture
def cluster(launcher: None, tmp_path: Path) -> Iterator[osn.Cluster]:
    cluster = osn.start_cluster(tmp_path / "cluster", n=3)
    yield cluster
    cluster.stop()


def client(*urls: str) -> OpenSearch:
    return OpenSearch(hosts=list(urls), timeout=30, max_retries=0)


def hit_names(response: dict) -> list[str]:
    return [hit["_source"]["name"] for hit in response["hits"]["hits"]]


def test_single_node_folds_vietnamese(node: osn.Node) -> None:
    os_ = client(node.url)
    assert os_.info()["version"]["number"] == osn.OPENSEARCH_VERSION
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


def test_cluster_survives_a_killed_node_and_heals(cluster: osn.Cluster) -> None:
    assert [n.running for n in cluster] == [True, True, True]
    os_ = client(*cluster.urls)
    body = {"settings": {"number_of_shards": 2, "number_of_replicas": 1,
                         "analysis": INDEX_BODY["settings"]["analysis"]},  # type: ignore[index]  # a literal dict
            "mappings": INDEX_BODY["mappings"]}
    os_.indices.create(index="people", body=body)
    for i in range(20):
        os_.index(index="people", id=str(i), body={"name": f"{NAME} {i}", "n": i})
    os_.indices.refresh(index="people")
    health = cluster.wait_for_status("green", nodes=3)
    assert health["active_shards"] == 4

    # kill the elected cluster manager: the other two must elect one and keep serving
    manager = os_.cat.cluster_manager(format="json")[0]["node"]
    victim = next(n for n in cluster if n.name == manager)
    held = [s for s in os_.cat.shards(index="people", format="json") if s["node"] == manager]
    victim.kill()
    survivors = [n for n in cluster if n.running]
    assert len(survivors) == 2
    health = osn.Cluster(survivors).wait_for_status("yellow", nodes=2, timeout=60)
    # the lost copies wait for their node to come back (delayed allocation), every shard has one
    assert health["unassigned_shards"] == len(held) and health["active_primary_shards"] == 2

    live = client(*(n.url for n in survivors))
    found = live.search(index="people", body={"query": {"match": {"name": "nguyen van duc"}}, "size": 0},
                        params={"track_total_hits": "true"})
    assert found["hits"]["total"]["value"] == 20
    assert found["_shards"]["failed"] == 0
    live.index(index="people", id="while-down", body={"name": "Lê Minh Đạo", "n": 99}, refresh=True)

    victim.start()
    health = cluster.wait_for_status("green", nodes=3, timeout=120)
    assert health["active_shards"] == 4 and health["number_of_nodes"] == 3

    back = client(victim.url)
    found = back.search(index="people", body={"query": {"match": {"name": "le minh dao"}}})
    assert hit_names(found) == ["Lê Minh Đạo"]
    assert back.count(index="people")["count"] == 21
