"""The Arrow engine's allocator: jemalloc, unless the user chose one."""

from __future__ import annotations

import pyarrow as pa
import pytest

from applications_repo.file_processor.job.arrow_engine import MEMORY_POOL_VARIABLE, use_jemalloc

pytestmark = pytest.mark.skipif(
    "jemalloc" not in pa.supported_memory_backends(), reason="this pyarrow has no jemalloc"
)


@pytest.fixture(autouse=True)
def default_pool():
    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    yield
    pa.set_memory_pool(before)


def test_the_engine_allocates_with_jemalloc(monkeypatch):
    monkeypatch.delenv(MEMORY_POOL_VARIABLE, raising=False)
    use_jemalloc()
    assert pa.default_memory_pool().backend_name == "jemalloc"


def test_a_pool_the_user_chose_is_kept(monkeypatch):
    monkeypatch.setenv(MEMORY_POOL_VARIABLE, "system")
    use_jemalloc()
    assert pa.default_memory_pool().backend_name == "system"
