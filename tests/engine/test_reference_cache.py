"""The reference cache: keyed entries on disk, atomic, surviving a new instance."""

from __future__ import annotations

from pathlib import Path

from worker.reference_cache import CachedReference, ReferenceCache, ReferenceKey

KEY = ReferenceKey(version="abc123", test="1", device="cpu", torch_version="2.13.0")


def test_miss_then_hit_across_instances(tmp_path: Path) -> None:
    assert ReferenceCache(tmp_path).get(KEY) is None
    ReferenceCache(tmp_path).put(KEY, CachedReference(payload=b'{"x":1}', wall_s=0.25))
    entry = ReferenceCache(tmp_path).get(KEY)
    assert entry == CachedReference(payload=b'{"x":1}', wall_s=0.25)


def test_every_key_part_matters(tmp_path: Path) -> None:
    cache = ReferenceCache(tmp_path)
    cache.put(KEY, CachedReference(payload=b"p", wall_s=1.0))
    for other in (
        ReferenceKey("abc124", "1", "cpu", "2.13.0"),
        ReferenceKey("abc123", "2", "cpu", "2.13.0"),
        ReferenceKey("abc123", "1", "cuda", "2.13.0"),
        ReferenceKey("abc123", "1", "cpu", "2.12.0"),
    ):
        assert cache.get(other) is None


def test_damaged_entry_is_a_miss_and_no_temporaries_remain(tmp_path: Path) -> None:
    cache = ReferenceCache(tmp_path)
    cache.put(KEY, CachedReference(payload=b"payload", wall_s=1.0))
    [path] = list(tmp_path.rglob("*.ref"))
    assert not list(tmp_path.rglob(".tmp-*"))
    path.write_bytes(path.read_bytes()[:-2])  # truncated
    assert cache.get(KEY) is None
    path.write_bytes(b"not a header")
    assert cache.get(KEY) is None
    cache.put(KEY, CachedReference(payload=b"payload", wall_s=2.0))
    assert cache.get(KEY) == CachedReference(payload=b"payload", wall_s=2.0)


def test_clear(tmp_path: Path) -> None:
    cache = ReferenceCache(tmp_path)
    cache.put(KEY, CachedReference(payload=b"p", wall_s=1.0))
    cache.clear()
    assert cache.get(KEY) is None
