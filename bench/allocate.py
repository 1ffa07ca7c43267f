"""Allocate 100,000 pupils to 300 schools in a seeded synthetic city; print the time and the 100k/10k ratio."""

from __future__ import annotations

import argparse
import gc
import random
import time

from core.allocation import AllocationPolicy, Pupil, School, allocate, commitment_of

TIERS = ("1", "2", "3", "4a", "4b", "5", "6", "7")
TIER_WEIGHTS = (30, 8, 20, 4, 3, 12, 10, 8)
SIDE_M = 30_000.0


def synthetic_city(pupils: int, schools: int, seed: int) -> tuple[list[School], list[Pupil]]:
    """A square city with schools at random points, catchments by nearest school and ~5% spare seats."""
    rng = random.Random(seed)
    sites = [(rng.uniform(0, SIDE_M), rng.uniform(0, SIDE_M)) for _ in range(schools)]
    # Catchments are a coarse grid of cells assigned to their nearest school, so lookups stay cheap.
    cells = 60
    cell = SIDE_M / cells
    owner = {}
    for i in range(cells):
        for j in range(cells):
            cx, cy = (i + 0.5) * cell, (j + 0.5) * cell
            owner[i, j] = min(range(schools), key=lambda k: ((sites[k][0] - cx) ** 2 + (sites[k][1] - cy) ** 2, k))
    roster = []
    counts = [0] * schools
    for n in range(pupils):
        x, y = rng.uniform(0, SIDE_M), rng.uniform(0, SIDE_M)
        home = owner[min(int(x / cell), cells - 1), min(int(y / cell), cells - 1)]
        counts[home] += 1
        kind = rng.random()
        untiered = "coordinated" if kind < 0.99 else "undetermined"
        tier = rng.choices(TIERS, TIER_WEIGHTS)[0] if kind < 0.97 else untiered
        direct = f"S{home:03d}" if rng.random() < 0.05 else None
        roster.append(
            Pupil(
                serial=f"2021{n:07d}",
                tier=tier,
                x=x,
                y=y,
                catchment_school=f"S{home:03d}",
                direct_school=direct,
                direct_confirmed=direct is not None and rng.random() < 0.8,
                property_key=f"P{rng.randrange(pupils * 20)}" if tier in ("1", "2", "3", "4a", "4b") else None,
            )
        )
    total_seats = int(pupils * 1.05)
    weights = [rng.uniform(0.6, 1.1) * (c + 1) for c in counts]
    scale = total_seats / sum(weights)
    school_list = [
        School(id=f"S{k:03d}", name=f"第{k + 1}中学", capacity=max(1, int(w * scale)), x=sites[k][0], y=sites[k][1])
        for k, w in enumerate(weights)
    ]
    return school_list, roster


def timed(pupils: int, schools: int, repeat: int) -> tuple[float, float]:
    """Best wall and CPU time of `repeat` allocations of one synthetic city (CPU time is steadier on a shared host)."""
    school_list, roster = synthetic_city(pupils, schools, seed=2021)
    seed = "5eed" * 16
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        allocate(school_list, roster, season=2021, seed=seed, commitment=commitment_of(seed), policy=AllocationPolicy())
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu


def main() -> None:
    """Print the 10k baseline, the 100k time and their ratio (linear would be 10)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, default=100_000)
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    small = timed(args.pupils // 10, args.schools, args.repeat)
    large = timed(args.pupils, args.schools, args.repeat)
    for count, (wall, cpu) in ((args.pupils // 10, small), (args.pupils, large)):
        print(f"allocate {count:>7,} pupils to {args.schools} schools: {wall:.3f} s wall, {cpu:.3f} s CPU")
    print(f"ratio {args.pupils:,} / {args.pupils // 10:,} pupils: {large[0] / small[0]:.2f} wall, "
          f"{large[1] / small[1]:.2f} CPU (linear = 10)")


if __name__ == "__main__":
    main()
