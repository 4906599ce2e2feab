"""Versioned indices behind one alias: ``<index>-v<N>`` served as ``<index>``.

Readers and writers only ever name the alias, so a rebuild can load a fresh version
while searches keep hitting the old one, then move the alias in one ``_aliases`` call
(remove + add are applied atomically by the cluster). During a rebuild the new version
also carries the alias ``<index>-next`` so live indexing writes to both and nothing
indexed mid-rebuild is lost by the swap.
"""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, RequestError

from search.opensearch.client import RetryPolicy, call, describe
from search.opensearch.mapping import INDEX_MAPPINGS, index_template
from sohoa.core.errors import Conflict

log = logging.getLogger(__name__)

LOADING_SETTINGS = {"index": {"refresh_interval": "-1"}}  # no refresh churn while bulk loading
SERVING_SETTINGS = {"index": {"refresh_interval": None}}  # back to the cluster default


def next_alias(index: str) -> str:
    return f"{index}-next"


def put_template(client: OpenSearch, index: str, policy: RetryPolicy) -> bool:
    """(Re)install the template so every new version gets the current strict mapping; with
    the ICU analyzers if the engine takes them, else with asciifolding. Returns which.

    The engine validates a template's analyzers when it is put, so one without the
    ``analysis-icu`` plugin refuses the ICU variant (400): no extra request or permission is
    needed to find out, and a cluster that gets the plugin later gets the ICU variant at the
    next put (the next process, or ``sohoa reindex``, which builds a version with it).
    """
    refused = ""
    for icu in (True, False):
        put = partial(client.indices.put_index_template, name=index, body=index_template(index, icu=icu))
        try:
            call(policy, "put template", put)
        except RequestError as exc:
            if not icu:
                raise
            refused = describe(exc)
            continue
        if not icu:
            log.warning("OpenSearch refused the analysis-icu filters (%s): %s-v* fold with asciifolding only; "
                        "install the plugin on every node, then `sohoa reindex`", refused, index)
        return icu
    raise AssertionError("unreachable")  # pragma: no cover


def versions(client: OpenSearch, index: str, policy: RetryPolicy) -> dict[str, int]:
    """Existing versions ``{concrete name: N}`` of this alias (no error if there are none)."""
    pattern = re.compile(rf"^{re.escape(index)}-v(\d+)$")
    found = call(
        policy,
        "list versions",
        lambda: client.indices.get_alias(index=f"{index}-v*", allow_no_indices=True, ignore_unavailable=True),
    )
    out: dict[str, int] = {}
    for name in found:
        match = pattern.match(name)
        if match:
            out[name] = int(match.group(1))
    return out


def layout(client: OpenSearch, index: str, policy: RetryPolicy) -> int | None:
    """The oldest ``mapping.LAYOUT`` among the versions behind the alias (1: made before the
    layout was recorded); ``None`` when there is no alias yet."""
    def get() -> Any:
        try:
            return client.indices.get_mapping(index=index)
        except NotFoundError:
            return {}

    found = call(policy, "get mapping", get)
    return min((int(m.get("mappings", {}).get("_meta", {}).get("sohoa_layout", 1)) for m in found.values()),
               default=None)


def alias_targets(client: OpenSearch, alias: str, policy: RetryPolicy) -> list[str]:
    """Concrete indices behind ``alias``; empty when the alias does not exist."""

    def get() -> Any:
        try:
            return client.indices.get_alias(name=alias)
        except NotFoundError:
            return {}

    return sorted(call(policy, "get alias", get))


def create_version(client: OpenSearch, index: str, policy: RetryPolicy, *, loading: bool) -> str:
    """Create ``<index>-v<max+1>`` from the template (refresh off while ``loading``)."""
    put_template(client, index, policy)
    number = max(versions(client, index, policy).values(), default=0) + 1
    name = f"{index}-v{number}"
    body = {"settings": LOADING_SETTINGS} if loading else {}
    call(policy, "create index", lambda: client.indices.create(index=name, body=body))
    return name


def ensure_alias(client: OpenSearch, index: str, policy: RetryPolicy) -> list[str]:
    """Make sure the alias exists (first use creates v1) with today's mapping; return the
    indices behind it."""
    targets = alias_targets(client, index, policy)
    if targets:
        put_template(client, index, policy)  # versions made from now on: the current mapping
        extend_mapping(client, targets, policy)
        return targets
    if call(policy, "index exists", lambda: client.indices.exists(index=index)):
        raise Conflict(
            f"'{index}' is a concrete index, not an alias; reindex into a new name or delete it",
            detail={"index": index},
        )
    name = create_version(client, index, policy, loading=False)
    set_aliases(client, policy, [{"add": {"index": name, "alias": index}}])
    return [name]


def extend_mapping(client: OpenSearch, names: list[str], policy: RetryPolicy) -> None:
    """Give versions created by an older sohoa the fields added since.

    The mapping is strict, so without this every page carrying a new field would be refused
    until ``sohoa reindex``. Adding fields is what an engine allows on a live index; a field
    whose definition changed (type, analyzer) is a conflict it refuses: that is logged with
    what to do, and writing goes on with the old definition (pages a conflict makes unfit
    are refused one by one, as any mapping error).
    """
    try:
        call(policy, "put mapping", lambda: client.indices.put_mapping(index=",".join(names), body=INDEX_MAPPINGS))
    except RequestError as exc:
        log.error("the mapping of %s conflicts with this version of sohoa (%s); run `sohoa reindex` "
                  "to build a version with the current one", ",".join(names), describe(exc))


def set_aliases(client: OpenSearch, policy: RetryPolicy, actions: list[dict[str, Any]]) -> None:
    """One ``_aliases`` request: the cluster applies all actions atomically."""
    call(policy, "update aliases", lambda: client.indices.update_aliases(body={"actions": actions}))


def swap(client: OpenSearch, index: str, new: str, old: list[str], policy: RetryPolicy) -> None:
    """Point the alias at ``new`` only, and drop the ``-next`` marker, in one request."""
    actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": index}} for name in old]
    actions.append({"add": {"index": new, "alias": index}})
    actions.append({"remove": {"index": new, "alias": next_alias(index)}})
    set_aliases(client, policy, actions)


def drop(client: OpenSearch, names: list[str], policy: RetryPolicy) -> None:
    for name in names:
        call(policy, "delete index", partial(client.indices.delete, index=name, ignore=[404]))
