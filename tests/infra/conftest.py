"""Shared for the infra tests: each stack's inventory, computed once under Pulumi's mocks."""

from __future__ import annotations

import asyncio
import copy
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _main_thread_event_loop():
    """Pulumi's mocks run on the main thread's event loop. pytest-asyncio tests earlier in the
    same run (tests/cluster) leave none set, so each infra test gets a fresh one."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


@functools.cache
def _inventory(stack: str) -> tuple:
    from plumbing.inventory.mocks import plan

    return tuple(plan(ROOT, stack))


@pytest.fixture(params=["dogfooding", "local"])
def stack(request) -> str:
    return request.param


@pytest.fixture
def inventory(stack) -> list[dict]:
    """A fresh deep copy: tests may mutate it."""
    return copy.deepcopy(list(_inventory(stack)))


@pytest.fixture
def dogfooding() -> list[dict]:
    return copy.deepcopy(list(_inventory("dogfooding")))


@pytest.fixture
def local() -> list[dict]:
    return copy.deepcopy(list(_inventory("local")))


def of_type(inventory, suffix):
    return [r for r in inventory if r["type"] == suffix or r["type"].endswith(suffix)]


def named(inventory, name):
    hits = [r for r in inventory if r["name"] == name]
    assert len(hits) == 1, f"{name}: {len(hits)} resources"
    return hits[0]
