"""`python -m plugins.sandbox --seed 1 --population 100000`: generate a city, print what it holds."""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter

from plugins.sandbox.city import generate_city


def main() -> None:
    """Generate a city and print its size, the time it took and the kinds of family in it."""
    parser = argparse.ArgumentParser(prog="python -m plugins.sandbox", description=main.__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--population", type=int, default=100_000)
    args = parser.parse_args()
    wall, cpu = time.perf_counter(), time.process_time()
    city = generate_city(args.seed, args.population)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    expected = Counter(family.expected for family in city.families)
    print(json.dumps({"seed": args.seed, "pupils": len(city.families),
                      "middle_schools": len(city.school_map.middle), "primary_schools": len(city.school_map.primary),
                      "seconds_wall": round(wall, 2), "seconds_cpu": round(cpu, 2),
                      "expected_outcomes": dict(sorted(expected.items()))}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
