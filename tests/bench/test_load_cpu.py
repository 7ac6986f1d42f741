"""The split of a load window's CPU by owner (bench/load_cpu.py)."""

from __future__ import annotations

from bench.load_cpu import CpuShares


def test_others_are_the_busy_time_neither_ours_nor_postgresql_shared() -> None:
    shares = CpuShares(
        seconds=20.0,
        capacity=40.0,
        busy=36.0,
        steal=0.5,
        server=12.0,
        generators=2.0,
        bench=0.5,
        postgres_ours=6.0,
        postgres_shared=1.5,
    )
    assert shares.ours == 20.5
    assert shares.others == 14.0
    assert shares.cores(shares.others) == 0.7


def test_without_the_database_backends_ours_is_the_processes_measured() -> None:
    shares = CpuShares(10.0, 20.0, 5.0, 0.0, 3.0, 1.0, 0.0, None, None)
    assert shares.ours == 4.0
    assert shares.others == 1.0
